"""Writes about selection policies, ratings and score runs. Every function checks first.

Cycles, decisions and applying a manager assignment are in ``services.cycles``.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.analytics.clv.future_value import (
    FutureValueSettings,
    FutureValueUnavailable,
    drop_future_value,
    future_value_step,
    with_predicted_clv,
    write_future_value,
)
from kam.analytics.progress import Progress
from kam.analytics.selection.features import account_features
from kam.analytics.selection.policy import (
    CriterionSource,
    PolicyError,
    SelectionPolicy,
    default_policy,
)
from kam.analytics.selection.policy_toml import policy_from_toml, policy_to_toml
from kam.analytics.selection.scoring import score_accounts
from kam.analytics.spark import arrow_view, materialised
from kam.analytics.store import resolve_as_of
from kam.audit import trail
from kam.people.models import User
from kam.people.roles import Permission, Role
from kam.people.services import check_permission
from kam.revisions import Change, check_unchanged
from kam.selection import rating_import, snapshots
from kam.selection.fit_record import future_value_record
from kam.selection.models import KeyAccount, PolicyVersion, Rating, ScoreRun
from kam.selection.queries import latest_ratings
from kam.selection.rating_import import RatingProblem, RatingRow, read_ratings
from kam.stores import analytics_store, lake_engine, on_spark


class SelectionError(ValueError):
    """A selection request cannot be carried out; the message says why in plain words."""


# ---- policies -----------------------------------------------------------------------------


@transaction.atomic
def do_ensure_default_policy() -> PolicyVersion:
    """The latest policy version, creating the shipped default as version 1 on first use.

    No permission check: like ``do_ensure_roles`` it only installs what kam ships.
    """
    latest = PolicyVersion.objects.select_for_update().order_by("-version").first()
    if latest is not None:
        return latest
    policy = default_policy()
    return PolicyVersion.objects.create(
        version=1,
        name=policy.name,
        toml=policy_to_toml(replace(policy, version=1)),
        note="The default policy kam ships, built from the seeds (000–004).",
    )


@transaction.atomic
def do_save_policy(
    user: User,
    policy: SelectionPolicy,
    *,
    note: str = "",
    expected_version: int | None = None,
) -> PolicyVersion:
    """Save ``policy`` as a new version (never changing an old one) and return it.

    ``expected_version`` is the version the edit started from: if someone saved a newer
    one meanwhile, the save is refused with ``EditConflict`` rather than quietly undoing it.
    """
    check_permission(user, Permission.EDIT_POLICY)
    do_ensure_default_policy()
    latest = PolicyVersion.objects.select_related("created_by").order_by("-version").first()
    if latest is not None and expected_version is not None:
        check_unchanged(
            "The selection policy",
            expected=expected_version,
            current=latest.version,
            by=latest.created_by,
            changes=[
                Change("Version", f"v{latest.version}", f"an edit of v{expected_version}"),
                Change("Why this change", latest.note or "—", note.strip() or "—"),
            ],
        )
    number = (latest.version if latest else 0) + 1
    versioned = replace(policy, version=number)
    text = policy_to_toml(versioned)
    if policy_from_toml(text) != versioned:  # the text must carry the policy exactly
        raise SelectionError("the policy does not survive its TOML form; not saved")
    return PolicyVersion.objects.create(
        version=number, name=versioned.name, toml=text, note=note.strip(), created_by=user
    )


def do_import_policy(user: User, text: str, *, note: str = "") -> PolicyVersion:
    """Read a policy from TOML text and save it as a new version; PolicyError names bad keys."""
    check_permission(user, Permission.EDIT_POLICY)
    policy = policy_from_toml(text)
    return do_save_policy(user, policy, note=note or "Imported from a TOML file.")


# ---- ratings ------------------------------------------------------------------------------


def rated_keys(policy: SelectionPolicy) -> tuple[str, ...]:
    """The criteria of ``policy`` that people rate."""
    return tuple(c.key for c in policy.criteria if c.source is CriterionSource.RATED)


@transaction.atomic
def do_rate_account(
    user: User,
    customer_id: str,
    values: dict[str, int | None],
    *,
    note: str = "",
    expected_latest: int | None = None,
) -> list[Rating]:
    """Record ``user``'s ratings (criterion key → 1–5) of one account; None skips a key.

    Earlier ratings stay as history; the latest is the one that counts. ``expected_latest``
    is the id of the account's latest rating when the form was opened (0: none; None: no
    check, as for a command): if someone
    rated the account since, nothing is saved and ``EditConflict`` shows their ratings.
    """
    check_permission(user, Permission.RATE_ACCOUNTS)
    policy = do_ensure_default_policy().policy()
    allowed = rated_keys(policy)
    account = Account.objects.select_for_update().filter(customer_id=customer_id).first()
    if account is None:
        raise SelectionError(f"no account {customer_id!r}")
    check_permission(user, Permission.RATE_ACCOUNTS, on=account)
    if expected_latest is not None:
        since = list(
            Rating.objects.filter(account=account, id__gt=expected_latest)
            .select_related("rated_by")
            .order_by("id")
        )
        labels = {c.key: c.label for c in policy.criteria}
        check_unchanged(
            f"The ratings of {account.name}",
            expected=expected_latest,
            current=since[-1].pk if since else expected_latest,
            by=since[-1].rated_by if since else None,
            changes=[
                Change(
                    labels.get(r.criterion_key, r.criterion_key),
                    str(r.value),
                    str(values.get(r.criterion_key) or "—"),
                )
                for r in since
            ],
        )
    now = timezone.now()
    created = []
    for key, value in values.items():
        if value is None:
            continue
        if key not in allowed:
            raise SelectionError(f"{key!r} is not a rated criterion ({', '.join(allowed)})")
        if not 1 <= int(value) <= 5:
            raise SelectionError(f"{key}: ratings run from 1 to 5, not {value}")
        created.append(
            Rating.objects.create(
                account=account,
                criterion_key=key,
                value=int(value),
                rated_by=user,
                rated_at=now,
                note=note[:300],
            )
        )
    return created


class RatingImportRefused(SelectionError):
    """The ratings file was refused whole; ``problems`` names every bad row."""

    def __init__(self, problems: list[RatingProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the ratings file; nothing was imported")


@transaction.atomic
def do_import_ratings(user: User, path: Path | str, *, file_label: str | None = None) -> int:
    """Import ratings from a CSV file (customer_id, criterion, value[, rated_by]), all or none.

    Returns how many ratings were added; RatingImportRefused lists every bad row by line
    (the header is line 1), column and reason.
    """
    check_permission(user, Permission.RATE_ACCOUNTS)
    path = Path(path)
    read = read_ratings(
        path,
        file_label=file_label or path.name,
        criteria=rated_keys(do_ensure_default_policy().policy()),
        accounts=Account.objects.values_list("customer_id", flat=True),
        users=User.objects.values_list("username", flat=True),
    )
    rows = [row for row in read if isinstance(row, RatingRow)]
    if len(rows) < len(read):
        raise RatingImportRefused([p for p in read if isinstance(p, RatingProblem)])
    raters = {u.username: u for u in User.objects.filter(username__in={r.rated_by for r in rows})}
    if refused := rating_import.refusals(user, rows, raters):
        raise RatingImportRefused(refused)
    now = timezone.now()
    ratings = [
        Rating(
            account_id=row.customer_id,
            criterion_key=row.criterion,
            value=row.value,
            rated_by=raters.get(row.rated_by or "", user),
            rated_at=now,
            note="imported",
        )
        for row in rows
    ]
    Rating.objects.bulk_create(ratings, batch_size=2000)
    trail.record_file(
        "ratings",
        path,
        file_label=file_label or path.name,
        counts={"ratings": len(ratings), "accounts": len({r.account_id for r in ratings})},
    )
    return len(ratings)


# ---- score runs ---------------------------------------------------------------------------


def _future_value(
    con: Any, calc: Any, as_of: date, run_id: str, settings: FutureValueSettings
) -> tuple[dict[str, object], str, Any]:
    """Run the lifetime-value step on ``calc`` and write its table into the store ``con``:
    (record, "", the table as ``calc`` reads it) or ({}, why not, None)."""
    try:
        result = future_value_step(calc, as_of, settings)
    except FutureValueUnavailable as why:
        return {}, str(why), None
    table = write_future_value(con, result, run_id)
    on_calc = con.table(table) if calc is con else arrow_view(calc, f"{table}", result.predictions)
    return future_value_record(result, table), "", on_calc


@contextmanager
def _engines() -> Iterator[tuple[Any, Any]]:
    """(the store open for writing, the backend the run computes on): the same connection
    with the embedded engine (the snapshot is then written straight from the query), Spark
    over the lake with KAM_ANALYTICS_ENGINE=spark (the results stream into the store)."""
    with analytics_store().connect() as con:
        if not on_spark():
            yield con, con
            return
        customers = con.con.execute("SELECT * FROM customers").to_arrow_table()
        with lake_engine(customers) as calc:
            yield con, calc


def manager_capacity() -> int | None:
    """How many key accounts the active key account managers can hold; None without any."""
    managers = User.objects.filter(is_active=True, groups__name=Role.KEY_ACCOUNT_MANAGER.value)
    limits = list(managers.distinct().values_list("max_key_accounts", flat=True))
    return sum(limits) if limits else None


def do_run_scoring(
    user: User,
    policy_version: PolicyVersion | None = None,
    as_of: date | None = None,
    progress: Progress | None = None,
    future_value: FutureValueSettings | None = None,
) -> ScoreRun:
    """Score every account and write the result as a new immutable snapshot.

    The lifetime-value models run first (``future_value`` settings: horizon, discount
    rate, models) and give the policy's ``future_value`` criterion its ``predicted_clv``;
    their per-customer table is written beside the snapshot as ``clv_<snapshot id>``. When
    they cannot be fitted (too few repeat buyers, ...) the criterion stays missing and the
    run says why in ``future_value_note``.

    The key set is the accounts that qualify (the policy's share) as far as the managers'
    capacity covers them (``manager_capacity``), kept stable against the current key
    accounts by the policy's hysteresis bands; the run records the capacity it used.

    Not one transaction on purpose: the run is recorded as RUNNING first, the snapshot is
    written in the analytical store (which swaps it in atomically), then the run is marked
    DONE — or FAILED with the error, which is then raised. Holding a database transaction
    open for a long scoring would block every other writer of the operational database.
    """
    check_permission(user, Permission.RUN_SELECTION)
    with analytics_store().connect(read_only=True) as con:
        if resolve_as_of(con, as_of) is None:
            raise SelectionError(
                "nothing to score yet: the store holds no invoice lines. Import transactions "
                "first (Accounts → Import, or kam import transactions)"
            )
    version = policy_version or do_ensure_default_policy()
    report = progress or (lambda label, fraction: None)
    with transaction.atomic():
        run = ScoreRun.objects.create(policy_version=version, as_of=as_of, created_by=user)
    started = time.perf_counter()
    try:
        policy = version.policy()
        report("reading ratings", 0.05)
        ratings = latest_ratings()
        capacity = manager_capacity()
        incumbents = list(KeyAccount.objects.values_list("account_id", flat=True))
        snapshot_id = f"run{run.pk}"
        # One writable connection for the whole run: the engine then writes the snapshot
        # straight from the scoring query, without a round trip through Python.
        stages = {"scores": 0.15, "explanations": 0.8, "catalogue": 0.85, "swap": 0.9}
        with _engines() as (con, calc):
            resolved = resolve_as_of(con, as_of)
            if resolved is None:  # the lines went away since the check above
                raise SelectionError("nothing to score: the store holds no invoice lines")
            report("future value", 0.08)
            clv, why, predicted = _future_value(
                con, calc, resolved, snapshot_id, future_value or FutureValueSettings()
            )
            try:
                features = account_features(calc, resolved, window_months=policy.as_of_months)
                if calc is not con:
                    # Scored on top of the features' plan, Spark would plan them again.
                    features = materialised(calc, f"kam_features_{snapshot_id}", features)
                if predicted is not None:
                    features = with_predicted_clv(features, predicted)
                scored = score_accounts(
                    calc,
                    policy,
                    ratings,
                    resolved,
                    features=features,
                    capacity=capacity,
                    incumbents=incumbents,
                )
                snapshots.write(
                    con, scored, snapshot_id, lambda name: report(name, stages.get(name, 0.5))
                )
            except BaseException:
                drop_future_value(con, snapshot_id)  # no snapshot, so no table beside it
                raise
            report("counting", 0.95)
            counts = snapshots.headline(snapshots.scores(con, snapshot_id))
    except Exception as error:
        with transaction.atomic():
            ScoreRun.objects.filter(pk=run.pk).update(
                status=ScoreRun.Status.FAILED,
                error=str(error)[:2000],
                seconds=time.perf_counter() - started,
                finished_at=timezone.now(),
            )
        raise
    with transaction.atomic():
        run.as_of = resolved
        run.snapshot_id = snapshot_id
        run.future_value = clv
        run.future_value_note = why
        run.customers = int(counts["customers"])
        run.key_accounts = int(counts["key_accounts"])
        run.qualifying = int(counts["qualifying"])
        run.capacity = capacity
        run.seconds = time.perf_counter() - started
        run.status = ScoreRun.Status.DONE
        run.finished_at = timezone.now()
        run.save()
    report("done", 1.0)
    return run


__all__ = [
    "PolicyError",
    "RatingImportRefused",
    "RatingProblem",
    "SelectionError",
    "do_ensure_default_policy",
    "do_import_policy",
    "do_import_ratings",
    "do_rate_account",
    "do_run_scoring",
    "do_save_policy",
]
