"""The targets chart: revenue target per year with the growth it means.

Drawn twice from the same numbers: as self-contained SVG for the exported document (the PDF
runs no JavaScript) and as a Plotly figure for the web page.
"""

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from kam.charts import ACCENT, Figure, figure_json, style

INK = "#17212b"
MUTED = "#6b7a89"
GRID = "#e3e8ee"
GOOD = "#1c7c54"
BAD = "#b4232a"


def _nice_step(top: float, ticks: int = 4) -> float:
    raw = top / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def _short(value: float) -> str:
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= limit:
            text = f"{value / limit:.1f}".rstrip("0").rstrip(".")
            return f"{text}{suffix}"
    return f"{value:,.0f}"


def targets_svg(targets: Sequence[dict[str, Any]], *, width: int = 640, height: int = 240) -> str:
    """Revenue targets as an SVG bar chart, one bar per year, growth printed above each bar.

    Returns a short SVG with a message when there are no targets.
    """
    if not targets:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="60" '
            f'viewBox="0 0 {width} 60" role="img" aria-label="No revenue targets set">'
            f'<text x="0" y="34" font-family="sans-serif" font-size="13" fill="{MUTED}">'
            "No revenue targets set yet.</text></svg>"
        )
    left, right, top, bottom = 56, 12, 28, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(float(t["revenue"]) for t in targets) or 1.0
    step = _nice_step(peak)
    axis_top = step * math.ceil(peak / step)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Revenue target per year" '
        'font-family="Helvetica, Arial, sans-serif">'
    ]
    tick = 0.0
    while tick <= axis_top + step / 2:
        y = top + plot_h - plot_h * tick / axis_top
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" font-size="11" fill="{MUTED}" '
            f'text-anchor="end">{_short(tick)}</text>'
        )
        tick += step
    slot = plot_w / len(targets)
    bar = min(72.0, slot * 0.6)
    for index, target in enumerate(targets):
        revenue = float(target["revenue"])
        bar_h = plot_h * revenue / axis_top
        x = left + slot * index + (slot - bar) / 2
        y = top + plot_h - bar_h
        centre = x + bar / 2
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{bar_h:.1f}" rx="3" '
            f'fill="{ACCENT}"><title>{target["year"]}: {revenue:,.0f}</title></rect>'
            f'<text x="{centre:.1f}" y="{y - 6:.1f}" font-size="12" font-weight="bold" '
            f'fill="{INK}" text-anchor="middle">{_short(revenue)}</text>'
            f'<text x="{centre:.1f}" y="{height - 10}" font-size="12" fill="{INK}" '
            f'text-anchor="middle">{escape(str(target["year"]))}</text>'
        )
        growth = target.get("growth_percent")
        if growth is not None:
            colour = GOOD if growth >= 0 else BAD
            sign = "+" if growth >= 0 else ""
            parts.append(
                f'<text x="{centre:.1f}" y="{y - 20:.1f}" font-size="11" fill="{colour}" '
                f'text-anchor="middle">{sign}{growth:.1f}%</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{MUTED}" stroke-width="1"/></svg>'
    )
    return "".join(parts)


def targets_figure(targets: Sequence[dict[str, Any]]) -> str | None:
    """The same chart as Plotly figure JSON for the web page (None when there are no targets)."""
    if not targets:
        return None
    years = [str(t["year"]) for t in targets]
    figure = Figure()
    figure.add_bar(
        x=years,
        y=[float(t["revenue"]) for t in targets],
        marker={"color": ACCENT},
        text=[
            "" if t.get("growth_percent") is None else f"{t['growth_percent']:+.1f}%"
            for t in targets
        ],
        textposition="outside",
        hovertemplate="%{x}<br>%{y:,.0f}<extra></extra>",
    )
    style(
        figure, height=260, margin={"l": 8, "r": 8, "t": 24, "b": 8}, showlegend=False, bargap=0.45
    )
    figure.update_xaxes(type="category", showgrid=False)
    figure.update_yaxes(tickformat="~s", rangemode="tozero")
    return figure_json(figure)
