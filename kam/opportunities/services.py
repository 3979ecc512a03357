"""Every write of the opportunities app: opportunities (create, change, win, lose), their
qualification by the four questions, wallet estimates, and the imports of both. Each
function checks the acting user first, runs in one transaction and raises
``OpportunityError`` (keyed by field) or ``EditConflict``; the page, the API or the command
turns it into a message. Saves are recorded in the audit trail by the receivers; guarded
updates by ``save_revision``; imports as one entry per file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction

from kam.accounts.errors import FieldErrors
from kam.accounts.models import Account
from kam.analytics.ingest.problems import ImportReport
from kam.analytics.progress import Progress
from kam.audit import trail
from kam.audit.context import quiet
from kam.opportunities.import_file import import_opportunities, import_wallets
from kam.opportunities.models import (
    CLOSED_STAGES,
    DEFAULT_PROBABILITY,
    Opportunity,
    Qualification,
    Stage,
    WalletEstimate,
)
from kam.opportunities.verdict import Question, assess
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.revisions import save_revision

MAX_VALUE = Decimal("99999999999999")


class OpportunityError(FieldErrors):
    """A change the opportunity rules refuse; ``errors`` holds the reason per field."""


FIELDS = (
    "name",
    "value",
    "expected_close_date",
    "stage",
    "probability",
    "product_category",
    "business_unit",
    "competitors",
    "owner",
)
"""What an edit may change (closing has its own function: it needs a reason)."""


def money(value: Any, field: str, errors: dict[str, str]) -> Decimal | None:
    """``value`` as a sum of money (two decimals, 0 or more), or a reason in ``errors``."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        errors[field] = f"{value!r} is not an amount of money."
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_VALUE:
        errors[field] = "An amount is a number from 0 up."
        return None
    return amount.quantize(Decimal("0.01"))


def _clean(values: dict[str, Any]) -> dict[str, str]:
    """Normalise ``values`` in place; the reasons the rules refuse them, keyed by field."""
    errors: dict[str, str] = {}
    values["name"] = (values.get("name") or "").strip()
    if not values["name"]:
        errors["name"] = "Give the opportunity a name."
    elif len(values["name"]) > 200:
        errors["name"] = "At most 200 characters."
    amount = money(values.get("value"), "value", errors)
    if amount is not None:
        values["value"] = amount
    if not isinstance(values.get("expected_close_date"), date):
        errors["expected_close_date"] = "Give the day it is expected to close."
    if values.get("stage") not in Stage.values or values.get("stage") in CLOSED_STAGES:
        errors["stage"] = "An open opportunity is prospecting, qualifying, proposal or negotiation."
    if values.get("probability") is None and values.get("stage") in Stage.values:
        values["probability"] = DEFAULT_PROBABILITY[values["stage"]]
    probability = values.get("probability")
    if probability is None or not 0 <= int(probability) <= 100:
        errors["probability"] = "The probability is a whole percentage, 0 to 100."
    for name in ("product_category", "business_unit"):
        values[name] = (values.get(name) or "").strip()
        if len(values[name]) > 128:
            errors[name] = "At most 128 characters."
    if not values["product_category"]:
        errors["product_category"] = "Name the product category."
    values["competitors"] = list(
        dict.fromkeys(c.strip() for c in values.get("competitors") or [] if c and c.strip())
    )
    owner = values.get("owner")
    if owner is not None and not owner.is_active:
        errors["owner"] = f"{owner.display_name} no longer works with kam."
    return errors


