"""Writes to account plans and plan templates. Each function checks the acting user first,
runs in one transaction and raises a domain error (``PlanError``, ``SectionConflict``) the
web page, CLI or API turns into a message.
"""

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from kam.accounts.models import Account
from kam.audit import trail
from kam.audit.choices import Action
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.plans.content import diff_snapshots, snapshot_of
from kam.plans.defaults import default_prompts, default_required
from kam.plans.models import (
    AccountPlan,
    ActionStatus,
    AlignmentLevel,
    PlanAction,
    PlanObjective,
    PlanReview,
    PlanRisk,
    PlanSection,
    PlanStatus,
    PlanTarget,
    PlanTemplate,
    PlanVersion,
    ReviewKind,
    RiskStatus,
)
from kam.plans.sections import (
    SECTION_BY_KEY,
    SECTIONS,
    SectionKind,
    SectionSpec,
    empty_content,
)
from kam.plans.signals import plan_changed
from kam.plans.stakeholders import alignment_level_of
from kam.revisions import (
    UNCHECKED,
    Change,
    EditConflict,
    Expected,
    editor_name,
    save_or_create,
    save_revision,
)
from kam.revisions import saved as revision_saved


class PlanError(ValueError):
    """A change the plan's rules refuse; the message says why, in words for the user."""


class SectionConflict(EditConflict):
    """Someone saved the section after the editor opened it: nothing was written.

    Carries both contents so the page can show them side by side, part by part.
    """

    def __init__(self, section: PlanSection, submitted: dict[str, Any], expected_revision: int):
        spec = SECTION_BY_KEY[section.key]
        super().__init__(
            spec.title,
            by=editor_name(section.updated_by),
            expected=expected_revision,
            current=section.revision,
            changes=_section_changes(spec, section.content, submitted),
        )
        self.section = section
        self.current = section.content
        self.submitted = submitted
        self.current_revision = section.revision
        self.expected_revision = expected_revision


def _section_changes(
    spec: SectionSpec, saved: Mapping[str, Any], yours: Mapping[str, Any]
) -> list[Change]:
    if spec.kind is SectionKind.LISTS:
        return [
            Change(label, "\n".join(saved.get(name, [])), "\n".join(yours.get(name, [])))
            for name, label in spec.parts
        ]
    return [Change(spec.title, str(saved.get("text", "")), str(yours.get("text", "")))]


def _check_writable(plan: AccountPlan) -> None:
    if plan.status == PlanStatus.ARCHIVED:
        raise PlanError("This plan is archived and kept for the record; start a new plan instead.")


def _changed(user: User, plan: AccountPlan) -> None:
    """Announce that an edit moved the plan (``plan_changed``): its freshness, actions or
    risks are part of the account's health."""
    plan_changed.send(sender=AccountPlan, instance=plan, user=user)


def _touch(user: User, plan: AccountPlan) -> None:
    """The plan was edited now: its ``updated_at`` moves (one UPDATE, which the ORM's
    ``post_save`` does not see) and the edit is announced."""
    AccountPlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())
    _changed(user, plan)


def template_for(level: str) -> PlanTemplate:
    """The template of ``level`` (an unsaved default when the Head of KAM has none stored)."""
    template = PlanTemplate.objects.filter(alignment_level=level).first()
    if template is None:
        template = PlanTemplate(
            alignment_level=level,
            required_sections=default_required(level),
            prompts=default_prompts(level),
        )
    return template


@transaction.atomic
def do_create_plan(
    user: User,
    account: Account,
    *,
    today: date,
    horizon_months: int = 24,
    title: str = "",
    owner: User | None = None,
) -> AccountPlan:
    """Start a draft plan for ``account`` from the template of the account's alignment level."""
    check_permission(user, Permission.EDIT_PLANS, on=account)
    if not 12 <= horizon_months <= 36:
        raise PlanError("An account plan looks 12 to 36 months ahead.")
    level = alignment_level_of(account)
    template = template_for(level)
    plan = AccountPlan.objects.create(
        account=account,
        title=title.strip() or f"{account.name} account plan {today.year}",
        horizon_months=horizon_months,
        starts_on=today,
        alignment_level=level,
        owner=owner or user,
    )
    PlanSection.objects.bulk_create(
        PlanSection(
            plan=plan,
            key=spec.key.value,
            content=empty_content(spec),
            prompt=template.prompts.get(spec.key.value, spec.default_prompt),
        )
        # Every section gets a row to carry its prompt; only text and list sections use content.
        for spec in SECTIONS
    )
    _changed(user, plan)
    return plan


