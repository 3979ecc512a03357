"""Text a user types or imports is shown as text on every page, never run as markup.

Markup goes in where people put words — the People form (names, title), the customer and
invoice import (name, country, region, segment, category), the stakeholder map (contact,
relationship notes, alignment rationale), the contacts import, the plan template, the
plan (title, every section, objectives, targets, risks, actions, reviews, versions), the
selection policy, ratings, cycles and overrides, API token names — each value tagged
with the field it went into. Then every routed page (the history pages and the audit trail,
which show each value before and after, among them) is opened in Chromium with the
Content-Security-Policy bypassed, so that an unescaped value would run: no page may set
``window.__xss``, hold an element the text made (an ``<img onerror>``, ``<svg onload>``,
inline ``<script>``, ``javascript:`` link) or open a dialog; every value must be read
somewhere exactly as typed. Answers that are no whole page (htmx fragments, the org
chart's SVG) must not carry any of the markup unescaped.
"""

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import product
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from kam.people.roles import Role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("managers_work_every_account"),
]

VECTORS = (
    "<img src=x onerror=\"window.__xss='{tag}'\">",
    '"><svg onload="window.__xss=\'{tag}\'">',
    "<script>window.__xss='{tag}'</script>",
    "<a href=\"javascript:window.__xss='{tag}'\">go</a>",
    "{{{{7*7}}}} {{% now 'Y' %}}",
)
"""Ways markup could run if a value reached the page unescaped, each naming its field."""

CHART_NAME = "<svg onload=__xss=1>"
CHART_TITLE = "<img src=x onerror=__xss=1>"
"""A contact's name and title that fit whole in the largest box of the org chart."""

UNESCAPED = ("<img src=x", "<svg onload", "<script>window", 'href="javascript:')
"""What no answer may carry as markup: each vector's opening, unescaped."""

INJECTED = """() => Array.from(document.querySelectorAll(
  '[onerror], [onload], a[href^="javascript:" i], script:not([src]), .js-plotly-plot a'
)).map(element => element.outerHTML.slice(0, 160))"""
"""Elements the values would have made: kam's pages have no inline script or handler of
these kinds of their own."""

TEXT = """() => document.body ? document.body.innerText : document.documentElement.textContent"""
"""What the page reads: an HTML page's text as shown, a drawing's (SVG) text."""

FIELD_VALUES = """() => Array.from(document.querySelectorAll("input, textarea"))
  .map(field => field.value)"""

entered: dict[str, str] = {}
"""Every value typed or imported by the test, by the tag of the field it went into."""

answered: set[str] = set()
"""The tags of the values read exactly as typed in the answer to a form."""


def hostile(tag: str, *, short: bool = False) -> str:
    """A value for the field ``tag``: the tag, then every vector — or, when the field is
    short, one vector, the next in turn, so that short fields share them out."""
    vectors = [VECTORS[len(entered) % len(VECTORS)]] if short else list(VECTORS)
    value = " ".join([tag, *(vector.format(tag=tag) for vector in vectors)])
    entered[tag] = value
    return value


@dataclass
class Desk:
    """A signed-in browser page on the live server, and the waits of tests/browser/conftest.py."""

    page: Any
    base: str
    ready: Callable[..., None]
    goto: Callable[[Any, str], None]

    def open(self, path: str) -> None:
        self.goto(self.page, self.base + path)

    def submit(
        self, form: Any, values: dict[str, object], *, button: str = "[type=submit]"
    ) -> None:
        """Fill ``form``'s fields by name as a user would, send it and wait for the answer."""
        submit(self.page, form, values, button=button)
        self.ready(self.page)
        assert not self.page.evaluate(INJECTED), self.page.url
        assert self.page.evaluate("window.__xss") is None, self.page.url
        text = shown(self.page)
        answered.update(tag for tag, value in entered.items() if value in text)


def shown(page) -> str:
    """The text of ``page`` and of the fields of its forms, as a person reads it."""
    text = " ".join([page.evaluate(TEXT), *page.evaluate(FIELD_VALUES)])
    return " ".join(text.split())


