"""Pure figure builders: a polars frame in, a `go.Figure` out. No I/O, no Dash.

Shared by the officials' pages and the public embeds. Colours are colour-blind safe
(Okabe–Ito for categories, viridis for quantities); numbers shown in hovers are
pre-formatted with `dashboard.i18n` so French readers see `1 234 567 €`; axis and colour-bar
ticks of thousands and more are written by `_layout` in the reader's language (`12 M€`,
`180 k` / `€12M`, `180k`), and the layout's `separators` makes plotly's smaller ticks French too.

Clickable figures carry the URL filter each element stands for in `customdata`
(`"country=MLI"`, `"programme=..."`): a page turns a click into a link.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal

import plotly.graph_objects as go
import polars as pl
from babel.numbers import format_decimal
from plotly.subplots import make_subplots

from dashboard.i18n import LOCALES, euros, lang_of, number, sentence_case, t

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


GRAPH_CONFIG = graph_config("fr")
OTHER = "__other__"
FLOW_LOCATIONS = 8  # countries and regions shown by name in the Sankey; the rest are grouped


def _layout(fig: go.Figure, lang: str, **extra) -> go.Figure:
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


def _empty(lang: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=t("no_data", lang), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, lang)


def beneficiary_label(code: str | None, lang: str) -> str:
    key = f"beneficiary_{code}"
    try:
        return t(key, lang)
    except KeyError:
        return code or t("beneficiary_non_renseigne", lang)


def funding_by_year(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Committed and disbursed euros per year, side by side."""
    if df.is_empty():
        return _empty(lang)
    df = df.group_by("year").agg(pl.col("committed_eur").sum(), pl.col("disbursed_eur").sum()).sort("year")
    fig = go.Figure()
    for measure, colour in (("committed_eur", COMMITTED), ("disbursed_eur", DISBURSED)):
        values = df[measure].to_list()
        fig.add_bar(
            x=df["year"].to_list(),
            y=values,
            name=t(measure, lang),
            marker_color=colour,
            customdata=[euros(v, lang) for v in values],
            hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>",
        )
    return _layout(
        fig, lang, barmode="group", legend={"orientation": "h", "y": 1.1},
        xaxis={"dtick": 1, "title": t("year", lang)}, yaxis={"title": "€", "gridcolor": "#eee"},
    )


