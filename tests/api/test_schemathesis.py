"""The API against its own OpenAPI document: schemathesis generates requests for every
operation, in-process against the WSGI app, with a valid token; none may answer 5xx or a
body, status or content type the document does not declare."""

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kam.people.roles import Role
from kam.wsgi import application

EXAMPLES = {GenerationMode.POSITIVE: 45, GenerationMode.NEGATIVE: 10}
"""Generated requests per operation, of the document's form and not: ≥ 1,000 in all over
the API's operations, within about two minutes on two cores."""
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


@contextmanager
def connections_kept() -> Iterator[None]:
    """Requests go straight to the WSGI app, so its request signals would close the test's
    connection after the first one (PostgreSQL; SQLite's in-memory test database ignores
    the close). Django's test client unhooks the same handler for the same reason."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


def strategy(operation, mode, known):
    """Requests with generated path parameters, and as many with records that exist (a
    random id almost never names one) and everything else generated."""
    names = {p.name for p in operation.path_parameters}
    fixed = {name: known[name] for name in names if name in known}
    generated = operation.as_strategy(mode)
    if not fixed:
        return generated
    return st.one_of(operation.as_strategy(mode, path_parameters=fixed), generated)


def exercise(cases, examples, token, sent, statuses):
    """Send ``examples`` generated requests, each checked against the document."""

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded in time
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases)
    def call(case):
        response = case.call_and_validate(
            headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
        )
        sent[f"{case.meta.generation.mode} {case.operation.label}"] += 1
        statuses[response.status_code] += 1

    call()


def test_generated_requests_conform_to_the_document(seeded, api_as):
    token = api_as(Role.HEAD_OF_KAM, "head").token
    known = {
        "customer_id": "C000",
        "plan_id": seeded["plan"].pk,
        "contact_id": seeded["contact"].pk,
        "cycle_id": seeded["cycle"].pk,
    }
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    with connections_kept():
        schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode, examples in EXAMPLES.items():
                exercise(strategy(operation, mode, known), examples, token, sent, statuses)
    seconds = time.monotonic() - started
    print(f"\n{sum(sent.values())} requests over {len(sent)} operations × modes in {seconds:.1f} s")
    print(dict(sorted(statuses.items())))
    assert sum(sent.values()) >= 1000
    assert not [code for code in statuses if code >= 500]
    assert statuses[200] > 100  # the data is there: most reads find something