@transaction.atomic
def do_create_opportunity(
    user: User,
    account: Account,
    *,
    name: str,
    value: Any,
    expected_close_date: date,
    product_category: str,
    stage: str = Stage.PROSPECTING,
    probability: int | None = None,
    business_unit: str = "",
    competitors: Sequence[str] = (),
    owner: User | None = None,
) -> Opportunity:
    """Open an opportunity with ``account``; the probability defaults to the stage's."""
    check_permission(user, Permission.EDIT_OPPORTUNITIES, on=account)
    values: dict[str, Any] = {
        "name": name,
        "value": value,
        "expected_close_date": expected_close_date,
        "stage": stage,
        "probability": probability,
        "product_category": product_category,
        "business_unit": business_unit,
        "competitors": list(competitors),
        "owner": owner or user,
    }
    errors = _clean(values)
    if errors:
        raise OpportunityError(errors)
    return Opportunity.objects.create(account=account, created_by=user, updated_by=user, **values)


@transaction.atomic
def do_update_opportunity(
    user: User, opportunity: Opportunity, *, expected_revision: int | None = None, **changes: Any
) -> Opportunity:
    """Change any of ``FIELDS`` of an open opportunity; ``EditConflict`` when someone saved
    it since ``expected_revision``. A new stage without a probability takes the stage's."""
    check_permission(user, Permission.EDIT_OPPORTUNITIES, on=opportunity)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"not opportunity fields: {', '.join(sorted(unknown))}")
    if not opportunity.is_open:
        raise OpportunityError({"stage": f"{opportunity.name} is {opportunity.stage}: closed."})
    if "stage" in changes and "probability" not in changes:
        changes["probability"] = None
    values = {name: getattr(opportunity, name) for name in FIELDS} | changes
    errors = _clean(values)
    if errors:
        raise OpportunityError(errors)
    changed = {n: values[n] for n in FIELDS if values[n] != getattr(opportunity, n)}
    if changed:
        base = opportunity.revision if expected_revision is None else expected_revision
        save_revision(opportunity, base, changed, what=opportunity.name, editor=user)
    return opportunity


@transaction.atomic
def do_close_opportunity(
    user: User,
    opportunity: Opportunity,
    *,
    won: bool,
    reason: str,
    closed_on: date,
    expected_revision: int | None = None,
) -> Opportunity:
    """Mark an open opportunity won or lost on ``closed_on``, with the reason (a lost one
    must say why: the reasons are what the team learns from)."""
    check_permission(user, Permission.EDIT_OPPORTUNITIES, on=opportunity)
    reason = (reason or "").strip()
    if not opportunity.is_open:
        raise OpportunityError({"stage": f"{opportunity.name} is already {opportunity.stage}."})
    if not reason and not won:
        raise OpportunityError({"reason": "Say why it was lost."})
    stage = Stage.WON if won else Stage.LOST
    base = opportunity.revision if expected_revision is None else expected_revision
    values = {
        "stage": stage,
        "probability": DEFAULT_PROBABILITY[stage],
        "closed_on": closed_on,
        "close_reason": reason,
    }
    save_revision(opportunity, base, values, what=opportunity.name, editor=user)
    return opportunity


def _score(value: Any, question: Question, errors: dict[str, str]) -> int | None:
    if value in (None, ""):
        return None
    try:
        score = int(value)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        errors[f"{question.value}_score"] = f"{question.label} is scored 1 to 5."
        return None
    return score