def submit(page, form, values: dict[str, object], *, button: str) -> None:
    for name, value in values.items():
        field = form.locator(f'[name="{name}"]')
        kind = (field.first.get_attribute("type") or "").lower()
        tag = field.first.evaluate("element => element.tagName").lower()
        if tag == "select":
            field.select_option(value)
        elif kind in ("checkbox", "radio"):
            form.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind == "file":
            field.set_input_files(value)
        else:
            field.fill(str(value))
    send = form.locator(button).first
    if form.get_attribute("hx-post"):
        send.click()
    else:
        with page.expect_navigation():
            send.click()


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def hostile_id() -> str:
    """A customer id made of markup: ids show on lists and travel in every account's URLs."""
    return entered.get("customer-id") or hostile("customer-id", short=True)


def import_master_data(desk: Desk, tmp_path: Path) -> None:
    """Customers with hostile names and places, and their invoice lines, through the import page."""
    customers = [["EVIL", hostile("account-name"), "", hostile("country", short=True),
                  hostile("region", short=True), hostile("segment", short=True)]]  # fmt: skip
    customers.append([hostile_id(), "Customer known by a hostile id", "", "DE", "EMEA", "Retail"])
    customers += [[f"C{i}", f"Customer {i}", "", "DE", "EMEA", "Retail"] for i in range(5)]
    category = hostile("category")
    lines = []
    for size, customer in enumerate(["EVIL", hostile_id(), *(f"C{i}" for i in range(5))]):
        revenue = 9000.0 / (size + 1)  # the hostile account is the largest: a key account
        for month in range(1, 13):
            day = f"2024-{month:02}-10"
            lines.append([f"{customer}-{month}", 1, customer, day, category, 1, revenue])
            lines.append([f"{customer}-{month}", 2, customer, day, "Spares", 1, revenue / 3])
    files = {
        "customers": write_csv(
            tmp_path / "customers.csv",
            ["customer_id", "name", "parent_id", "country", "region", "segment"],
            customers,
        ),
        "transactions": write_csv(
            tmp_path / "lines.csv",
            ["invoice_id", "line_id", "customer_id", "date", "category", "quantity", "revenue"],
            lines,
        ),
    }
    for kind, path in files.items():
        desk.open("/accounts/import/")
        desk.submit(desk.page.locator("form.import-form"), {"kind": kind, "file": path})
        assert "imported" in desk.page.inner_text("main").lower(), desk.page.inner_text("main")


def add_manager(desk: Desk) -> None:
    """Kim, a key account manager whose name and title are markup, through the People form."""
    from kam.people.models import User

    desk.open("/people/new/")
    desk.submit(
        desk.page.locator("form.people-form"),
        {
            "username": "kim",
            "first_name": hostile("first-name", short=True),
            "last_name": hostile("last-name", short=True),
            "title": hostile("user-title", short=True),
            "roles": Role.KEY_ACCOUNT_MANAGER.value,
            "password": "Tangerine-Walrus-42",
        },
    )
    assert User.objects.filter(username="kim").exists(), desk.page.inner_text("main")


def map_stakeholders(desk: Desk, tmp_path: Path) -> None:
    """A contact, who knows them, the alignment and an imported contact, all markup."""
    from kam.people.models import User
    from kam.relationships.models import Contact

    desk.open("/accounts/EVIL/relationships/")
    page = desk.page
    desk.submit(
        page.locator("form[hx-post$='/contacts/add/']"),
        {
            "name": hostile("contact-name", short=True),
            "title": hostile("contact-title", short=True),
            "function": hostile("contact-function", short=True),
            "phone": hostile("phone", short=True),
        },
    )
    contact = Contact.objects.get(account_id="EVIL")
    # The org chart cuts a name to its box: markup short enough to be drawn whole.
    entered["chart-name"] = CHART_NAME
    entered["chart-title"] = CHART_TITLE
    desk.submit(
        page.locator("form[hx-post$='/contacts/add/']"),
        {"name": CHART_NAME, "title": CHART_TITLE, "influence": "5"},
    )
    desk.submit(
        page.locator("form[hx-post$='/links/add/']"),
        {
            "contact": str(contact.pk),
            "supplier_person": str(User.objects.get(username="kim").pk),
            "notes": hostile("relationship-notes"),
        },
    )
    desk.submit(
        page.locator("form[hx-post$='/alignment/']"),
        {"level": "partner", "rationale": hostile("alignment-rationale")},
    )
    contacts = write_csv(
        tmp_path / "contacts.csv",
        ["name", "title", "function"],
        [[hostile("imported-contact", short=True), hostile("imported-title", short=True),
          hostile("imported-function", short=True)]],
    )  # fmt: skip
    desk.open("/accounts/EVIL/relationships/contacts/import/")
    desk.submit(page.locator("form.rel-form"), {"file": contacts})
    assert Contact.objects.filter(account_id="EVIL").count() == 3, page.inner_text("main")