@transaction.atomic
def do_update_plan_settings(
    user: User, plan: AccountPlan, *, title: str, horizon_months: int, owner: User | None
) -> AccountPlan:
    """Rename the plan, change its horizon (12–36 months) or its owner."""
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    _check_writable(plan)
    if not 12 <= horizon_months <= 36:
        raise PlanError("An account plan looks 12 to 36 months ahead.")
    plan.title, plan.horizon_months, plan.owner = title.strip() or plan.title, horizon_months, owner
    plan.save(update_fields=["title", "horizon_months", "owner", "updated_at"])
    _changed(user, plan)
    return plan


@transaction.atomic
def do_hand_over_plans(user: User, owners: Mapping[str, User]) -> int:
    """Make each account's manager the owner of its draft and active plans ({customer: user}).

    The plan follows the key account manager: when a selection cycle hands an account to
    someone else, its plan is theirs to keep. Archived plans keep the owner of their day.
    Returns how many plans changed owner.
    """
    check_permission(user, Permission.EDIT_PLANS)
    changed = 0
    for customer_id, owner in owners.items():
        plans = list(
            AccountPlan.objects.filter(account__customer_id=customer_id)
            .exclude(status=PlanStatus.ARCHIVED)
            .exclude(owner=owner)
        )
        before = {plan.pk: plan.owner_id for plan in plans}
        changed += AccountPlan.objects.filter(pk__in=before).update(
            owner=owner, updated_at=timezone.now()
        )

        def owner_change(
            plan: AccountPlan, was: dict[int, int | None] = before, now: int = owner.pk
        ) -> dict[str, list[int | None]]:
            return {"owner": [was[plan.pk], now]}

        trail.record_each(Action.CHANGED, plans, owner_change)
    return changed


def _clean_content(spec: SectionSpec, content: Mapping[str, Any]) -> dict[str, Any]:
    if spec.kind is SectionKind.LISTS:
        cleaned: dict[str, Any] = {}
        for name, _label in spec.parts:
            items = content.get(name, [])
            if isinstance(items, str):
                items = items.splitlines()
            cleaned[name] = [str(item).strip() for item in items if str(item).strip()]
        return cleaned
    return {"text": str(content.get("text", "")).strip()}


@transaction.atomic
def do_update_section(
    user: User,
    plan: AccountPlan,
    key: str,
    content: Mapping[str, Any],
    *,
    expected_revision: int,
) -> PlanSection:
    """Save a text or list section, unless someone saved it since ``expected_revision``.

    The compare-and-set is one UPDATE guarded by the revision, so two concurrent saves
    cannot both pass: the second raises ``SectionConflict`` and writes nothing.
    """
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    _check_writable(plan)
    spec = SECTION_BY_KEY.get(key)
    if spec is None or spec.kind not in (SectionKind.TEXT, SectionKind.LISTS):
        raise PlanError(f"{key!r} is not a section that is written as text.")
    cleaned = _clean_content(spec, content)
    PlanSection.objects.get_or_create(plan=plan, key=key, defaults={"content": empty_content(spec)})
    stored = PlanSection.objects.filter(plan=plan, key=key, revision=expected_revision).first()
    written = PlanSection.objects.filter(plan=plan, key=key, revision=expected_revision).update(
        content=cleaned, revision=F("revision") + 1, updated_by=user, updated_at=timezone.now()
    )
    section = PlanSection.objects.select_related("updated_by").get(plan=plan, key=key)
    if not written:
        raise SectionConflict(section, cleaned, expected_revision)
    if stored is not None and stored.content != section.content:
        trail.record(
            Action.CHANGED, section, changes={"content": [stored.content, section.content]}
        )
    revision_saved.send(sender=PlanSection, instance=section, editor=user)
    _touch(user, plan)
    return section


@transaction.atomic
def do_add_objective(user: User, plan: AccountPlan, title: str, measure: str = "") -> PlanObjective:
    """Add a customer business objective at the end of the list."""
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    _check_writable(plan)
    if not title.strip():
        raise PlanError("An objective needs a title.")
    position = (plan.objectives.aggregate(last=Max("position"))["last"] or 0) + 1
    objective = PlanObjective.objects.create(
        plan=plan, title=title.strip(), measure=measure.strip(), position=position
    )
    _touch(user, plan)
    return objective


