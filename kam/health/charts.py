"""The health pages' figures: an account's score history, and a backtest's AUCs and
calibration."""

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from kam.charts import ACCENT, REFERENCE, figure_json, style
from kam.health.queries import HistoryPoint


def history_figure(points: Sequence[HistoryPoint]) -> str:
    """The account's score in each run, as a line on a 0–100 axis, one step per run in
    the order they were made: several runs can share an as-of date (a rescoring after a
    meeting logged scores as of the same latest transaction as the run before it), so
    the date labels the first run of each date and the hover names every point. A
    rescoring is an open marker."""
    figure = go.Figure()
    steps = list(range(len(points)))
    kinds = ["rescored after a change" if p.rescored else "scoring run" for p in points]
    figure.add_scatter(
        x=steps,
        y=[p.score for p in points],
        mode="lines+markers",
        line={"color": ACCENT},
        marker={
            "symbol": ["circle-open" if p.rescored else "circle" for p in points],
            "size": 8,
        },
        customdata=[[p.as_of.isoformat(), kind] for p, kind in zip(points, kinds, strict=True)],
        hovertemplate="as of %{customdata[0]} (%{customdata[1]}): %{y:.0f}<extra></extra>",
    )
    style(figure, height=220, showlegend=False)
    firsts = [i for i, p in enumerate(points) if i == 0 or p.as_of != points[i - 1].as_of]
    figure.update_xaxes(
        tickmode="array",
        tickvals=firsts,
        ticktext=[points[i].as_of.strftime("%-d %b %Y") for i in firsts],
        range=[-0.5, len(points) - 0.5],
    )
    figure.update_yaxes(range=[0, 100], title_text="health")
    return figure_json(figure)


LABELS = {"health": "Health", "revenue_trend": "Revenue trend alone", "recency": "Recency alone"}


def backtest_figure(figures: dict[str, Any]) -> str:
    """ROC AUC of the health score and of each baseline, with the coin's 0.5 marked."""
    figure = go.Figure()
    names = list(LABELS)
    figure.add_bar(
        x=[LABELS[name] for name in names],
        y=[figures["auc"][name] for name in names],
        marker_color=[ACCENT if name == "health" else REFERENCE for name in names],
        hovertemplate="%{x}: AUC %{y:.3f}<extra></extra>",
        text=[f"{figures['auc'][name]:.3f}" for name in names],
        textposition="outside",
    )
    figure.add_hline(y=0.5, line_dash="dot", line_color=REFERENCE)
    style(figure, height=260, showlegend=False)
    figure.update_yaxes(range=[0, 1], title_text="ROC AUC")
    return figure_json(figure)


def calibration_figure(figures: dict[str, Any]) -> str:
    """The bad-outcome rate per health band."""
    figure = go.Figure()
    bands = figures["calibration"]
    figure.add_bar(
        x=[band["band"] for band in bands],
        y=[band["bad_rate"] for band in bands],
        customdata=[band["accounts"] for band in bands],
        marker_color=ACCENT,
        hovertemplate="health %{x}: %{y:.0%} bad of %{customdata:,} accounts<extra></extra>",
    )
    style(figure, height=260, showlegend=False)
    figure.update_yaxes(range=[0, 1], tickformat=".0%", title_text="bad outcomes")
    figure.update_xaxes(title_text="health score band")
    return figure_json(figure)
