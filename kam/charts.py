"""How kam's Plotly charts look: one style for every page's figures, drawn by kam.js.

Each app builds its own figures (what they show is its business) as a ``Figure`` and passes
them through ``style`` for the look they share: the site's font, a transparent background
so the card shows through, tight margins, light grid lines, a horizontal legend above the
plot, and turn them into JSON with ``figure_json``, which makes every text the data brings
inert.

A ``Figure`` is plain dicts, as Plotly.js reads them, with the few methods of plotly's
graph objects kam uses: building a ``plotly.graph_objects.Figure`` validates every property
of every trace and update, which cost a page more CPU than its database queries (the
account page's two small charts: ~70 ms). The JSON is the same, template included.
"""

import json
from functools import cache
from html import escape
from typing import Any

import numpy as np
import plotly.io.json as plotly_json

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


def _merge(into: dict[str, Any], update: dict[str, Any]) -> None:
    """``update`` merged into ``into`` as plotly's ``update`` does: nested dicts key by key;
    a title given as text is ``{"text": ...}``, at any depth (an axis's title too)."""
    for key, value in update.items():
        if key == "title" and isinstance(value, str):
            value = {"text": value}
        if isinstance(value, dict):
            if not isinstance(into.get(key), dict):
                into[key] = {}
            _merge(into[key], value)
        else:
            into[key] = value


class Figure:
    """A Plotly figure as plain dicts: ``data`` (traces) and ``layout`` (one x and one y
    axis, as every chart of kam has)."""

    def __init__(self, *traces: dict[str, Any]) -> None:
        self.data: list[dict[str, Any]] = [dict(trace) for trace in traces]
        self.layout: dict[str, Any] = {}

    def add_trace(self, kind: str, **properties: Any) -> "Figure":
        """Add a trace of type ``kind`` (scatter, bar, heatmap) with ``properties``."""
        trace: dict[str, Any] = {}
        _merge(trace, properties)
        trace["type"] = kind
        self.data.append(trace)
        return self

    def add_scatter(self, **properties: Any) -> "Figure":
        return self.add_trace("scatter", **properties)

    def add_bar(self, **properties: Any) -> "Figure":
        return self.add_trace("bar", **properties)

    def update_layout(self, **properties: Any) -> "Figure":
        _merge(self.layout, properties)
        return self

    def update_xaxes(self, **properties: Any) -> "Figure":
        return self.update_layout(xaxis=properties)

    def update_yaxes(self, **properties: Any) -> "Figure":
        return self.update_layout(yaxis=properties)

    def add_annotation(self, **properties: Any) -> "Figure":
        self.layout.setdefault("annotations", []).append(properties)
        return self

    def add_vline(
        self, x: Any, line: dict[str, Any], annotation_text: str = "", **_: Any
    ) -> "Figure":
        """A vertical line across the plot at ``x``; ``annotation_text`` at its foot, to
        the right (where kam puts it: ``annotation_position="bottom right"``)."""
        self._shape(x0=x, x1=x, xref="x", y0=0, y1=1, yref="y domain", line=line)
        if annotation_text:
            self.add_annotation(
                showarrow=False, text=annotation_text, x=x, xanchor="left", xref="x",
                y=0, yanchor="bottom", yref="y domain",
            )  # fmt: skip
        return self

    def add_hline(self, y: Any, line: dict[str, Any]) -> "Figure":
        """A horizontal line across the plot at ``y``."""
        return self._shape(x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y", line=line)

    def _shape(self, **properties: Any) -> "Figure":
        self.layout.setdefault("shapes", []).append({"type": "line", **properties})
        return self


@cache
def _template() -> dict[str, Any]:
    """Plotly's default template, which plotly's own figures carry (the look of the axes,
    the colours): once per process."""
    import plotly.graph_objects as go

    return json.loads(go.Figure().to_json())["layout"]["template"]


def style(figure: Figure, *, height: int, **layout: Any) -> Figure:
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


def figure_json(figure: Any) -> str:
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
    if not isinstance(figure, Figure):  # a plotly graph object (tests build some)
        return str(figure.to_json())
    layout = {**figure.layout, "template": _template()}
    return str(plotly_json.to_json_plotly({"data": figure.data, "layout": layout}))
