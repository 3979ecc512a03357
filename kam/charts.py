"""How kam's Plotly charts look: one style for every page's figures, drawn by kam.js.

Each app builds its own figures (what they show is its business) and passes them through
``style`` for the look they share: the site's font, a transparent background so the card
shows through, tight margins, light grid lines, a horizontal legend above the plot, and
turn them into JSON with ``figure_json``, which makes every text the data brings inert.
"""

from html import escape
from typing import Any

import numpy as np
import plotly.graph_objects as go

ACCENT = "#1f5f8b"
"""The colour of a chart's main series (kam's blue)."""
HIGHLIGHT = "#d98c1f"
"""The colour that stands out against ACCENT: cuts, high potential."""
QUIET = "#b8c4d0"
"""The colour of what is shown for context only."""
REFERENCE = "#9fb3c8"
"""Reference lines: the 80% line, a four-box cut."""

FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 12}
CLEAR = "rgba(0,0,0,0)"
AXIS_LINE = "#d5dde6"
GRID_LINE = "#e8edf2"


def style(figure: go.Figure, *, height: int, **layout: Any) -> go.Figure:
    """Give ``figure`` kam's look at ``height`` pixels; ``layout`` adds to or overrides it
    (``showlegend=False``, ``bargap=0.25``, another ``margin``). Returns the figure."""
    figure.update_layout(
        height=height,
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        paper_bgcolor=CLEAR,
        plot_bgcolor=CLEAR,
        font=FONT,
        legend={"orientation": "h", "y": 1.08, "x": 0},
        hoverlabel={"bgcolor": "white"},
    )
    figure.update_layout(**layout)
    figure.update_xaxes(automargin=True, linecolor=AXIS_LINE)
    figure.update_yaxes(automargin=True, gridcolor=GRID_LINE, zeroline=False)
    return figure


TRACE_TEXTS = ("x", "y", "text", "hovertext", "customdata", "name", "labels", "ids")
"""The trace properties that carry text from the data: category names, account names,
segments and regions become tick labels, hover texts (``customdata`` through a hover
template) and legend entries."""


def _inert(value: Any) -> Any:
    if isinstance(value, str):
        return escape(value, quote=False)
    if isinstance(value, np.ndarray):
        # A numeric array (revenue, scores) carries no text: left as it is, so Plotly still
        # sends it compactly; an array of objects may hold names.
        return [_inert(item) for item in value.tolist()] if value.dtype.kind in "OUS" else value
    if isinstance(value, list | tuple):
        return [_inert(item) for item in value]
    return value


def figure_json(figure: go.Figure) -> str:
    """``figure`` as the JSON kam.js draws, every string of its traces made inert.

    Plotly reads labels, hover texts and legend names as a subset of HTML, so an imported
    category ``<a href=...>`` would become a clickable link and ``<b>`` bold text. Escaped
    (``&lt;`` and ``&amp;``, which Plotly turns back into characters), the text shows
    exactly as it was typed. The layout (titles, annotations) is the builder's own text and
    may use markup; every figure of every app leaves through here.
    """
    for trace in figure.data:
        for prop in TRACE_TEXTS:
            if prop in trace and trace[prop] is not None:
                trace[prop] = _inert(trace[prop])
    return str(figure.to_json())