@transaction.atomic
def do_remove_objective(user: User, objective: PlanObjective) -> None:
    """Remove an objective; its actions stay, no longer linked to it."""
    check_permission(user, Permission.EDIT_PLANS, on=objective)
    _check_writable(objective.plan)
    objective.delete()
    _touch(user, objective.plan)


@transaction.atomic
def do_set_target(
    user: User,
    plan: AccountPlan,
    *,
    year: int,
    revenue: Decimal,
    growth_percent: Decimal | None = None,
    note: str = "",
    seen: Expected = UNCHECKED,
) -> PlanTarget:
    """Set our revenue target for ``year``; growth is derived from the year before if not given.

    ``seen`` holds the revisions of the plan's targets as the form showed them: a year's
    target set by someone else since is refused with ``EditConflict``.
    """
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    _check_writable(plan)
    if revenue < 0:
        raise PlanError("A revenue target cannot be negative.")
    if growth_percent is None:
        previous = plan.targets.filter(year=year - 1).first()
        if previous is not None and previous.revenue > 0:
            growth_percent = round((revenue / previous.revenue - 1) * 100, 2)
    target, _ = save_or_create(
        PlanTarget,
        {"plan": plan, "year": year},
        seen,
        {"revenue": revenue, "growth_percent": growth_percent, "note": note.strip()},
        what=f"The {year} revenue target",
        editor=user,
    )
    _touch(user, plan)
    assert isinstance(target, PlanTarget)
    return target


@transaction.atomic
def do_add_risk(
    user: User,
    plan: AccountPlan,
    *,
    risk: str,
    likelihood: int,
    impact: int,
    mitigation: str = "",
    owner: User | None = None,
) -> PlanRisk:
    """Add an open risk to the register; likelihood and impact are rated 1–5."""
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    _check_writable(plan)
    if not (1 <= likelihood <= 5 and 1 <= impact <= 5):
        raise PlanError("Likelihood and impact are rated from 1 to 5.")
    if not risk.strip():
        raise PlanError("Describe the risk.")
    added = PlanRisk.objects.create(
        plan=plan,
        risk=risk.strip(),
        likelihood=likelihood,
        impact=impact,
        mitigation=mitigation.strip(),
        owner=owner,
    )
    _touch(user, plan)
    return added


@transaction.atomic
def do_update_risk_status(
    user: User, risk: PlanRisk, status: RiskStatus, *, expected_revision: int | None = None
) -> PlanRisk:
    """Mark a risk open, mitigated or closed (refused if someone changed it since
    ``expected_revision``)."""
    check_permission(user, Permission.EDIT_PLANS, on=risk)
    _check_writable(risk.plan)
    base = risk.revision if expected_revision is None else expected_revision
    save_revision(
        risk, base, {"status": RiskStatus(status).value}, what=f"Risk “{risk.risk}”", editor=user
    )
    _touch(user, risk.plan)
    return risk


@transaction.atomic
def do_add_action(
    user: User,
    plan: AccountPlan,
    *,
    action: str,
    owner: User | None,
    due_on: date,
    objective: PlanObjective | None = None,
) -> PlanAction:
    """Add an open action to the action plan, optionally serving one of the plan's objectives."""
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    _check_writable(plan)
    if not action.strip():
        raise PlanError("Say what the action is.")
    if objective is not None and objective.plan_id != plan.pk:
        raise PlanError("An action can only serve an objective of its own plan.")
    added = PlanAction.objects.create(
        plan=plan, action=action.strip(), owner=owner, due_on=due_on, objective=objective
    )
    _touch(user, plan)
    return added


@transaction.atomic
def do_update_action_status(
    user: User, action: PlanAction, status: ActionStatus, *, expected_revision: int | None = None
) -> PlanAction:
    """Move an action to open, in progress, done or cancelled (refused if someone changed it
    since ``expected_revision``)."""
    check_permission(user, Permission.EDIT_PLANS, on=action)
    _check_writable(action.plan)
    base = action.revision if expected_revision is None else expected_revision
    save_revision(
        action,
        base,
        {"status": ActionStatus(status).value},
        what=f"Action “{action.action}”",
        editor=user,
    )
    _touch(user, action.plan)
    return action


