"""The programme view's figures: concentration over time and each KPI's course against its
target, as plain-dict Plotly figures for the page (``kam.charts.Figure``, and its look)."""

from collections.abc import Sequence
from datetime import date

from kam.analytics.program.concentration import ConcentrationPoint
from kam.charts import (
    ACCENT,
    GRID_LINE,
    HIGHLIGHT,
    QUIET,
    REFERENCE,
    Figure,
    figure_json,
    style,
)


def concentration_figure(points: Sequence[ConcentrationPoint], hhi_alert: float) -> str:
    """Shares of revenue held by the largest 1, 5 and 10 customers, and the HHI, by quarter."""
    days = [point.as_of.isoformat() for point in points]
    figure = Figure()
    for n, colour in ((1, HIGHLIGHT), (5, ACCENT), (10, QUIET)):
        shares = [p.revenue_share[n] for p in points]
        figure.add_scatter(
            x=days, y=shares, name=f"Top {n}", mode="lines+markers",
            line={"color": colour, "width": 2},
            hovertemplate="%{y:.1%}<extra>top " + str(n) + "</extra>",
        )  # fmt: skip
    figure.add_scatter(
        x=days, y=[p.hhi_revenue for p in points], name="HHI", yaxis="y2",
        mode="lines", line={"color": REFERENCE, "dash": "dot"},
        hovertemplate="HHI %{y:,.0f}<extra></extra>",
    )  # fmt: skip
    style(
        figure,
        height=260,
        yaxis={"tickformat": ".0%", "rangemode": "tozero", "title": "share of revenue"},
        yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
                "title": f"HHI (alert {hhi_alert:,.0f})",
                # what plotly's update_yaxes gave every y axis, as kam.charts.style gives y
                "automargin": True, "gridcolor": GRID_LINE, "zeroline": False},
    )  # fmt: skip
    return figure_json(figure)


def kpi_trend_figure(course: Sequence[tuple[date, float | None]], target: float, unit: str) -> str:
    """One KPI's values at each point with its target as a dashed line: a small picture."""
    days = [day.isoformat() for day, _value in course]
    values = [value for _day, value in course]
    figure = Figure()
    figure.add_scatter(
        x=days, y=values, mode="lines+markers", line={"color": ACCENT, "width": 2},
        hovertemplate="%{y:.1f}" + unit + "<extra></extra>", name="value",
    )  # fmt: skip
    figure.add_scatter(
        x=[days[0], days[-1]], y=[target, target], mode="lines", name="target",
        line={"color": HIGHLIGHT, "dash": "dash", "width": 1}, hoverinfo="skip",
    )  # fmt: skip
    style(
        figure,
        height=70,
        showlegend=False,
        margin={"l": 2, "r": 2, "t": 4, "b": 4},
        xaxis={"visible": False},
        yaxis={"visible": False},
    )
    return figure_json(figure)
