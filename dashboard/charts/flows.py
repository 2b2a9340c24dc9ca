"""The flows Sankey: programme → organisation type → DAC category → country, the largest by name."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from dashboard.figures import OKABE_ITO, laid_out, no_data
from dashboard.i18n import euros, t
from dashboard.names import UNKNOWN, beneficiary_label, readable_names

FLOW_LOCATIONS = 8  # countries and regions shown by name in the Sankey; the rest are grouped
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
LAST = UNKNOWN + ("autre",)  # drawn after the named nodes: "not known", and "Autres structures", never read first
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
        return no_data(lang)
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
    return laid_out(fig, lang, height=SANKEY_HEIGHT)
