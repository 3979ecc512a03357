"""Every write of the selection app, each checking the acting user's permission first.

``scoring`` holds what a score run is made of — the policy's versions, people's ratings,
the run itself; ``cycles`` the yearly cycle — propose, override, approve, publish — and
applying a manager assignment. Callers import from here: ``services.do_create_cycle``.
"""

from kam.selection.services.cycles import (
    do_apply_assignment,
    do_approve_cycle,
    do_create_cycle,
    do_override_decision,
    do_publish_cycle,
    reasons_for,
)
from kam.selection.services.scoring import (
    PolicyError,
    RatingImportRefused,
    RatingProblem,
    SelectionError,
    do_ensure_default_policy,
    do_import_policy,
    do_import_ratings,
    do_rate_account,
    do_run_scoring,
    do_save_policy,
    rated_keys,
)
from kam.selection.services.sponsors import do_apply_sponsors, do_set_sponsor_capacity

__all__ = [
    "PolicyError",
    "RatingImportRefused",
    "RatingProblem",
    "SelectionError",
    "do_apply_assignment",
    "do_apply_sponsors",
    "do_approve_cycle",
    "do_create_cycle",
    "do_ensure_default_policy",
    "do_import_policy",
    "do_import_ratings",
    "do_override_decision",
    "do_publish_cycle",
    "do_rate_account",
    "do_run_scoring",
    "do_save_policy",
    "do_set_sponsor_capacity",
    "rated_keys",
    "reasons_for",
]
