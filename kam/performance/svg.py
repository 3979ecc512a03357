"""The portfolio review's charts as self-contained SVG images: the PDF runs no JavaScript,
and vector images stay sharp in print. Every text from the data is escaped."""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape

from kam.charts import ACCENT, HIGHLIGHT, QUIET, REFERENCE
from kam.plans.charts import GRID, INK, MUTED, _nice_step

FONT = 'font-family="Helvetica, Arial, sans-serif"'


@dataclass(frozen=True)
class Series:
    """A line or a set of points: x and y values, a colour, a legend name."""

    name: str
    xs: Sequence[float]
    ys: Sequence[float | None]
    colour: str = ACCENT
    points: bool = False
    sizes: Sequence[float] = field(default_factory=tuple)


@dataclass(frozen=True)
class Axis:
    """An axis's range and how its ticks read."""

    low: float
    high: float
    ticks: Sequence[tuple[float, str]]
    title: str = ""


def ticks_between(
    low: float, high: float, label: Callable[[float], str]
) -> list[tuple[float, str]]:
    """About four evenly spaced round ticks from ``low`` to ``high``."""
    step = _nice_step(max(high - low, 1e-9))
    first = math.ceil(low / step) * step
    ticks, value = [], first
    while value <= high + step / 1e6:
        ticks.append((value, label(value)))
        value += step
    return ticks


def xy_chart(
    series: Sequence[Series],
    x: Axis,
    y: Axis,
    *,
    label: str,
    width: int = 460,
    height: int = 300,
    vertical: Sequence[float] = (),
    horizontal: Sequence[float] = (),
) -> str:
    """Lines and points over two axes, with reference lines and a legend: one SVG."""
    left, right, top, bottom = 64, 30, 34, 44
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(value: float) -> float:
        return left + plot_w * (value - x.low) / ((x.high - x.low) or 1)

    def py(value: float) -> float:
        return top + plot_h - plot_h * (value - y.low) / ((y.high - y.low) or 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" {FONT}>'
    ]
    for value, text in y.ticks:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{py(value):.1f}" y2="{py(value):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{py(value) + 4:.1f}" font-size="14" '
            f'fill="{MUTED}" text-anchor="end">{escape(text)}</text>'
        )
    for value, text in x.ticks:
        parts.append(
            f'<text x="{px(value):.1f}" y="{top + plot_h + 16}" font-size="14" fill="{MUTED}" '
            f'text-anchor="middle">{escape(text)}</text>'
        )
    for value in vertical:
        parts.append(
            f'<line x1="{px(value):.1f}" x2="{px(value):.1f}" y1="{top}" y2="{top + plot_h}" '
            f'stroke="{REFERENCE}" stroke-dasharray="4 3"/>'
        )
    for value in horizontal:
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{py(value):.1f}" y2="{py(value):.1f}" '
            f'stroke="{REFERENCE}" stroke-dasharray="4 3"/>'
        )
    for one in series:
        known = [(a, b) for a, b in zip(one.xs, one.ys, strict=True) if b is not None]
        if one.points:
            sizes = list(one.sizes) or [3.5] * len(known)
            for (a, b), size in zip(known, sizes, strict=False):
                parts.append(
                    f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="{size:.1f}" fill="{one.colour}" '
                    'fill-opacity="0.75"/>'
                )
        elif known:
            path = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in known)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{one.colour}" stroke-width="2"/>'
            )
    legend_x = left
    for one in series:
        parts.append(
            f'<rect x="{legend_x}" y="8" width="10" height="10" fill="{one.colour}"/>'
            f'<text x="{legend_x + 14}" y="17" font-size="14" fill="{INK}">'
            f"{escape(one.name)}</text>"
        )
        legend_x += 24 + 8 * len(one.name)
    if x.title:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" font-size="14" fill="{MUTED}" '
            f'text-anchor="middle">{escape(x.title)}</text>'
        )
    if y.title:
        parts.append(
            f'<text x="12" y="{top + plot_h / 2:.1f}" font-size="14" fill="{MUTED}" '
            f'text-anchor="middle" transform="rotate(-90 12 {top + plot_h / 2:.1f})">'
            f"{escape(y.title)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(bars: Sequence[tuple[str, float]], *, label: str, width: int = 460) -> str:
    """Horizontal bars, one a row, the value printed at the end of each."""
    row, left, right = 28, 130, 50
    height = 16 + row * max(len(bars), 1)
    peak = max((value for _name, value in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" {FONT}>'
    ]
    for index, (name, value) in enumerate(bars):
        y = 8 + row * index
        length = (width - left - right) * value / peak
        parts.append(
            f'<text x="{left - 8}" y="{y + 14}" font-size="14" fill="{INK}" text-anchor="end">'
            f'{escape(name)}</text><rect x="{left}" y="{y + 2}" width="{length:.1f}" height="16" '
            f'rx="2" fill="{ACCENT}"/><text x="{left + length + 6:.1f}" y="{y + 14}" '
            f'font-size="14" fill="{INK}">{value:,.0f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def data_uri(svg: str) -> str:
    """An SVG as a data: URI, for an <img> the page and the PDF both show."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


TIER_COLOURS = {"tier_1": ACCENT, "tier_2": HIGHLIGHT, "tier_3": QUIET, "high_potential": INK}


def percent(value: float) -> str:
    """A fraction as a whole percentage, for tick labels."""
    return f"{value:.0%}"