def write_plan(desk: Desk) -> None:
    """The partner template's prompts, then a plan from it with every part written in markup."""
    from kam.people.models import User
    from kam.plans.models import AccountPlan
    from kam.plans.sections import EDITABLE_SECTIONS

    page = desk.page
    desk.open("/plans/templates/partner/")
    form = page.locator("form.template-form")
    desk.submit(form, {f"prompt_{spec.key.value}": hostile(f"prompt-{spec.key.value}")
                       for spec in EDITABLE_SECTIONS})  # fmt: skip
    desk.open("/accounts/EVIL/plan/")
    desk.submit(
        page.locator("form[action$='/plan/new/']"), {"title": hostile("plan-title", short=True)}
    )
    plan = AccountPlan.objects.get(account_id="EVIL")
    for spec in EDITABLE_SECTIONS:
        section = page.locator(f"#section-{spec.key.value}")
        section.get_by_role("link", name="Edit").click()
        desk.ready(page)
        form = page.locator(f"#section-{spec.key.value} form")
        names = form.locator("textarea").evaluate_all("fields => fields.map(f => f.name)")
        desk.submit(form, {name: hostile(f"section-{spec.key.value}-{name}") for name in names})
    kim = str(User.objects.get(username="kim").pk)
    desk.submit(
        page.locator("form[hx-post$='/objectives/']"),
        {
            "title": hostile("objective-title", short=True),
            "measure": hostile("objective-measure", short=True),
        },
    )
    desk.submit(
        page.locator("form[hx-post$='/targets/']"),
        {"year": 2026, "revenue": 120000, "note": hostile("target-note", short=True)},
    )
    desk.submit(
        page.locator("form[hx-post$='/risks/']"),
        {"risk": hostile("risk"), "mitigation": hostile("risk-mitigation"), "owner": kim},
    )
    desk.submit(
        page.locator("form[hx-post$='/actions/']"),
        {"action": hostile("action"), "owner": kim,
         "due_on": (date.today() - timedelta(days=3)).isoformat()},
    )  # fmt: skip
    page.get_by_text("Record a review").click()
    desk.submit(
        page.locator("form[hx-post$='/reviews/']"),
        {"held_on": date.today().isoformat(), "kind": "internal",
         "customer_participants": hostile("review-participants"),
         "outcome": hostile("review-outcome")},
    )  # fmt: skip
    desk.submit(page.locator("form[hx-post$='/versions/']"), {"note": hostile("version-note")})
    assert plan.versions.count() == 1, page.inner_text("main")
    assert plan.reviews.count() == 1, page.inner_text("main")


def log_engagement(desk: Desk) -> None:
    """A QBR with a contact, every text in markup, a follow-up action and a comment."""
    from kam.engagement.models import Engagement
    from kam.people.models import User
    from kam.relationships.models import Contact

    page = desk.page
    desk.open("/accounts/EVIL/engagements/new/")
    contact = Contact.objects.filter(account_id="EVIL").first()
    desk.submit(
        page.locator("#engagement-form"),
        {
            "our_people": User.objects.get(username="admin").pk,
            "contacts": contact.pk,
            "title": hostile("engagement-title", short=True),
            "location": hostile("engagement-location", short=True),
            "notes": hostile("engagement-notes"),
            "outcome": hostile("engagement-outcome"),
            "follow_up_1_action": hostile("engagement-follow-up", short=True),
            "follow_up_1_due_on": (date.today() + timedelta(days=7)).isoformat(),
        },
        button="button[type=submit]",
    )
    assert Engagement.objects.filter(account_id="EVIL").exists(), page.inner_text("main")
    desk.submit(page.locator("form.eg-comment-form"), {"text": hostile("engagement-comment")})


