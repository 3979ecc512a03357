"""Every page of the app, as every role, on a laptop (1440 px) and a phone (390 px).

The pages come from Django's URL resolver, so a new page joins this test by being routed;
its path parameters are filled from a small demo company (an account with a plan, its
versions, contacts, risks, actions; a selection cycle; a policy version). A parameter with
no way to be filled fails the test: teach ``fill`` about it.

A page fails when it scrolls sideways, when a control a user must click (a link, button,
field, drop-down, disclosure) is covered by something else or smaller than 24×24 px (links
inside running text excepted, WCAG 2.5.8), when a frame on it is empty, or when the
browser logs an error. Routes that only take a POST (405 to a GET) are actions, not pages;
answers that are not a whole HTML document (htmx fragments, SVG, PDF, TOML) are checked
to answer, not laid out.
"""

import re
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kam.people.roles import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("managers_work_every_account"),
]

WIDTHS = (1440, 390)
SKIPPED_PREFIXES = ("admin/", "api/")
"""Django's own admin is not kam's to lay out; the JSON API answers data, not pages (its
operations are walked by tests/api, its locally served docs checked there)."""

AUDIT = (Path(__file__).parent / "page_audit.js").read_text()
"""The problems a person would meet on the page now, one line each."""


@dataclass(frozen=True)
class Route:
    """One routed URL pattern: its name, its route text and the parameters it captures."""

    name: str
    route: str
    parameters: tuple[str, ...]


def routes() -> list[Route]:
    """Every URL pattern of the app, from the resolver."""

    def walk(patterns, prefix: str, namespace: str | None):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.lstrip("^").startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
                yield Route(name, route, parameters(prefix, pattern))

    return list(walk(get_resolver().url_patterns, "", None))


def parameters(prefix: str, pattern: URLPattern) -> tuple[str, ...]:
    """The names a route captures, in its include's prefix and in its own pattern."""
    found = re.findall(r"<(?:\w+:)?(\w+)>", prefix + str(pattern.pattern))
    return tuple(dict.fromkeys(found))


