"""The programme's figures as plain data (JSON-ready), for the command line and the API:
the same reads as the pages, so the same permission rules and the same absences."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import date
from typing import Any

from kam.analytics.program.pnl import AccountPnl, PnlRollup
from kam.analytics.program.roi import Estimate
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import has_permission
from kam.performance import checklist_queries, kpi_board, measured, queries


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _estimate(estimate: Estimate) -> dict[str, Any]:
    return {
        "method": estimate.method,
        "effect": _number(estimate.effect),
        "low": _number(estimate.low),
        "high": _number(estimate.high),
        "n": estimate.n,
        "bandwidth": _number(estimate.bandwidth),
        "n_below": estimate.n_below,
        "n_above": estimate.n_above,
        "verdict": estimate.verdict.value,
        "why": estimate.why,
    }


def rollup(row: PnlRollup) -> dict[str, Any]:
    """A P&L roll-up with its margin percentage."""
    return {**asdict(row), "gross_margin_pct": _number(row.gross_margin_pct)}


def account_line(row: queries.PnlRow) -> dict[str, Any]:
    """One key account's P&L line."""
    pnl: AccountPnl = row.pnl
    return {
        "customer_id": pnl.customer_id,
        "name": row.name,
        "tier": row.tier,
        "manager": row.manager,
        "revenue": pnl.revenue,
        "cogs": pnl.cogs,
        "gross_margin": pnl.gross_margin,
        "gross_margin_pct": _number(pnl.gross_margin_pct),
        "cost_to_serve": pnl.cost_to_serve,
        "cost_to_serve_source": pnl.cost_source.value if pnl.cost_source else None,
        "contribution": pnl.contribution,
    }


def pnl_figures(user: User, as_of: date | None = None) -> dict[str, Any] | None:
    """The account P&L (refused without the financials permission)."""
    found = queries.pnl(user, as_of)
    if found is None:
        return None
    return {
        "as_of": found.as_of.isoformat(),
        "from": found.start.isoformat(),
        "accounts": [account_line(row) for row in found.rows],
        "by_manager": [rollup(row) for row in found.by_manager],
        "by_tier": [rollup(row) for row in found.by_tier],
        "programme": rollup(found.programme) if found.programme else None,
    }


def _kpi_group(group: kpi_board.Group) -> dict[str, Any]:
    return {
        "scope": group.scope,
        "key": group.key,
        "label": group.label,
        "kpis": [
            {
                "kpi": line.kpi.key,
                "label": line.kpi.label,
                "kind": line.kpi.kind.value,
                "unit": line.kpi.unit,
                "value": _number(line.value),
                "target": line.target,
                "target_set_at": line.target_set_at,
                "status": line.status.value,
                "trend": [[day.isoformat(), _number(value)] for day, value in line.trend],
            }
            for line in group.lines
        ],
    }


def programme_figures(user: User, as_of: date | None = None) -> dict[str, Any]:
    """Concentration, the programme's KPIs, the measured return, the post-launch answers,
    the checklist's maturity (and the P&L's programme line for who may see it)."""
    found = queries.concentration(user, as_of)
    board = kpi_board.kpi_board(user, as_of)
    roi = measured.roi(user)
    answers = measured.post_launch_answers(user, roi)
    figures: dict[str, Any] = {"as_of": found.as_of.isoformat() if found else None}
    if found is not None:
        figures["concentration"] = {
            "points": [
                {
                    "as_of": p.as_of.isoformat(),
                    "customers": p.customers,
                    "revenue_share": {str(n): _number(v) for n, v in p.revenue_share.items()},
                    "hhi_revenue": _number(p.hhi_revenue),
                    **(
                        {
                            "margin_share": {str(n): _number(v) for n, v in p.margin_share.items()},
                            "hhi_margin": _number(p.hhi_margin),
                        }
                        if found.financial
                        else {}
                    ),
                }
                for p in found.points
            ],
            "key_revenue_share": _number(found.key_revenue_share),
            "alerts": list(found.alerts),
        }
    if board is not None:
        figures["kpis"] = _kpi_group(board.programme)
    if roi is not None:
        figures["roi"] = {
            "cycle": roi.cycle,
            "cut": roi.cut.isoformat(),
            "months_after": roi.months_after,
            "key_accounts": roi.key_accounts,
            "matched": _estimate(roi.matched),
            "discontinuity": _estimate(roi.discontinuity),
            "naive_difference": _number(roi.naive),
        }
        if has_permission(user, Permission.VIEW_FINANCIALS):
            figures["roi"].update(
                incremental_revenue=_number(roi.incremental_revenue),
                incremental_contribution=_number(roi.incremental_contribution),
                programme_cost=_number(roi.programme_cost),
                cost_source=roi.cost_source,
                return_on_cost=_number(roi.roi),
            )
    figures["post_launch"] = [
        {"key": a.key, "question": a.question, "answer": a.reply, "figures": a.figures}
        for a in answers
    ]
    figures["checklist_maturity"] = checklist_queries.checklist(user, answers).score
    return figures


def kpi_board_figures(user: User, scope: str, as_of: date | None = None) -> list[dict[str, Any]]:
    """Every KPI of every group of ``scope`` (programme, tier, manager or account)."""
    board = kpi_board.kpi_board(user, as_of)
    if board is None:
        return []
    groups = {
        "program": (board.programme,),
        "tier": board.tiers,
        "manager": board.managers,
        "account": board.accounts,
    }[scope]
    return [_kpi_group(group) for group in groups]
