"""The API against its own OpenAPI document: schemathesis generates requests for every
operation, in-process against the WSGI app, with a valid token; none may answer 5xx or a
body, status or content type the document does not declare."""

import time
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kam.people.roles import Role
from kam.wsgi import application

EXAMPLES = 60
"""Generated requests per operation: ≥ 1,000 in all over the API's operations."""
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]


def strategy(operation, known):
    """Requests with generated path parameters, and as many with records that exist (a
    random id almost never names one) and everything else generated."""
    names = {p.name for p in operation.path_parameters}
    fixed = {name: known[name] for name in names if name in known}
    generated = operation.as_strategy()
    if not fixed:
        return generated
    return st.one_of(operation.as_strategy(path_parameters=fixed), generated)


def test_generated_requests_conform_to_the_document(seeded, api_as):
    token = api_as(Role.HEAD_OF_KAM, "head").token
    known = {
        "customer_id": "C000",
        "plan_id": seeded["plan"].pk,
        "contact_id": seeded["contact"].pk,
        "cycle_id": seeded["cycle"].pk,
    }
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: bounded in time
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy(operation, known))
        def call(case):
            response = case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"}, checks=CHECKS
            )
            sent[case.operation.label] += 1
            statuses[response.status_code] += 1

        call()
    seconds = time.monotonic() - started
    print(f"\n{sum(sent.values())} requests over {len(sent)} operations in {seconds:.1f} s")
    print(dict(sorted(statuses.items())))
    assert sum(sent.values()) >= 1000
    assert not [code for code in statuses if code >= 500]
    assert statuses[200] > 100  # the data is there: most reads find something
