"""How kam's Plotly charts look: one style for every page's figures, drawn by kam.js.

Each app builds its own figures (what they show is its business) and passes them through
``style`` for the look they share: the site's font, a transparent background so the card
shows through, tight margins, light grid lines, a horizontal legend above the plot.
"""

from typing import Any

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