def committed_against_target(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Committed euros per year (bars) against the annual target (a step line)."""
    if df.is_empty():
        return _empty(lang)
    years, values, targets = df["year"].to_list(), df["value"].to_list(), df["target"].to_list()
    fig = go.Figure()
    fig.add_bar(x=years, y=values, name=t("committed_eur", lang), marker_color=COMMITTED,
                customdata=[euros(v, lang) for v in values],
                hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>")
    if any(v is not None for v in targets):
        fig.add_scatter(x=years, y=targets, name=t("target", lang), mode="lines",
                        line={"shape": "hvh", "color": OKABE_ITO[7], "dash": "dash"},
                        customdata=[euros(v, lang) for v in targets],
                        hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>")
    return _layout(
        fig, lang, legend={"orientation": "h", "y": 1.1},
        xaxis={"dtick": 1, "title": t("year", lang)}, yaxis={"title": "€", "gridcolor": "#eee"},
    )


def euros_per_capita(value: float | None, lang: str) -> str:
    """`0,80 €` / `€0.064`: per-inhabitant amounts are small, so cents, and below ten cents
    one more decimal per tenfold (at most four: 0,0005 € for a large country)."""
    if value is None:
        return "–"
    size = abs(value)
    amount = number(value, lang, digits=2 if size >= 0.1 or size == 0 else 3 if size >= 0.01 else 4)
    return f"{amount} €" if lang_of(lang) == "fr" else f"€{amount}"


def world_map(df: pl.DataFrame, lang: str = "fr", measure: str = "committed_eur",
              topojson_ok: bool = True, per_capita: bool = False) -> go.Figure:
    """A world choropleth by country (ISO-3 codes only; regions and 'unallocated' are listed elsewhere).

    `per_capita=True` colours by `<measure>_per_capita` (euros per inhabitant; countries with
    no known population are left out of the map, and the page lists them).
    `topojson_ok=False` gives a ranked bar chart instead, for contexts where the world
    geometry cannot be served (a static export with no assets)."""
    df = df.filter(pl.col("country_code").str.contains(r"^[A-Z]{3}$"))
    column = f"{measure}_per_capita" if per_capita else measure
    if per_capita:
        df = df.filter(pl.col(column).is_not_null())
    if df.is_empty():
        return _empty(lang)
    name_col = "name_fr" if lang_of(lang) == "fr" else "name_en"
    # one row per country already on the pages; summing per-capita rows of one country is
    # still its total over its single population
    df = (df.group_by("country_code").agg(pl.col(name_col).first().alias("name"), pl.col(column).sum())
          .sort([column, "country_code"], descending=[True, False]))
    values = df[column].to_list()
    if per_capita:
        text = [f"{n} : {euros_per_capita(v, lang)} {t('per_inhabitant', lang)}" for n, v in zip(df["name"], values)]
    else:
        text = [f"{n} : {euros(v, lang)}" for n, v in zip(df["name"], values)]
    unit = t("eur_per_inhabitant_short", lang) if per_capita else "€"
    if not topojson_ok:
        fig = go.Figure(go.Bar(
            x=values[::-1], y=df["name"].to_list()[::-1], orientation="h", marker_color=COMMITTED,
            customdata=[f"country={c}" for c in df["country_code"].to_list()[::-1]],
            hovertext=text[::-1], hoverinfo="text",
        ))
        title = f"{t(measure, lang)} ({unit})" if per_capita else t(measure, lang)
        return _layout(fig, lang, height=max(300, 22 * len(values)), xaxis={"title": title})
    fig = go.Figure(go.Choropleth(
        locations=df["country_code"].to_list(),
        locationmode="ISO-3",
        z=values,
        colorscale=SEQUENTIAL,
        reversescale=True,  # dark = more money, on a light map
        marker_line_color="white",
        marker_line_width=0.5,
        colorbar=map_colorbar(unit),
        customdata=[f"country={c}" for c in df["country_code"].to_list()],
        hovertext=text,
        hoverinfo="text",
    ))
    fig.update_geos(showframe=False, showcoastlines=False, showcountries=True, countrycolor="#bbb",
                    showland=True, landcolor="#f2f2f2", projection_type="natural earth", lataxis_range=[-58, 85])
    return _layout(fig, lang, height=460, margin={"l": 0, "r": 0, "t": 10, "b": 0})


# What 'unallocated' means in each column: no known country, or no known DAC category (a grant
# or an activity without a sector has neither a category nor a sector). One wording per meaning.
UNKNOWN_KEYS = {"location_code": "unknown_place", "category_code": "unknown_category",
                "sector_code": "unknown_category"}
# A name the reference lists lack comes back as its code: said with what the code is
UNNAMED_KEYS = {"location_code": "unnamed_place", "category_code": "unnamed_category",
                "sector_code": "unnamed_sector"}


def _unnamed(column: str, code: str, lang: str) -> str:
    # a region code the IATI codelist shipped lacks (a newer one) is still said to be a region
    key = "iati_region" if column == "location_code" and code.isdigit() else UNNAMED_KEYS[column]
    return t(key, lang, code=code)


def _readable(code: str, name: str, lang: str) -> pl.Expr:
    """'unallocated' in the reader's language (what is not known), DAC names as sentences,
    a code no list names said with what it is ('Secteur CAD 12264'), never alone."""
    unnamed = pl.col(code).map_elements(lambda c: _unnamed(code, c, lang), return_dtype=pl.String)
    return (pl.when(pl.col(code) == "unallocated").then(pl.lit(t(UNKNOWN_KEYS[code], lang)))
            .when(pl.col(name).is_null() | (pl.col(name) == pl.col(code))).then(unnamed)
            # sentence case is a rule for DAC names only: places keep their proper nouns ("Amérique du Sud")
            .otherwise(pl.col(name).map_elements(_title, return_dtype=pl.String) if code != "location_code"
                       else pl.col(name))
            .alias(name))


# The Sankey's stages: (key column, label column, URL filter parameter, catalog key of the
# stage's "other" node). Each stage shows its largest nodes by name, at most SANKEY_NAMED of
# them, and groups the rest into one "other" node (only when it gathers two or more).
SANKEY_STAGES = (
    ("programme", "programme", "programme", "sankey.other_programmes"),
    ("beneficiary_type", "beneficiary_label", None, "sankey.other_types"),
    ("category_code", "category_name", "sector", "sankey.other_categories"),
    ("location_code", "location_name", "country", "sankey.other_places"),
)
SANKEY_NAMED = (5, 4, 6, FLOW_LOCATIONS)
UNKNOWN = ("unallocated", "non_renseigne")  # codes that say "not known": drawn after the named nodes
LAST = UNKNOWN + ("autre",)  # drawn after the named nodes too: "Autres structures" is never read first
SANKEY_PAD = 12  # px between two nodes of a stage
SANKEY_HEIGHT = 560
_SANKEY_PLOT = SANKEY_HEIGHT - 50  # the plot's height in px, about (the figure less its margins)
_MUTED = "#999999"  # the colour of "other" and "not known" nodes


def _sankey_labels(df: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Node labels in the reader's language: organisation types named, and countries, IATI
    regions and categories as `readable_names` says them (the pages' one wording)."""
    return readable_names(df, lang).with_columns(
        pl.col("beneficiary_type").map_elements(lambda c: beneficiary_label(c, lang), return_dtype=pl.String)
        .alias("beneficiary_label"),
        pl.col("programme").fill_null(t("beneficiary_non_renseigne", lang)),
    )


def sankey_nodes(df: pl.DataFrame, lang: str = "fr") -> pl.DataFrame:
    """Every node of every stage of the flows Sankey, nothing grouped, and the node it is drawn as.

    Columns: stage (0-3), code, label, committed_eur, shown (True when drawn under its own
    name), drawn_as (the label of the node it is drawn as: its own, or its stage's "other"),
    order (the drawing order within the stage: named nodes by money, then "not known" (and the
    'autre' organisation type), then "other": a grouped node is never first unless alone)."""
    df = _sankey_labels(df, lang)
    frames = []
    for stage, ((key, label, _, other_key), named) in enumerate(zip(SANKEY_STAGES, SANKEY_NAMED)):
        nodes = (df.group_by(key).agg(pl.col(label).first().alias("label"), pl.col("committed_eur").sum())
                 .rename({key: "code"}).with_columns(pl.col("code").cast(pl.String)))
        nodes = nodes.with_columns(pl.col("code").is_in(list(LAST)).alias("_unknown")).sort(
            ["_unknown", "committed_eur", "label"], descending=[False, True, False])
        known = nodes.filter(~pl.col("_unknown"))
        keep = named if known.height > named + 1 else known.height  # "other" gathers two or more
        kept = set(known.head(keep)["code"].to_list()) | set(nodes.filter(pl.col("_unknown"))["code"].to_list())
        other = t(other_key, lang, n=known.height - keep)
        frames.append(nodes.with_columns(
            pl.lit(stage).alias("stage"),
            pl.col("code").is_in(list(kept)).alias("shown"),
        ).with_columns(
            pl.when(pl.col("shown")).then(pl.col("label")).otherwise(pl.lit(other)).alias("drawn_as"),
            # named nodes first (by money), then the unknown ones, then "other"
            pl.when(~pl.col("shown")).then(pl.lit(2)).when(pl.col("_unknown")).then(pl.lit(1)).otherwise(pl.lit(0))
            .alias("_group"),
        ).with_row_index("_rank").with_columns(
            (pl.col("_group") * 1_000_000 + pl.col("_rank")).rank("dense").cast(pl.Int64).alias("order"),
        ).select("stage", "code", "label", "committed_eur", "shown", "drawn_as", "order"))
    return pl.concat(frames).sort("stage", "order")


def flows_sankey(df: pl.DataFrame, lang: str = "fr", stages: tuple[int, ...] = (0, 1, 2, 3)) -> go.Figure:
    """Programme → organisation type → DAC category → country; node customdata is its URL filter.

    Each stage draws its largest nodes by name and one "other" node for the rest
    (`sankey_nodes`); nodes are placed by the figure, largest at the top, "not known" and
    "other" at the bottom, so no grouped node is ever the first thing read.
    `stages` (indexes into SANKEY_STAGES, in order) draws some stages only: a phone's 390 px
    hold two columns of names (programme → country), not four."""
    if df.is_empty():
        return _empty(lang)
    nodes = sankey_nodes(df, lang)
    labelled = _sankey_labels(df, lang)
    drawn = (nodes.group_by("stage", "drawn_as")
             .agg(pl.col("order").min(), pl.col("committed_eur").sum(), pl.col("shown").all(),
                  pl.col("code").first())
             .sort("stage", "order"))
    index: dict[tuple[int, str], int] = {}
    labels, filters, colours, hover, xs, ys = [], [], [], [], [], []
    # node geometry is drawing, not money: the exact DECIMAL euros become floats here
    total = max(sum(max(float(v), 0.0) for v in drawn.filter(pl.col("stage") == 0)["committed_eur"].to_list()), 1e-9)
    most = max(drawn.filter(pl.col("stage").is_in(list(stages))).group_by("stage").len()["len"].to_list())
    pad = SANKEY_PAD / _SANKEY_PLOT
    scale = max(1 - (most - 1) * pad, 0.2) / total  # a euro's height, as plotly will draw it
    for place, stage in enumerate(stages):
        key, _, param, _ = SANKEY_STAGES[stage]
        column = drawn.filter(pl.col("stage") == stage)
        heights = [max(float(v), 0.0) * scale for v in column["committed_eur"].to_list()]
        gap = (1 - sum(heights)) / (len(heights) - 1) if len(heights) > 1 else 0.0
        top = 0.0
        for (name, value, shown, code), height in zip(
                column.select("drawn_as", "committed_eur", "shown", "code").iter_rows(), heights):
            index[(stage, name)] = len(labels)
            labels.append(name)
            usable = param and shown and code not in UNKNOWN
            filters.append(f"{param}={code}" if usable else "")
            colours.append(OKABE_ITO[stage] if shown and code not in UNKNOWN else _MUTED)
            hover.append(f"{name} : {euros(value, lang)}")
            xs.append(max(place / (len(stages) - 1), 0.001))
            ys.append(min(max(top + height / 2, 0.001), 0.999))  # plotly ignores a 0 position
            top += height + gap
    # each row's key at every stage, as the node it is drawn as
    for stage, (key, _, _, _) in enumerate(SANKEY_STAGES):
        mapping = nodes.filter(pl.col("stage") == stage).select(pl.col("code").alias(key), "drawn_as")
        labelled = (labelled.with_columns(pl.col(key).cast(pl.String)).join(mapping, on=key, how="left")
                    .rename({"drawn_as": f"_node{stage}"}))
    sources, targets, values, link_hover = [], [], [], []
    for stage, after in zip(stages, stages[1:]):
        left, right = f"_node{stage}", f"_node{after}"
        links = labelled.group_by(left, right).agg(pl.col("committed_eur").sum()).sort(left, right)
        for a, b, v in links.iter_rows():
            sources.append(index[(stage, a)])
            targets.append(index[(after, b)])
            values.append(v)
            link_hover.append(euros(v, lang))
    fig = go.Figure(go.Sankey(
        arrangement="fixed",  # draggable nodes swallow clicks, and clicks are how a node filters
        node={"label": labels, "color": colours, "customdata": filters, "pad": SANKEY_PAD, "thickness": 14,
              "x": xs, "y": ys, "hovertemplate": t("sankey.node_hover", lang)},
        link={"source": sources, "target": targets, "value": values, "customdata": link_hover,
              "color": "rgba(0,114,178,0.25)",
              "hovertemplate": "%{source.label} → %{target.label} : %{customdata}<extra></extra>"},
    ))
    return _layout(fig, lang, height=SANKEY_HEIGHT)


def money_bars(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Committed euros by one key (programme pages: by country, DAC category, organisation type):
    one horizontal bar per row of `df` (columns `label`, `committed_eur`), in the frame's order
    from the top, so an 'others' row the caller put last stays last. Labels sit inside the
    plot above each bar: a phone has no room for names beside the bars."""
    if df.is_empty():
        return _empty(lang)
    labels, values = df["label"].to_list(), df["committed_eur"].to_list()
    rows = list(range(len(labels)))[::-1]
    fig = go.Figure(go.Bar(x=values, y=rows, orientation="h", width=0.45, marker_color=COMMITTED,
                           customdata=[f"{name} : {euros(v, lang)}" for name, v in zip(labels, values)],
                           hovertemplate="%{customdata}<extra></extra>"))
    from dashboard.plotly_text import escape_text

    for row, name, value in zip(rows, labels, values):
        # layout text is not escaped by plotly_text.safe_figure: the name is data, escaped here
        fig.add_annotation(x=0, y=row + 0.25, xref="x", yref="y", xanchor="left", yanchor="bottom",
                           showarrow=False, align="left",
                           text="<br>".join(escape_text(_lines(f"{name} : {euros(value, lang)}", 44))))
    return _layout(fig, lang, height=max(200, 52 * len(rows) + 80), showlegend=False,
                   xaxis={"title": MONEY_TITLE, "gridcolor": "#eee", "rangemode": "tozero"},
                   yaxis={"visible": False, "range": [-0.5, len(rows) - 0.2]},
                   margin={"l": 10, "r": 20, "t": 30, "b": 10})


def readable_names(df: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Names as a reader wants them: 'unallocated' translated, capitals as sentences, a code when unnamed."""
    pairs = [(c, n) for c, n in (("category_code", "category_name"), ("sector_code", "sector_name"),
                                 ("location_code", "location_name")) if c in df.columns and n in df.columns]
    return df.with_columns(*(_readable(c, n, lang) for c, n in pairs)) if pairs else df


def sectors_treemap(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """DAC categories (3 digits) containing their sectors (5 digits), sized by committed euros."""
    df = readable_names(df.filter(pl.col("committed_eur") > 0), lang)
    if df.is_empty():
        return _empty(lang)
    sectors = (df.group_by("category_code", "sector_code")
               .agg(pl.col("category_name").first(), pl.col("sector_name").first(), pl.col("committed_eur").sum()))
    categories = (sectors.group_by("category_code")
                  .agg(pl.col("category_name").first(), pl.col("committed_eur").sum()).sort("category_code"))
    ids, labels, parents, values, filters, text = [], [], [], [], [], []
    for code, name, value in categories.iter_rows():
        ids.append(f"c{code}")
        labels.append(_title(name) or code)
        parents.append("")
        values.append(value)
        filters.append(f"sector={code}" if code != "unallocated" else "")
        text.append(euros(value, lang))
    for cat, sec, _cname, sname, value in sectors.sort("category_code", "sector_code").iter_rows():
        ids.append(f"s{cat}/{sec}")
        labels.append(sname or sec)
        parents.append(f"c{cat}")
        values.append(value)
        filters.append(f"sector={sec}" if sec not in ("unallocated", None) else "")
        text.append(euros(value, lang))
    fig = go.Figure(go.Treemap(
        ids=ids, labels=labels, parents=parents, values=values, branchvalues="total",
        customdata=filters, text=text, texttemplate="%{label}<br>%{text}",
        hovertemplate="%{label}<br>%{text}<extra></extra>",
        marker={"colors": values, "colorscale": SEQUENTIAL, "reversescale": True},
        maxdepth=2,
    ))
    return _layout(fig, lang, height=520, margin={"l": 0, "r": 0, "t": 10, "b": 0})


def _title(name: str | None) -> str | None:
    # the OECD list writes some category names in capitals: the one rule, i18n.sentence_case
    return sentence_case(name)


def departements_map(df: pl.DataFrame, geojson: dict, lang: str = "fr", value_label: str = "") -> go.Figure:
    """A choropleth of départements from a local GeoJSON (featureidkey properties.code)."""
    known = {f["properties"]["code"] for f in geojson.get("features", [])}
    df = df.filter(pl.col("departement_code").is_in(list(known)))
    if df.is_empty():
        return _empty(lang)
    df = df.group_by("departement_code").agg(pl.col("name").first(), pl.col("value").sum()).sort("departement_code")
    values = df["value"].to_list()
    fig = go.Figure(go.Choropleth(
        geojson=geojson,
        featureidkey="properties.code",
        locations=df["departement_code"].to_list(),
        z=values,
        colorscale=SEQUENTIAL,
        reversescale=True,
        marker_line_color="white",
        colorbar=map_colorbar(value_label),
        customdata=[f"departement={c}" for c in df["departement_code"].to_list()],
        hovertext=[f"{n} : {number(v, lang)}" for n, v in zip(df["name"], values)],
        hoverinfo="text",
    ))
    # no basemap: the GeoJSON is the whole map, and nothing else is fetched
    fig.update_geos(fitbounds="locations", visible=False)
    return _layout(fig, lang, height=460, margin={"l": 0, "r": 0, "t": 10, "b": 0})


def campaign_reach_bars(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Participants and young participants as bars, events as a line on a second axis.

    The first column is the category axis: `year` or `departement` (a name or code)."""
    if df.is_empty():
        return _empty(lang)
    axis = "year" if "year" in df.columns else "departement"
    df = (df.group_by(axis).agg(pl.col("events").sum(), pl.col("participants").sum(),
                                pl.col("young_participants").sum()).sort(axis))
    x = [str(v) for v in df[axis].to_list()]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for measure, colour in (("participants", OKABE_ITO[2]), ("young_participants", OKABE_ITO[3])):
        vals = [float(v) for v in df[measure].to_list()]
        fig.add_bar(x=x, y=vals, name=t(measure, lang), marker_color=colour,
                    customdata=[number(v, lang) for v in vals],
                    hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>", secondary_y=False)
    events = [float(v) for v in df["events"].to_list()]
    fig.add_scatter(x=x, y=events, name=t("events", lang), mode="lines+markers", line_color=OKABE_ITO[7],
                    customdata=[number(v, lang) for v in events],
                    hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>", secondary_y=True)
    fig.update_yaxes(title_text=t("participants", lang), secondary_y=False, gridcolor="#eee")
    fig.update_yaxes(title_text=t("events", lang), secondary_y=True, showgrid=False, rangemode="tozero")
    fig.update_xaxes(type="category")
    return _layout(fig, lang, barmode="group", legend={"orientation": "h", "y": 1.12})


ACHIEVEMENT_BANDS = ((0.0, 0.5, "< 50 %"), (0.5, 1.0, "50–99 %"), (1.0, float("inf"), "≥ 100 %"))


def achievement_band(share: float | None) -> str | None:
    if share is None:
        return None
    return next(label for lo, hi, label in ACHIEVEMENT_BANDS if lo <= share < hi)


def outcomes_achievement(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Result indicators per year, stacked by how much of their target was reached."""
    df = df.filter(pl.col("achievement").is_not_null())
    if df.is_empty():
        return _empty(lang)
    df = df.with_columns(pl.col("achievement").map_elements(achievement_band, return_dtype=pl.String).alias("band"))
    counts = df.group_by("year", "band").len().sort("year")
    years = sorted(counts["year"].unique().to_list())
    fig = go.Figure()
    for (_, _, band), colour in zip(ACHIEVEMENT_BANDS, (OKABE_ITO[5], OKABE_ITO[1], OKABE_ITO[2])):
        by_year = dict(counts.filter(pl.col("band") == band).select("year", "len").iter_rows())
        values = [by_year.get(y, 0) for y in years]
        fig.add_bar(x=[str(y) for y in years], y=values, name=band, marker_color=colour,
                    customdata=[number(v, lang) for v in values],
                    hovertemplate="%{x} : %{customdata}<extra>%{fullData.name}</extra>")
    return _layout(fig, lang, barmode="stack", legend={"orientation": "h", "y": 1.1},
                   xaxis={"type": "category"}, yaxis={"gridcolor": "#eee"})


# an indicator's name is cut into lines of at most this many characters (at a word): the last
# line and the total beside it (`343 901 (88 %)`) stay inside a phone's 358 px; plotly's
# annotations never wrap, and the longer names ran out of the figure
OUTCOME_LINE = 28


def _lines(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [text]


def outcome_totals(df: pl.DataFrame, lang: str = "fr") -> go.Figure:
    """Results by indicator (data.outcome_totals): one bar per indicator, the share of its target
    reached (sum of values reached / sum of targets, over the measurements with both), with the
    indicator's name and total written above it, full width (a phone has no room for names
    beside the bars); a dashed line at 100 %. An indicator with no share (lower is better, or no
    target) has its name and total, and no bar."""
    from dashboard.i18n import percent
    from dashboard.plotly_text import escape_text

    df = df.filter(pl.col("actual_total").is_not_null())
    if df.is_empty():
        return _empty(lang)
    df = df.sort(["actual_total", "indicator_title"], descending=[False, True])  # largest at the top
    shares = df["target_share"].to_list()
    names = [name or "–" for name in df["indicator_title"].to_list()]
    labels = [number(total, lang) + (f" ({percent(share, lang)})" if share is not None else "")
              for total, share in zip(df["actual_total"].to_list(), shares)]
    hover = [t("outcomes.hover", lang, total=number(total, lang), target=number(target, lang),
               share=percent(share, lang), n=number(n, lang))
             for total, target, share, n in df.select("actual_with_target", "target_with_actual", "target_share",
                                                      "with_both").iter_rows()]
    top = max([1.0] + [s for s in shares if s is not None])
    rows = list(range(len(names)))
    fig = go.Figure(go.Bar(
        x=[s if s is not None else 0 for s in shares], y=rows, orientation="h", width=0.45,
        marker_color=OKABE_ITO[2], text=names, customdata=hover, textposition="none",
        hovertemplate="%{customdata}<extra></extra>",
    ))
    wrapped = [_lines(name, OUTCOME_LINE) for name in names]
    for row, lines, label in zip(rows, wrapped, labels):
        # layout text is not escaped by plotly_text.safe_figure: the name is data, escaped here
        fig.add_annotation(x=0, y=row + 0.25, xref="x", yref="y", xanchor="left", yanchor="bottom",
                           showarrow=False, align="left", bgcolor="rgba(255,255,255,0.85)",  # over the 100 % line
                           text=t("outcomes.bar_label", lang, name="<br>".join(escape_text(lines)), total=label))
    most = max(len(lines) for lines in wrapped)
    row_px = 64 if most == 1 else 30 + 26 * most  # a name on two or three lines pushes the bars apart
    fig.add_vline(x=1, line_dash="dash", line_color=OKABE_ITO[7])
    return _layout(fig, lang, height=max(220, row_px * len(rows) + 70), showlegend=False,
                   xaxis={"tickformat": ".0%", "range": [0, top * 1.08], "title": t("outcomes.target_share", lang),
                          "gridcolor": "#eee"},
                   yaxis={"visible": False, "range": [-0.5, len(rows) - 0.2]},
                   margin={"l": 10, "r": 20, "t": 30, "b": 10})
