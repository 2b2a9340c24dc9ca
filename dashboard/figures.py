"""The house style every figure shares: colours, the chart toolbar, the layout, tick labels in
the reader's language, the "no data" figure, and the number formats hovers use.

The figure builders live in `dashboard/charts/` (one module per kind of chart); they are pure:
a polars frame in, a `go.Figure` out, no I/O, no Dash, shared by the officials' pages and the
public embeds. Colours are colour-blind safe (Okabe–Ito for categories, viridis for quantities);
numbers shown in hovers are pre-formatted with `dashboard.i18n` so French readers see
`1 234 567 €`; axis and colour-bar ticks of thousands and more are written by `laid_out` in the
reader's language (`12 M€`, `180 k` / `€12M`, `180k`), and the layout's `separators` makes
plotly's smaller ticks French too.

Clickable figures carry the URL filter each element stands for in `customdata`
(`"country=MLI"`, `"programme=..."`): a page turns a click into a link.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal

import plotly.graph_objects as go
from babel.numbers import format_decimal

from dashboard.i18n import LOCALES, lang_of, number, t


# Okabe & Ito (2008), "Color Universal Design": distinguishable by every common colour-vision type.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
COMMITTED, DISBURSED = OKABE_ITO[0], OKABE_ITO[1]
SEQUENTIAL = "Viridis"
# Where plotly.js finds world_110m.json: this app's own assets, never the CDN.
TOPOJSON_URL = "/assets/topojson/"
# The chart toolbar: save as a picture, and reset a zoom. Nothing else: no "share"/cloud
# upload to a third party (plotly.js shows one by default), no Chart Studio link, no logo.
MODEBAR_BUTTONS = ("toImage", "resetViews")
MODEBAR_BAND = 32  # px kept free at the top of every figure for the toolbar (25 px tall, 2 px down)


def map_colorbar(title: str) -> dict:
    """A map's colour bar, lying under the map: beside it, it took a third of a phone's width
    and left the map 70 px wide; under it, the map has the whole width at any size."""
    return {"title": {"text": title, "side": "top"}, "thickness": 12, "orientation": "h",
            "x": 0.5, "xanchor": "center", "y": 0, "yanchor": "top", "len": 0.8}


def sized_by_css(fig: go.Figure) -> go.Figure:
    """A figure as tall as its page's style.css says (a map: 460 px, less on a phone): a fixed
    height left a phone's narrow map floating in blank space. Without a height, dcc.Graph
    (responsive) fills its container."""
    fig.layout.height = None
    return fig


def graph_config(lang: str, name: str = "graphique", topojson_url: str = TOPOJSON_URL) -> dict:
    """A graph's plotly.js config: the toolbar's tooltips, and dates, in the page's language
    (French from dashboard/assets/plotly-locale-fr.js, served by this app; English is built in)."""
    return {
        "topojsonURL": topojson_url,
        "displaylogo": False,
        "responsive": True,
        "modeBarButtons": [list(MODEBAR_BUTTONS)],  # the whole toolbar: plotly adds nothing to it
        "showSendToCloud": False,
        "showEditInChartStudio": False,
        "showLink": False,
        "sendData": False,
        "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2},
        "locale": lang_of(lang),
    }


def laid_out(fig: go.Figure, lang: str, **extra) -> go.Figure:
    """Every figure's common layout: the language's separators and tick labels, fonts, colours;
    the toolbar's band at the top kept free, and a horizontal legend below the plot, where
    the toolbar can never cover it (at the top it did, on a phone and on hover)."""
    base = {
        "separators": ", " if lang_of(lang) == "fr" else ".,",  # decimal, thousands
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", "size": 13},
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(OKABE_ITO),
    }
    merged = {**base, **extra}
    margin = dict(merged["margin"])
    merged["margin"] = {**margin, "t": max(margin.get("t", 0), MODEBAR_BAND)}
    legend = merged.get("legend")
    if legend and legend.get("orientation") == "h":
        # at the foot of the figure, under the axis title: plotly's automargin makes room for both
        merged["legend"] = {**legend, "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom", "yref": "container"}
    fig.update_layout(**merged)
    _localised_ticks(fig, lang)
    return fig


# ---- tick labels in the reader's language: `12 M€`, `180 k` (fr) / `€12M`, `180k` (en)

MONEY_TITLE = "€"  # an axis or colour bar titled so carries euros
_SCALES = ((1e9, "billions"), (1e6, "millions"), (1e3, "thousands"))


def nice_ticks(low: float, high: float, target: int = 5) -> list[float]:
    """Round tick values covering [low, high] (and 0), about `target` intervals: 1, 2, 2.5 or 5 × 10^k."""
    low, high = min(low, 0.0), max(high, 0.0)
    span = high - low
    if span <= 0:
        return [0.0]
    raw = span / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    # a step more past the data (plotly pads ranges, and shows only the ticks inside them)
    first, last = math.floor(low / step) - (low < 0), math.ceil(high / step) + 1
    return [round(k * step, 10) for k in range(first, last + 1)]


def tick_text(values: list[float], lang: str, money: bool, top: float | None = None) -> list[str]:
    """Labels for tick values, one scale for the whole axis (that of `top`, the data's largest
    size, by default the largest tick's): `0`, `2,5 M€`, `5 M€`."""
    top = max(abs(v) for v in values) if top is None else top
    scale, word = next(((s, w) for s, w in _SCALES if top >= s), (1.0, "units"))
    key = f"ticks.{'eur' if money else 'count'}_{word}"
    out = []
    for v in values:
        if v == 0:
            out.append("0")
            continue
        amount = format_decimal(abs(v) / scale, "#,##0.###", locale=LOCALES[lang_of(lang)])
        out.append(("-" if v < 0 else "") + t(key, lang, n=amount))
    return out


def _trace_values(trace) -> tuple[str, list]:
    """(layout axis or 'colorbar', the trace's numbers on it)."""
    if trace.type == "choropleth":
        return "colorbar", list(trace.z or ())
    if trace.type not in ("bar", "scatter"):
        return "", []
    if trace.type == "bar" and trace.orientation == "h":
        return "xaxis" + (trace.xaxis or "x")[1:], list(trace.x or ())
    return "yaxis" + (trace.yaxis or "y")[1:], list(trace.y or ())


# what a trace's value may be: plotly keeps the snapshot's exact money as Decimal objects
_NUMBER = (int, float, Decimal)


def _localised_ticks(fig: go.Figure, lang: str) -> None:
    """Value axes and colour bars reaching a thousand get their ticks written in the language;
    smaller ones keep plotly's ticks, French already through `separators`."""
    stacked = fig.layout.barmode in ("stack", "relative")
    ranges: dict[str, list[float]] = defaultdict(list)
    sums: dict[tuple[str, object], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for trace in fig.data:
        axis, values = _trace_values(trace)
        numbers = [float(v) for v in values if isinstance(v, _NUMBER) and math.isfinite(v)]
        if not axis or not numbers:
            continue
        if axis == "colorbar":
            top = max(abs(v) for v in numbers)
            title = trace.colorbar.title.text if trace.colorbar and trace.colorbar.title else None
            if top >= 1000:
                ticks = nice_ticks(min(numbers), max(numbers))
                trace.colorbar.update(tickmode="array", tickvals=ticks,
                                      ticktext=tick_text(ticks, lang, money=title == MONEY_TITLE, top=top))
            continue
        ranges[axis].extend(numbers)
        if stacked and trace.type == "bar":
            keys = trace.y if trace.orientation == "h" else trace.x
            for key, value in zip(keys or range(len(values)), values):
                if isinstance(value, _NUMBER) and math.isfinite(value):
                    sums[(axis, key)][0 if value >= 0 else 1] += float(value)
    for (axis, _), (positive, negative) in sums.items():
        ranges[axis].extend((positive, negative))
    for axis, numbers in ranges.items():
        top = max(abs(v) for v in numbers)
        if top < 1000:
            continue
        ticks = nice_ticks(min(numbers), max(numbers))
        layout_axis = fig.layout[axis]
        title = layout_axis.title.text if layout_axis.title else None
        layout_axis.update(tickmode="array", tickvals=ticks,
                           ticktext=tick_text(ticks, lang, money=title == MONEY_TITLE, top=top))




def no_data(lang: str) -> go.Figure:
    """The figure of an empty frame: its words where the plot would be, no axes."""
    fig = go.Figure()
    fig.add_annotation(text=t("no_data", lang), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return laid_out(fig, lang)


def wrapped_lines(text: str, width: int) -> list[str]:
    """`text` cut at words into lines of at most `width` characters (a longer word keeps its own
    line): plotly's annotations never wrap."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [text]


def euros_per_capita(value: float | None, lang: str) -> str:
    """`0,80 €` / `€0.064`: per-inhabitant amounts are small, so cents, and below ten cents
    one more decimal per tenfold (at most four: 0,0005 € for a large country)."""
    if value is None:
        return "–"
    size = abs(value)
    amount = number(value, lang, digits=2 if size >= 0.1 or size == 0 else 3 if size >= 0.01 else 4)
    return f"{amount} €" if lang_of(lang) == "fr" else f"€{amount}"