@pytest.fixture
def demo(small_demo):
    """A small demo company (people in every role, plans, contacts, two selection cycles),
    and the values that fill each path parameter."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from kam.engagement.models import Engagement
    from kam.engagement.services import do_log_engagement
    from kam.people.models import User
    from kam.plans.models import AccountPlan
    from kam.plans.sections import EDITABLE_SECTIONS
    from kam.relationships.models import AlignmentLevel, Relationship
    from kam.selection.models import PolicyVersion, SelectionCycle

    plan = (
        AccountPlan.objects.filter(versions__isnull=False, risks__isnull=False)
        .order_by("-account__contacts__id")
        .first()
    )
    assert plan is not None, "the demo has a plan with versions and risks"
    account = plan.account
    relationship = Relationship.objects.filter(contact__account=account).first()
    assert relationship is not None, "the demo maps who knows whom at the account"
    from kam.api.services import do_create_token

    viewer = User.objects.get(username="viewer")
    engagement = Engagement.objects.filter(account=account).first()
    if engagement is None:  # the demo logs its key accounts' history; this one may not be key
        head = User.objects.get(username="head")
        engagement = do_log_engagement(
            head, account, kind="qbr", date=date.today(), today=date.today(), our_people=[head]
        )
    from kam.opportunities.models import Opportunity
    from kam.opportunities.services import do_create_opportunity

    opportunity = Opportunity.objects.filter(account=account, stage="qualifying").first()
    if opportunity is None:  # the demo's opportunities are its key accounts'
        opportunity = do_create_opportunity(
            User.objects.get(username="head"), account, name="Pumps for the new site",
            value="25000", expected_close_date=date.today(), product_category="Pumps",
        )  # fmt: skip
    values = {
        "opportunity_id": opportunity.pk,
        "customer_id": account.customer_id,
        "plan_id": plan.pk,
        "number": plan.versions.order_by("-number").first().number,
        "key": EDITABLE_SECTIONS[0].key.value,
        "risk_id": plan.risks.first().pk,
        "action_id": plan.actions.first().pk,
        "contact_id": relationship.contact_id,
        "relationship_id": relationship.pk,
        "pk": SelectionCycle.objects.order_by("-pk").first().pk,
        "version": PolicyVersion.objects.order_by("-version").first().version,
        "level": AlignmentLevel.PARTNER.value,
        "user_id": viewer.pk,
        "uidb64": urlsafe_base64_encode(force_bytes(viewer.pk)),
        "token": default_token_generator.make_token(viewer),
        "token_id": do_create_token(viewer, name="every page")[0].pk,
        "engagement_id": engagement.pk,
    }
    users = {
        Role.ADMINISTRATOR: "admin",
        Role.HEAD_OF_KAM: "head",
        Role.KEY_ACCOUNT_MANAGER: plan.owner.username,
        Role.EXECUTIVE_SPONSOR: User.objects.filter(groups__name=Role.EXECUTIVE_SPONSOR)
        .order_by("username")
        .first()
        .username,
        Role.VIEWER: "viewer",
    }
    for username in users.values():
        user = User.objects.get(username=username)
        user.set_password("pw-for-tests")
        user.must_change_password = False  # signed in before: the demo's password is changed
        user.save(update_fields=["password", "must_change_password"])
    return values, users


def fill(route: Route, values: dict[str, object]) -> str:
    """The URL of ``route`` with every parameter filled, or a failure naming the one that
    cannot be."""
    missing = [name for name in route.parameters if name not in values]
    if missing:
        pytest.fail(f"no way to fill {', '.join(missing)} in {route.route} ({route.name})")
    return reverse(route.name, kwargs={name: values[name] for name in route.parameters})


def log_error(seen: list[str], message) -> None:
    if message.type == "error":
        seen.append(message.text)


def pages(context, base: str, urls: list[str]) -> tuple[list[str], list[str]]:
    """The URLs that answer a GET with a whole HTML page, and failures of those that break.

    A route that only takes a POST (405) is an action; an answer that is not a whole HTML
    document (an htmx fragment, a drawing, a download) is shown inside a page."""
    found, failures = [], []
    for url in urls:
        answer = context.request.get(base + url, max_redirects=0)
        if answer.status == 405:
            continue
        if answer.status >= 400 and answer.status != 403:
            failures.append(f"{url} answers {answer.status}")
        elif answer.headers.get("content-type", "").startswith("text/html") and (
            "<html" in answer.text()[:400]
        ):
            found.append(url)
    return found, failures


def test_every_page_fits_every_role_on_a_laptop_and_a_phone(
    browser, live_server, demo, new_context, sign_in, ready, tmp_path
):
    values, users = demo
    urls = [fill(route, values) for route in routes()]
    assert len(urls) > 40, "the resolver lists the app's pages"
    started = time.monotonic()
    failures: list[str] = []
    visited: list[str] = []
    for role, username in users.items():
        storage = tmp_path / f"{username}.json"
        for width in WIDTHS:
            context = new_context(
                browser, width, storage_state=storage if storage.exists() else None
            )
            page = context.new_page()
            errors: list[str] = []
            page.on("console", lambda m, seen=errors: log_error(seen, m))
            page.on("pageerror", lambda e, seen=errors: seen.append(str(e)))
            if not storage.exists():
                sign_in(page, live_server, username)
                context.storage_state(path=storage)
                found, broken = pages(context, live_server.url, urls)
                failures += [f"{role}: {failure}" for failure in broken]
            for url in found:
                where = f"{role} at {width}px: {url}"
                errors.clear()
                response = page.goto(live_server.url + url)
                ready(page)
                visited.append(url)
                for error in errors:
                    # Chromium logs a refused page's own 403; the page is the answer, checked below.
                    if "status of 403" in error and response.status == 403:
                        continue
                    failures.append(f"{where}: the browser logs {error!r}")
                failures += [f"{where}: {problem}" for problem in page.evaluate(AUDIT)]
            context.close()
    took = time.monotonic() - started
    print(f"every page: {len(visited)} visits of {len(set(visited))} pages in {took:.0f}s")
    assert len(set(visited)) >= 20, f"only {sorted(set(visited))} answered as pages"
    assert failures == [], "\n".join(failures)