@transaction.atomic
def do_cut_version(user: User, plan: AccountPlan, *, today: date, note: str = "") -> PlanVersion:
    """Freeze the plan's content as the next version, with what changed since the last one."""
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    # Lock the plan row so two people cutting at once get consecutive numbers, not a clash.
    AccountPlan.objects.select_for_update().filter(pk=plan.pk).first()
    previous = plan.versions.order_by("-number").first()
    snapshot = snapshot_of(plan)
    return PlanVersion.objects.create(
        plan=plan,
        number=(previous.number + 1) if previous else 1,
        cut_on=today,
        note=note.strip(),
        snapshot=snapshot,
        changes=diff_snapshots(previous.snapshot if previous else None, snapshot),
        created_by=user,
    )


@transaction.atomic
def do_record_review(
    user: User,
    plan: AccountPlan,
    *,
    held_on: date,
    kind: ReviewKind,
    reviewers: Iterable[User],
    outcome: str,
    today: date,
    customer_participants: str = "",
) -> PlanReview:
    """Record a review of the plan: internal, external, or co-created with the customer."""
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    kind = ReviewKind(kind)
    if held_on > today:
        raise PlanError("A review is recorded after it took place, not before.")
    if not outcome.strip():
        raise PlanError("Write down the outcome of the review.")
    reviewers = list(reviewers)
    if not reviewers:
        raise PlanError("Name at least one reviewer from our side.")
    if kind != ReviewKind.INTERNAL and not customer_participants.strip():
        raise PlanError(f"A {kind.label.lower()} review names who took part at the customer.")
    review = PlanReview.objects.create(
        plan=plan,
        held_on=held_on,
        kind=kind,
        outcome=outcome.strip(),
        customer_participants=customer_participants.strip(),
        recorded_by=user,
    )
    review.reviewers.set(reviewers)
    _changed(user, plan)
    return review


@transaction.atomic
def do_activate_plan(user: User, plan: AccountPlan) -> AccountPlan | None:
    """Make ``plan`` the account's active plan; the plan active until now is archived.

    Returns the plan that was archived, if any.
    """
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    _check_writable(plan)
    previous = (
        AccountPlan.objects.select_for_update()
        .filter(account_id=plan.account_id, status=PlanStatus.ACTIVE)
        .exclude(pk=plan.pk)
        .first()
    )
    if previous is not None:
        previous.status = PlanStatus.ARCHIVED
        previous.save(update_fields=["status", "updated_at"])
    plan.status = PlanStatus.ACTIVE
    plan.save(update_fields=["status", "updated_at"])
    _changed(user, plan)
    return previous


@transaction.atomic
def do_archive_plan(user: User, plan: AccountPlan) -> AccountPlan:
    """Archive a plan: it stays readable, with its versions and reviews, but is no longer edited."""
    check_permission(user, Permission.EDIT_PLANS, on=plan)
    plan.status = PlanStatus.ARCHIVED
    plan.save(update_fields=["status", "updated_at"])
    _changed(user, plan)
    return plan


@transaction.atomic
def do_save_template(
    user: User,
    level: str,
    *,
    required_sections: Iterable[str],
    prompts: Mapping[str, str],
    expected_revision: Expected = UNCHECKED,
) -> PlanTemplate:
    """Store the template of alignment ``level``: required sections and a prompt per section.

    Existing plans keep the prompts they were started with; their completeness is measured
    against the new required sections from now on. ``expected_revision`` is the template's
    revision when the form was opened (None: only the default existed); a save by someone
    else since is refused with ``EditConflict``.
    """
    check_permission(user, Permission.MANAGE_PLAN_TEMPLATES)
    level = AlignmentLevel(level).value
    required = [key for key in required_sections if key in SECTION_BY_KEY]
    unknown = set(required_sections) - set(required)
    if unknown:
        raise PlanError(f"Unknown sections: {', '.join(sorted(unknown))}.")
    if not required:
        raise PlanError("A template requires at least one section.")
    order = [spec.key.value for spec in SECTIONS]
    template, _ = save_or_create(
        PlanTemplate,
        {"alignment_level": level},
        expected_revision,
        {
            "required_sections": sorted(set(required), key=order.index),
            "prompts": {key: str(prompts.get(key, "")).strip() for key in order},
        },
        what=f"The plan template for {AlignmentLevel(level).label}",
        editor=user,
        labels={"required_sections": "Required sections", "prompts": "Prompts"},
    )
    assert isinstance(template, PlanTemplate)
    return template