@transaction.atomic
def do_qualify_opportunity(
    user: User,
    opportunity: Opportunity,
    *,
    scores: Mapping[Question, Any],
    evidence: Mapping[Question, str],
    expected_margin_pct: Any = None,
    expected_revision: int | None = None,
) -> Qualification:
    """Answer the four questions for ``opportunity`` (a 1–5 score and the evidence each)
    and keep the verdict the rules give; ``EditConflict`` when someone qualified it since
    ``expected_revision`` (None: as it stands)."""
    check_permission(user, Permission.EDIT_OPPORTUNITIES, on=opportunity)
    errors: dict[str, str] = {}
    checked = {q: _score(scores.get(q), q, errors) for q in Question}
    margin = None
    if expected_margin_pct not in (None, ""):
        try:
            margin = Decimal(str(expected_margin_pct)).quantize(Decimal("0.1"))
        except InvalidOperation:
            margin = None
        if margin is None or not margin.is_finite() or not -100 <= margin <= 100:
            errors["expected_margin_pct"] = "The margin is a percentage, -100 to 100."
    if errors:
        raise OpportunityError(errors)
    assessment = assess(checked)
    values: dict[str, Any] = {f"{q.value}_score": checked[q] for q in Question}
    values |= {f"{q.value}_evidence": (evidence.get(q) or "").strip() for q in Question}
    values |= {
        "expected_margin_pct": margin,
        "verdict": assessment.verdict.value,
        "verdict_reason": assessment.reason,
        "weakest": assessment.weakest.value if assessment.weakest else "",
    }
    found = Qualification.objects.filter(opportunity=opportunity).first()
    if found is None:
        return Qualification.objects.create(
            opportunity=opportunity, account_id=opportunity.account_id, qualified_by=user, **values
        )
    base = found.revision if expected_revision is None else expected_revision
    save_revision(
        found, base, values, what=f"the qualification of {opportunity.name}", editor=user,
        editor_field="qualified_by",
    )  # fmt: skip
    return found


@transaction.atomic
def do_set_wallet_estimate(
    user: User, account: Account, *, category: str, amount: Any, source: str = ""
) -> WalletEstimate | None:
    """Enter what ``account`` spends in ``category`` in a year, with every supplier; an
    empty amount removes the estimate (the peers' estimate shows again)."""
    check_permission(user, Permission.EDIT_OPPORTUNITIES, on=account)
    category = (category or "").strip()
    errors: dict[str, str] = {}
    if not category or len(category) > 128:
        errors["category"] = "Name the product category (at most 128 characters)."
    found = WalletEstimate.objects.filter(account=account, category=category).first()
    if amount in (None, "") or (isinstance(amount, float) and not math.isfinite(amount)):
        if errors:
            raise OpportunityError(errors)
        if found is not None:
            found.delete()
        return None
    figure = money(amount, "amount", errors)
    if errors or figure is None:
        raise OpportunityError(errors)
    source = (source or "").strip()[:200]
    if found is None:
        return WalletEstimate.objects.create(
            account=account, category=category, amount=figure, source=source, updated_by=user
        )
    if (found.amount, found.source) != (figure, source):
        save_revision(
            found, found.revision, {"amount": figure, "source": source},
            what=f"the {category} wallet", editor=user,
        )  # fmt: skip
    return found


def _counts(report: ImportReport) -> dict[str, int]:
    return {"created": report.inserted, "updated": report.updated, "unchanged": report.unchanged}


@transaction.atomic
def do_import_opportunities(
    user: User,
    path: Path,
    *,
    today: date,
    file_label: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import opportunities from CSV or Excel, all or nothing: a bad file raises
    ``ImportRefused`` naming every bad row by line (row for Excel), column and reason, and
    changes nothing. Rows match earlier imports by ``reference``; importing the same file
    twice changes nothing the second time."""
    check_permission(user, Permission.EDIT_OPPORTUNITIES)
    label = file_label or path.name
    with quiet():
        report = import_opportunities(user, path, file_label=label, today=today, progress=progress)
    trail.record_file("opportunities", path, file_label=label, counts=_counts(report))
    return report


@transaction.atomic
def do_import_wallets(
    user: User, path: Path, *, file_label: str | None = None, progress: Progress | None = None
) -> ImportReport:
    """Import wallet estimates (customer, category, amount) from CSV or Excel, all or
    nothing, as ``do_import_opportunities``; a row replaces the account's estimate for
    that category."""
    check_permission(user, Permission.IMPORT_DATA)
    label = file_label or path.name
    with quiet():
        report = import_wallets(user, path, file_label=label, progress=progress)
    trail.record_file("wallet estimates", path, file_label=label, counts=_counts(report))
    return report