def open_opportunity(desk: Desk) -> None:
    """An opportunity with a name and a competitor in markup (written through the service
    the opportunity form calls; its pages are walked with every other page)."""
    from kam.accounts.models import Account
    from kam.opportunities.services import do_create_opportunity
    from kam.people.models import User

    do_create_opportunity(
        User.objects.get(username="admin"),
        Account.objects.get(customer_id="EVIL"),
        name=hostile("opportunity-name", short=True),
        value="25000",
        expected_close_date=date.today() + timedelta(days=30),
        product_category="Pumps",
        competitors=[hostile("opportunity-competitor", short=True)],
    )


def run_selection(desk: Desk) -> None:
    """A policy named in markup, a rating, a scoring run, a cycle and an override, all markup."""
    from kam.selection.models import CycleDecision, SelectionCycle

    page = desk.page
    desk.open("/selection/policy/")
    desk.submit(
        page.locator("#policy-form"),
        {"name": hostile("policy-name", short=True), "note": hostile("policy-note")},
    )
    desk.open("/selection/accounts/EVIL/")
    form = page.locator("form.sel-rating-form")
    criteria = form.locator("select").evaluate_all("fields => fields.map(f => f.name)")
    desk.submit(form, {**dict.fromkeys(criteria, "4"), "note": hostile("rating-note", short=True)})
    desk.open("/selection/cycles/")  # the cycle scores the accounts under the new policy
    desk.submit(page.locator("form.card.filters"), {"name": hostile("cycle-name", short=True)})
    cycle = SelectionCycle.objects.get()
    desk.open(f"/selection/cycles/{cycle.pk}/")
    row = page.locator(f"#decision-{CycleDecision.objects.get(cycle=cycle, account_id='EVIL').pk}")
    desk.submit(row.locator("form.override-form"), {"reason": hostile("override-reason")})
    assert CycleDecision.objects.filter(override_reason__startswith="override-reason").exists()


def import_refused_files(desk: Desk, tmp_path: Path) -> None:
    """Files the imports refuse, whose reasons quote the markup they found."""
    page = desk.page
    ratings = write_csv(
        tmp_path / "ratings.csv",
        ["customer_id", "criterion", "value"],
        [[hostile("rating-customer", short=True), hostile("rating-criterion", short=True), 3]],
    )
    desk.open("/selection/ratings/import/")
    desk.submit(page.locator("form.card"), {"file": ratings})
    contacts = write_csv(
        tmp_path / "refused-contacts.csv",
        ["name", hostile("contact-column", short=True)],
        [["Jo Bloggs", "x"]],
    )
    desk.open("/accounts/EVIL/relationships/contacts/import/")
    desk.submit(page.locator("form.rel-form"), {"file": contacts})


def name_api_token(desk: Desk) -> None:
    desk.open("/settings/api-tokens/")
    desk.submit(desk.page.locator("#token-form"), {"name": hostile("token-name", short=True)})


@pytest.fixture
def hostile_data(
    browser, live_server, store, make_user, tmp_path, new_context, sign_in, ready, goto
):
    """Every free-text field of kam filled with markup through its form or import, by an
    Administrator (who may do everything), with Kim the manager on the account.

    The browser ignores the Content-Security-Policy, which would stop an inline script or
    handler that escaping let through: what is tested here is the escaping."""
    entered.clear()
    answered.clear()
    make_user(Role.ADMINISTRATOR, "admin", first_name="Ada", last_name="Admin")
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, live_server, "admin")
    desk = Desk(page, live_server.url, ready, goto)
    add_manager(desk)
    import_master_data(desk, tmp_path)
    map_stakeholders(desk, tmp_path)
    write_plan(desk)
    log_engagement(desk)
    open_opportunity(desk)
    run_selection(desk)
    name_api_token(desk)
    import_refused_files(desk, tmp_path)
    yield desk, context, dialogs
    context.close()


