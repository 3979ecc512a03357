"""The portfolio page's pictures as Plotly JSON, drawn in the browser by kam.js."""

from typing import Any

from kam.charts import ACCENT, HIGHLIGHT, QUIET, REFERENCE, Figure, figure_json, style
from kam.selection.models import QuadrantChoice, TierChoice

TIER_COLOURS = {
    TierChoice.TIER_1.value: ACCENT,
    TierChoice.TIER_2.value: "#3f8fc4",
    TierChoice.TIER_3.value: "#9fc3de",
    TierChoice.HIGH_POTENTIAL.value: HIGHLIGHT,
    TierChoice.NOT_KEY.value: QUIET,
}

BLUES = [
    [i / 8, colour]
    for i, colour in enumerate(
        ("rgb(247,251,255)", "rgb(222,235,247)", "rgb(198,219,239)", "rgb(158,202,225)",
         "rgb(107,174,214)", "rgb(66,146,198)", "rgb(33,113,181)", "rgb(8,81,156)",
         "rgb(8,48,107)")
    )
]  # fmt: skip
"""ColorBrewer's Blues as plotly spells out its "Blues" (Plotly.js's own differs)."""


def _style(figure: Figure, *, height: int) -> None:
    style(figure, height=height, legend={"orientation": "h", "y": 1.1, "x": 0})
    figure.update_xaxes(gridcolor="#eef2f6")


def pareto_figure(
    points: list[dict[str, Any]], buying: int, key_accounts: int, key_share: float
) -> str:
    """The 80/20 curve, the 80% line, and the key-account cut as a vertical line."""
    x = [p["pareto_rank"] / buying * 100 for p in points]
    y = [p["cumulative_share"] * 100 for p in points]
    figure = Figure()
    figure.add_scatter(
        x=x, y=y, mode="lines", name="Cumulative revenue", line={"color": ACCENT, "width": 2.5},
        hovertemplate="top %{x:.1f}% of customers<br>%{y:.1f}% of revenue<extra></extra>",
    )  # fmt: skip
    cut = key_accounts / buying * 100 if buying else 0
    figure.add_vline(
        x=cut, line={"color": HIGHLIGHT, "dash": "dash"},
        annotation_text=f"key-account cut: {key_accounts:,} accounts, {key_share:.0%} of revenue",
        annotation_position="bottom right",
    )  # fmt: skip
    figure.add_hline(y=80, line={"color": REFERENCE, "dash": "dot"})
    _style(figure, height=320)
    figure.update_xaxes(title="customers, largest first (%)", range=[0, 100], ticksuffix="%")
    figure.update_yaxes(title="share of revenue", range=[0, 101], ticksuffix="%")
    figure.update_layout(showlegend=False)
    return figure_json(figure)


def heatmap_figure(cells: list[dict[str, Any]]) -> str | None:
    """Revenue by region (rows) × segment (columns)."""
    if not cells:
        return None
    regions = sorted({c["region"] or "—" for c in cells})
    segments = sorted({c["segment"] or "—" for c in cells})
    value = {((c["region"] or "—"), (c["segment"] or "—")): c for c in cells}
    z = [[(value.get((r, s)) or {}).get("revenue_12m") for s in segments] for r in regions]
    text = [
        [
            f"{v['customers']} customers, {v['key_accounts']} key"
            if (v := value.get((r, s)))
            else ""
            for s in segments
        ]
        for r in regions
    ]
    figure = Figure().add_trace(
        "heatmap",
        z=z, x=segments, y=regions, text=text, colorscale=BLUES,
        hovertemplate="%{y} · %{x}<br>revenue %{z:,.0f}<br>%{text}<extra></extra>",
        colorbar={"title": {"text": "revenue"}, "tickformat": "~s"},
    )  # fmt: skip
    _style(figure, height=max(220, 48 * len(regions) + 90))
    return figure_json(figure)


def _cut(rows: list[dict[str, Any]], axis: str) -> float:
    """The snapshot's cut on ``axis``, else the mean of the key accounts drawn."""
    recorded = rows[0].get(f"{axis}_cut")
    return float(recorded) if recorded is not None else sum(r[axis] for r in rows) / len(rows)


def _axis_floor(rows: list[dict[str, Any]], axis: str, cut: float) -> float:
    """Where an axis starts: a little below the lowest bubble and the cut, never below 1."""
    lowest = min(min(r[axis] for r in rows), cut)
    return max(1.0, round(lowest - 0.25, 1))


def four_box_figure(bubbles: list[dict[str, Any]], cut: float | None) -> str | None:
    """McDonald's matrix: relationship strength (x) × attractiveness (y), bubble = revenue."""
    rows = [b for b in bubbles if b["attractiveness"] is not None and b["relationship"] is not None]
    if not rows:
        return None
    biggest = max((r["revenue_12m"] or 0) for r in rows) or 1
    figure = Figure()
    for tier, label in TierChoice.choices:
        group = [r for r in rows if r["tier"] == tier]
        if not group:
            continue
        figure.add_scatter(
            x=[r["relationship"] for r in group],
            y=[r["attractiveness"] for r in group],
            mode="markers",
            name=str(label),
            text=[r["name"] for r in group],
            customdata=[[r["customer_id"], r["revenue_12m"] or 0] for r in group],
            marker={
                "size": [max(6.0, 46 * ((r["revenue_12m"] or 0) / biggest) ** 0.5) for r in group],
                "color": TIER_COLOURS.get(tier, ACCENT),
                "line": {"color": "white", "width": 1},
                "opacity": 0.85,
            },
            hovertemplate="%{text}<br>relationship %{x:.2f} · attractiveness %{y:.2f}"
            "<br>revenue %{customdata[1]:,.0f}<extra></extra>",
        )
    # Without a fixed cut the policy cuts each axis at the key accounts' mean (these bubbles).
    x_cut = cut if cut is not None else _cut(rows, "relationship")
    y_cut = cut if cut is not None else _cut(rows, "attractiveness")
    # Zoom to the key accounts (they sit high on both axes), keeping both cuts in view.
    x_lo, y_lo = (
        _axis_floor(rows, "relationship", x_cut),
        _axis_floor(rows, "attractiveness", y_cut),
    )
    for x, y, quadrant, x_anchor, y_anchor in (
        (x_lo, 5.0, QuadrantChoice.STAR, "left", "top"),
        (5.0, 5.0, QuadrantChoice.STRATEGIC, "right", "top"),
        (x_lo, y_lo, QuadrantChoice.STREAMLINE, "left", "bottom"),
        (5.0, y_lo, QuadrantChoice.STATUS, "right", "bottom"),
    ):
        figure.add_annotation(
            x=x, y=y, text=f"<b>{quadrant.label}</b>", showarrow=False,
            font={"color": "#6b7f94"}, xanchor=x_anchor, yanchor=y_anchor,
        )  # fmt: skip
    figure.add_vline(x=x_cut, line={"color": REFERENCE})
    figure.add_hline(y=y_cut, line={"color": REFERENCE})
    _style(figure, height=460)
    figure.update_xaxes(title="relationship strength (points)", range=[x_lo, 5.05])
    figure.update_yaxes(title="account attractiveness (points)", range=[y_lo, 5.05])
    return figure_json(figure)
