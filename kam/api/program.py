"""The programme view: its figures (concentration, KPIs, measured return, post-launch
answers), the KPI board per scope, the account P&L (financial) and setting a KPI target —
the same reads and writes as /program/, with the same permissions."""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from kam.api import access
from kam.api.errors import Refused
from kam.api.schemas import LINE, MAX_ID, finite, responses
from kam.people.roles import Permission
from kam.performance import figures, services
from kam.performance.models import KpiTarget

router = Router(tags=["programme"])

Scope = Literal["program", "tier", "manager", "account"]


class TargetIn(Schema):
    """A KPI's target for the programme, a tier, a manager or an account."""

    kpi: str = Field(..., min_length=1, max_length=40, pattern=LINE)
    target: float = Field(..., ge=-1_000, le=1_000, allow_inf_nan=False)
    scope: Scope = "program"
    scope_key: str = Field("", max_length=150, pattern=LINE)
    revision: int | None = Field(None, ge=0, le=MAX_ID)


@router.get("/program", response=responses(dict[str, Any]), summary="The programme's figures")
def programme(request: HttpRequest) -> dict[str, Any]:
    """Concentration over time, the programme's KPIs against target, the measured return,
    the post-launch answers and the checklist's maturity (money figures only for users who
    may see financial figures)."""
    user = access.allow_all(request, Permission.VIEW_ACCOUNTS)
    return dict(finite(figures.programme_figures(user)))


@router.get("/program/kpis", response=responses(list[dict[str, Any]]), summary="The KPI board")
def kpis(request: HttpRequest, scope: Scope = Query("tier")) -> list[dict[str, Any]]:
    """Every KPI of every tier, manager or key account (or the programme)."""
    user = access.allow_all(request, Permission.VIEW_ACCOUNTS)
    return list(finite(figures.kpi_board_figures(user, scope)))


@router.get("/program/pnl", response=responses(dict[str, Any]), summary="The account P&L")
def pnl(request: HttpRequest) -> dict[str, Any]:
    """Each key account's P&L, per manager and tier; needs the financials permission."""
    user = access.allow_all(request, Permission.VIEW_FINANCIALS)
    return dict(finite(figures.pnl_figures(user) or {}))


@router.put(
    "/program/targets",
    response=responses(dict[str, Any], conflict=True),
    summary="Set a KPI target",
)
def set_target(request: HttpRequest, body: TargetIn) -> dict[str, Any]:
    """Set a KPI's target; ``revision`` is the one last read (none: no target was set)."""
    user = access.allow_all(request, Permission.MANAGE_PROGRAM)
    try:
        saved: KpiTarget = services.do_set_kpi_target(
            user, body.kpi, body.target, scope=body.scope, scope_key=body.scope_key,
            revision=body.revision,
        )  # fmt: skip
    except services.ProgramError as error:
        raise Refused(400, str(error), field=error.field or None) from None
    return {
        "kpi": saved.kpi,
        "scope": saved.scope,
        "scope_key": saved.scope_key,
        "target": saved.target,
        "revision": saved.revision,
    }