SKIPPED_PREFIXES = ("admin/", "api/")
"""Django's admin is not kam's; the JSON API answers data, not pages."""

SKIPPED_NAMES = (
    "plans:document_pdf",
    "plans:version_pdf",
    "engagement:calendar",
    "engagement:account_calendar",
)
"""The plan's PDF is laid out from the plan document checked at ``document/``; it runs
no script, and rendering it takes seconds. The calendars are downloads, not pages (their
text escaping is RFC 5545's, read back in tests/engagement/test_engagement_calendar.py)."""


def routed_paths() -> list[str]:
    """Every routed URL of the app with its parameters filled from the hostile data: each
    plan section, contact and risk of the account, the cycle, the policy and Kim."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from kam.api.models import ApiToken
    from kam.engagement.models import Engagement
    from kam.opportunities.models import Opportunity
    from kam.people.models import User
    from kam.plans.models import AccountPlan
    from kam.plans.sections import EDITABLE_SECTIONS
    from kam.relationships.models import Contact, Relationship
    from kam.selection.models import PolicyVersion, SelectionCycle

    plan = AccountPlan.objects.get(account_id="EVIL")
    kim = User.objects.get(username="kim")
    choices: dict[str, list[object]] = {
        "customer_id": ["EVIL"],
        "plan_id": [plan.pk],
        "number": [1],
        "key": [spec.key.value for spec in EDITABLE_SECTIONS],
        "risk_id": [plan.risks.get().pk],
        "action_id": list(plan.actions.values_list("pk", flat=True)),
        "contact_id": list(Contact.objects.filter(account_id="EVIL").values_list("pk", flat=True)),
        "relationship_id": [Relationship.objects.get().pk],
        "pk": [SelectionCycle.objects.get().pk],
        "version": [PolicyVersion.objects.order_by("-version").first().version],
        "level": ["partner"],
        "user_id": [kim.pk],
        "uidb64": [urlsafe_base64_encode(force_bytes(kim.pk))],
        "token": [default_token_generator.make_token(kim)],
        "token_id": [ApiToken.objects.get().pk],
        "rest": ["nothing"],
        "engagement_id": list(
            Engagement.objects.filter(account_id="EVIL").values_list("pk", flat=True)
        ),
        "opportunity_id": list(
            Opportunity.objects.filter(account_id="EVIL").values_list("pk", flat=True)
        ),
    }

    def walk(patterns, prefix: str, namespace: str | None):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if route.lstrip("^").startswith(SKIPPED_PREFIXES):
                continue
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                if name in SKIPPED_NAMES:
                    continue
                yield name, tuple(dict.fromkeys(re.findall(r"<(?:\w+:)?(\w+)>", route)))

    paths = []
    for name, parameters in walk(get_resolver().url_patterns, "", None):
        for values in product(*(choices[parameter] for parameter in parameters)):
            paths.append(reverse(name, kwargs=dict(zip(parameters, values, strict=True))))
    # Pages that show their query back: searched for markup, a page of markup, sorted by it.
    cycle = choices["pk"][0]
    asked = {
        reverse("accounts:list"): ("q", "region", "segment", "status", "sort", "page"),
        reverse("selection:portfolio"): ("q", "region", "segment", "tier", "sort", "page"),
        reverse("selection:scores"): ("q", "region", "segment", "tier", "sort", "page"),
        reverse("selection:cycle", kwargs={"pk": cycle}): ("show",),
        reverse("selection:compare"): ("a", "b"),
    }
    searched = {name: hostile(f"query-{name}", short=True) for names in asked.values()
                for name in names}  # fmt: skip
    for path, names in asked.items():
        paths.append(f"{path}?{urlencode({name: searched[name] for name in names})}")
    # The account known by a hostile id: its own pages.
    for name in ("accounts:detail", "selection:account", "relationships:map", "plans:home",
                 "relationships:org_chart_svg"):  # fmt: skip
        paths.append(reverse(name, kwargs={"customer_id": hostile_id()}))
    return paths


def unescaped(body: str) -> list[str]:
    """The vectors ``body`` carries as markup."""
    return [opening for opening in UNESCAPED if opening in body]


def test_typed_and_imported_text_shows_as_text_on_every_page(
    hostile_data, ready, browser, live_server, new_context, sign_in
):
    desk, context, dialogs = hostile_data
    page = desk.page
    failures: list[str] = []
    paths = routed_paths()
    seen: dict[str, set[str]] = {tag: set() for tag in entered}
    pages = 0
    for path in paths:
        url = desk.base + path
        # As htmx asks for it: the fragment a page swaps in.
        answer = context.request.get(url, headers={"HX-Request": "true"}, max_redirects=0)
        kind = answer.headers.get("content-type", "")
        if answer.status == 405 or not kind.startswith(("text/", "image/svg")):
            continue  # an action, or a download: a PDF or the policy's TOML
        if found := unescaped(answer.text()):
            failures.append(f"{path} (htmx) carries {found}")
        # As the browser opens it: the whole page, or the fragment or drawing on its own.
        response = page.goto(url)
        ready(page)
        if found := unescaped(response.text()):
            failures.append(f"{path} carries {found}")
        pages += 1
        if injected := page.evaluate(INJECTED):
            failures.append(f"{path} holds {injected}")
        if (ran := page.evaluate("window.__xss")) is not None:
            failures.append(f"{path} ran the markup typed into {ran}")
        text = shown(page)
        for tag, value in entered.items():
            if value in text:
                seen[tag].add(path)
    assert pages > 25, "the routed pages were opened"
    assert failures == []
    assert dialogs == []
    unseen = sorted(tag for tag, where in seen.items() if not where and tag not in answered)
    assert unseen == sorted(NOT_SHOWN), ", ".join(unseen)
    assert any("/history/" in path for path in seen["risk"]), "the plan's history shows the risk"
    check_hover_labels(desk)
    check_own_pages(desk, browser, live_server, new_context, sign_in)
    assert dialogs == []


NOT_SHOWN = {
    **{
        f"query-{name}": "a search the form refuses is not shown back"
        for name in ("status", "sort", "page", "tier", "a", "b", "show")
    },
    **{
        f"query-{name}": "searched from a list of the data's values, not typed"
        for name in ("region", "segment")
    },
}
"""Values no page shows: searches a page takes but does not show back."""


HOVER = """chart => Array.from(chart.querySelectorAll(".hoverlayer")).map(layer => ({
  text: layer.textContent,
  made: layer.querySelectorAll("a, img, script, foreignObject").length,
}))"""
"""The hover label Plotly shows over a chart, and the elements it holds besides text."""


def check_hover_labels(desk: Desk) -> None:
    """Plotly reads hover text as HTML of its own: each point of the portfolio's charts,
    hovered, names its account exactly as imported."""
    page = desk.page
    desk.open("/selection/")
    charts = page.locator(".js-plotly-plot:has(.scatterlayer .point)")
    assert charts.count() > 0, "the portfolio draws its accounts as points"
    labels: list[str] = []
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        for point in chart.locator(".scatterlayer .point").all():
            point.hover(force=True)
            for label in chart.evaluate(HOVER):
                assert label["made"] == 0, label["text"]
                labels.append(" ".join(label["text"].split()))
    name = entered["account-name"]
    assert any(name in label for label in labels), labels
    assert page.evaluate("window.__xss") is None


def check_own_pages(desk: Desk, browser, live_server, new_context, sign_in) -> None:
    """Kim's own pages — the top bar names them — show the markup of their name as text."""
    from kam.people.models import User
    from kam.plans.models import AccountPlan

    kim = User.objects.get(username="kim")
    kim.set_password("pw-for-tests")
    kim.must_change_password = False  # chosen at the first sign-in
    kim.save(update_fields=["password", "must_change_password"])
    plan = AccountPlan.objects.get(account_id="EVIL")
    context = new_context(browser, bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, live_server, "kim")
        for path in ("/", "/accounts/EVIL/", reverse("plans:detail", args=["EVIL", plan.pk])):
            desk.goto(page, desk.base + path)
            assert page.evaluate(INJECTED) == [], path
            assert page.evaluate("window.__xss") is None, path
            assert entered["first-name"] in shown(page), path
    finally:
        context.close()
