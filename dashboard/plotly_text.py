"""Text from the data is text in a chart: plotly.js renders a subset of HTML in labels.

A programme named `<a href="https://…">Cliquez ici</a>` would be a live link in a
Sankey node, a hover or a treemap tile. Every string inside a trace's arrays is data
(labels, hover texts, ids, custom data) and is escaped to entities, which plotly.js
shows as the characters they stand for; scalar strings (templates such as
`%{label}<br>%{text}`, titles written by us) are the code's own and kept. Pages and
embeds draw through `safe_figure`, so both escape the same way.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go


def escape_text(value: Any) -> Any:
    """A string (or nested list of strings) with &, < and > as entities; anything else as is."""
    if isinstance(value, str):
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if isinstance(value, (list, tuple)):
        return [escape_text(v) for v in value]
    return value


def _trace(node: Any) -> Any:
    # strings inside arrays are data; scalar strings are the code's own
    if isinstance(node, dict):
        return {k: (escape_text(v) if isinstance(v, (list, tuple)) else _trace(v)) for k, v in node.items()}
    return node


def safe_figure(fig: go.Figure | dict) -> dict:
    """The figure as plotly JSON with every data string escaped."""
    spec = fig.to_plotly_json() if isinstance(fig, go.Figure) else dict(fig)
    return {"data": [_trace(trace) for trace in spec.get("data", [])], "layout": spec.get("layout", {})}
