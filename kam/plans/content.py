"""A plan's content as plain JSON — what a version freezes and what the exported document
shows — and the diff summary between two such snapshots.

Rows (objectives, risks, actions) are matched by id, so a renamed action reads as changed,
not as one removed and one added.
"""

from collections.abc import Iterable
from typing import Any

from kam.plans.models import AccountPlan
from kam.plans.sections import SECTION_BY_KEY, SECTIONS, SectionKind, empty_content

Snapshot = dict[str, Any]


def _name(user: Any) -> str:
    return user.display_name if user is not None else ""


def plan_rows(plan: AccountPlan, name: str, *joined: str) -> list[Any]:
    """The plan's ``name`` rows ("risks", "actions", ...) in their model's order: those read
    with the plan (``read_whole``) when it was, else one query joining ``joined``."""
    manager = getattr(plan, name)
    if name in getattr(plan, "_prefetched_objects_cache", {}):
        return list(manager.all())
    return list(manager.select_related(*joined))


def snapshot_of(plan: AccountPlan) -> Snapshot:
    """Everything a reader of the plan sees, as JSON-safe data (the stakeholder map excepted:
    it is live from the relationships app and is drawn when the document is rendered).
    """
    stored = {section.key: section.content for section in plan.sections.all()}
    sections = {
        spec.key.value: stored.get(spec.key.value, empty_content(spec))
        for spec in SECTIONS
        if spec.kind in (SectionKind.TEXT, SectionKind.LISTS)
    }
    objectives = list(plan.objectives.all())
    titles = {objective.id: objective.title for objective in objectives}
    return {
        "title": plan.title,
        "status": plan.status,
        "horizon_months": plan.horizon_months,
        "starts_on": plan.starts_on.isoformat(),
        "alignment_level": plan.alignment_level,
        "sections": sections,
        "objectives": [
            {"id": objective.id, "title": objective.title, "measure": objective.measure}
            for objective in objectives
        ],
        "targets": [
            {
                "year": target.year,
                "revenue": float(target.revenue),
                "growth_percent": None
                if target.growth_percent is None
                else float(target.growth_percent),
                "note": target.note,
            }
            for target in plan.targets.all()
        ],
        "risks": [
            {
                "id": risk.id,
                "risk": risk.risk,
                "likelihood": risk.likelihood,
                "impact": risk.impact,
                "mitigation": risk.mitigation,
                "owner": _name(risk.owner),
                "status": risk.status,
            }
            for risk in plan_rows(plan, "risks", "owner")
        ],
        "actions": [
            {
                "id": action.id,
                "action": action.action,
                "owner": _name(action.owner),
                "due_on": action.due_on.isoformat(),
                "status": action.status,
                "objective": titles.get(action.objective_id, "") if action.objective_id else "",
            }
            for action in plan_rows(plan, "actions", "owner")
        ],
    }


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _row_changes(
    noun: str, label: str, old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]]
) -> list[str]:
    before = {row["id"]: row for row in old}
    after = {row["id"]: row for row in new}
    changes = []
    added = [after[key][label] for key in after.keys() - before.keys()]
    removed = [before[key][label] for key in before.keys() - after.keys()]
    if added:
        changes.append(f"{_plural(len(added), noun)} added: {', '.join(sorted(added))}")
    if removed:
        changes.append(f"{_plural(len(removed), noun)} removed: {', '.join(sorted(removed))}")
    for key in sorted(after.keys() & before.keys()):
        was, now = before[key], after[key]
        if "status" in now and was["status"] != now["status"]:
            changes.append(
                f"{noun.capitalize()} '{now[label]}': {was['status'].replace('_', ' ')}"
                f" → {now['status'].replace('_', ' ')}"
            )
        elif {k: v for k, v in was.items() if k != "status"} != {
            k: v for k, v in now.items() if k != "status"
        }:
            changes.append(f"{noun.capitalize()} '{now[label]}' edited")
    return changes


def _target_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    before = {row["year"]: row for row in old}
    after = {row["year"]: row for row in new}
    changes = []
    for year in sorted(before.keys() | after.keys()):
        if year not in before:
            changes.append(f"Target for {year} set: {after[year]['revenue']:,.0f}")
        elif year not in after:
            changes.append(f"Target for {year} removed")
        elif before[year]["revenue"] != after[year]["revenue"]:
            changes.append(
                f"Target for {year}: {before[year]['revenue']:,.0f} → {after[year]['revenue']:,.0f}"
            )
        elif before[year] != after[year]:
            changes.append(f"Target for {year} edited")
    return changes


def _section_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    changes = []
    for key, content in new.items():
        spec = SECTION_BY_KEY[key]
        previous = old.get(key, empty_content(spec))
        if previous == content:
            continue
        if spec.kind is SectionKind.LISTS:
            parts = []
            for name, label in spec.parts:
                was, now = set(previous.get(name, [])), set(content.get(name, []))
                if was != now:
                    delta = [f"+{len(now - was)}" if now - was else ""]
                    delta.append(f"−{len(was - now)}" if was - now else "")
                    parts.append(f"{label} {' '.join(d for d in delta if d)}".strip())
            changes.append(f"{spec.title}: {', '.join(parts) or 'reordered'}")
        elif not str(previous.get("text", "")).strip():
            changes.append(f"{spec.title} written")
        elif not str(content.get("text", "")).strip():
            changes.append(f"{spec.title} cleared")
        else:
            changes.append(f"{spec.title} revised")
    return changes


def diff_snapshots(old: Snapshot | None, new: Snapshot) -> list[str]:
    """What changed from ``old`` to ``new``, one line per change, in document order.

    ``old`` None means there is no earlier version.
    """
    if old is None:
        return ["First version"]
    changes = []
    if old["horizon_months"] != new["horizon_months"]:
        changes.append(f"Horizon: {old['horizon_months']} → {new['horizon_months']} months")
    if old["status"] != new["status"]:
        changes.append(f"Status: {old['status']} → {new['status']}")
    changes += _row_changes("objective", "title", old["objectives"], new["objectives"])
    changes += _target_changes(old["targets"], new["targets"])
    changes += _section_changes(old["sections"], new["sections"])
    changes += _row_changes("risk", "risk", old["risks"], new["risks"])
    changes += _row_changes("action", "action", old["actions"], new["actions"])
    return changes or ["No changes since the previous version"]
