"""The portfolio review for the leadership meeting (seed 004's balanced portfolio, seed
003's KPIs and return): the Pareto curve, the four-box matrix, the tiers, the movers since
the last scoring, the key accounts' health, the top alerts, the KPIs against target,
concentration and the measured return — one page and the same as a PDF, its charts drawn
as SVG images.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.template.loader import render_to_string

from kam.analytics.program.kpis import Status
from kam.analytics.selection.snapshot import SnapshotError
from kam.people.models import User
from kam.people.roles import Permission
from kam.people.services import check_permission
from kam.performance import kpi_board, measured, queries
from kam.performance.costs import one_page
from kam.performance.health_mix import HealthPicture, key_account_health
from kam.performance.svg import (
    TIER_COLOURS,
    Axis,
    Series,
    bar_chart,
    data_uri,
    percent,
    ticks_between,
    xy_chart,
)
from kam.selection import queries as selection
from kam.selection.models import ScoreRun

MOVERS = 10


@dataclass(frozen=True)
class Review:
    """Everything the review shows; ``charts`` are data: URIs of SVG images by name."""

    as_of: date | None
    run: ScoreRun | None
    portfolio: selection.Portfolio | None
    concentration: queries.Concentration | None
    board: kpi_board.KpiBoard | None
    roi: measured.Roi | None
    answers: list[measured.Answer]
    alerts: list[str]
    charts: dict[str, str]
    health: HealthPicture | None = None


def _pareto(found: selection.Portfolio) -> str:
    buying = max(found.buying, 1)
    xs = [row["pareto_rank"] / buying for row in found.pareto]
    ys = [row["cumulative_share"] for row in found.pareto]
    key_share = found.headline["key_accounts"] / buying
    return xy_chart(
        [Series("Cumulative share of revenue", xs, ys)],
        Axis(0, 1, ticks_between(0, 1, percent), "customers, largest first"),
        Axis(0, 1, ticks_between(0, 1, percent), "revenue"),
        label="Pareto curve of revenue",
        vertical=[key_share],
        horizontal=[0.8],
    )


def _four_box(found: selection.Portfolio) -> str:
    series = []
    for tier, colour in TIER_COLOURS.items():
        rows = [
            b
            for b in found.bubbles
            if b["tier"] == tier and None not in (b["attractiveness"], b["relationship"])
        ]
        if rows:
            label = tier.replace("_", " ").capitalize()
            xs = [r["attractiveness"] for r in rows]
            series.append(Series(label, xs, [r["relationship"] for r in rows], colour, points=True))
    first = found.bubbles[0] if found.bubbles else {}
    cuts = (first.get("attractiveness_cut") or 3.0, first.get("relationship_cut") or 3.0)
    scale = [(v, f"{v:g}") for v in (1, 2, 3, 4, 5)]
    return xy_chart(
        series,
        Axis(1, 5, scale, "attractiveness"),
        Axis(1, 5, scale, "relationship"),
        label="Four-box matrix of the key accounts",
        vertical=[cuts[0]],
        horizontal=[cuts[1]],
    )


def _concentration(found: queries.Concentration) -> str:
    xs = list(range(len(found.points)))
    labels = [(i, p.as_of.strftime("%b %y")) for i, p in enumerate(found.points)]
    series = [
        Series(f"Top {n}", xs, [p.revenue_share[n] for p in found.points], colour)
        for n, colour in ((1, "#d98c1f"), (5, "#1f5f8b"), (10, "#9fb3c8"))
    ]
    peak = max((p.revenue_share[10] or 0 for p in found.points), default=0.1)
    return xy_chart(
        series,
        Axis(0, max(len(xs) - 1, 1), labels),
        Axis(0, peak * 1.1, ticks_between(0, peak * 1.1, percent), "share of revenue"),
        label="Share of revenue held by the largest customers",
    )


def _health(found: HealthPicture) -> str:
    bars = [(f"score {band}", float(count)) for band, count in found.now.labelled]
    bars.append(("no score", float(found.now.missing)))
    return bar_chart(bars, label="Key accounts per band of the health score, and without one")


def _alerts(found: queries.Concentration | None, board: kpi_board.KpiBoard | None) -> list[str]:
    alerts = list(found.alerts) if found else []
    if board is not None:
        for line in board.programme.lines:
            if line.status is Status.BELOW_TARGET and line.value is not None:
                alerts.append(
                    f"{line.kpi.label} is {line.value:.1f}{line.kpi.unit} against a target of "
                    f"{line.target:g}{line.kpi.unit}."
                )
    return alerts


def portfolio_review(user: User) -> Review:
    """The review as of the latest sale (the selection's figures from its latest scoring)."""
    check_permission(user, Permission.VIEW_ACCOUNTS)
    with one_page():
        return _review(user)


def _review(user: User) -> Review:
    run = selection.latest_run()
    found = None
    if run is not None:
        try:
            found = selection.portfolio(user, run)
        except SnapshotError:
            found = None  # the run's snapshot is gone (a restore from an older export)
    keys = queries.key_accounts()
    concentration = queries.concentration(user, keys=keys)
    board = kpi_board.kpi_board(user, keys=keys, programme_only=True)
    roi = measured.roi(user, keys=keys)
    health = key_account_health(user, keys)
    charts: dict[str, str] = {}
    if found is not None and found.pareto:
        charts["pareto"] = data_uri(_pareto(found))
        charts["four_box"] = data_uri(_four_box(found))
        tiers = [(row.label, float(row.total)) for row in found.tier_types if row.total]
        charts["tiers"] = data_uri(bar_chart(tiers, label="Key accounts per tier"))
    if concentration is not None:
        charts["concentration"] = data_uri(_concentration(concentration))
    if health is not None:
        charts["health"] = data_uri(_health(health))
    return Review(
        as_of=concentration.as_of if concentration else None,
        run=run,
        portfolio=found,
        concentration=concentration,
        board=board,
        roi=roi,
        answers=measured.post_launch_answers(user, roi, keys=keys),
        alerts=_alerts(concentration, board),
        charts=charts,
        health=health,
    )


def review_context(review: Review) -> dict[str, Any]:
    """What both the page and the document template read."""
    movers = review.portfolio.movers[:MOVERS] if review.portfolio else []
    return {"review": review, "movers": movers}


def render_review_pdf(review: Review) -> bytes:
    """The review as a PDF, laid out by WeasyPrint from its print template."""
    from weasyprint import HTML  # imported here: loading Pango costs time every page doesn't need

    html = render_to_string("performance/review_document.html", review_context(review))
    return HTML(string=html).write_pdf()
