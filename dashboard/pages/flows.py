"""Flows: money per year, and programme → organisation type → DAC category → country.

Above the charts, the page's total as the sum of its parts (grants + IATI co-financing; of
which no known country), and what "versés" counts ("non suivi" where no payment is recorded).
The Sankey draws each stage's largest nodes and one "other" node; its table lists every node.
"""

from __future__ import annotations

import dash
import polars as pl
from dash import html

from dashboard import data, reconcile, reconcile_data
from dashboard.charts.flows import flows_sankey, sankey_nodes
from dashboard.components import euros_switch, filter_bar, spec_block, table
from dashboard.filters import parse
from dashboard.i18n import t
from dashboard.specs import spec

dash.register_page(__name__, path="/flows", name="flows", order=1)

PATH = "/flows"
STAGE_NAMES = ("programme", "org_type", "category", "country_or_region")  # catalog keys, by stage
PHONE_STAGES = (0, 3)  # the Sankey on a phone: programme → country or region
BY_YEAR, FLOWS = spec("funding_by_year"), spec("flows")


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    by_year = reconcile.with_disbursed_text(reconcile_data.funding_tracking_by_year(filters), lang)
    flows = FLOWS.frame(filters)
    return html.Div([
        html.H2(t("flows", lang)),
        euros_switch(filters, PATH, lang),
        filter_bar(filters, PATH, lang, years=allowed.years),
        reconcile.committed_line("flows-reconciliation", filters, lang),
        reconcile.payments_note("flows-payments", filters, lang),
        # the year chart with what "versés" tracks (the download: the spec's committed and disbursed)
        spec_block(
            BY_YEAR, f"{t('committed_eur', lang)} / {t('disbursed_eur', lang)}",
            BY_YEAR.figure(by_year, lang), BY_YEAR.describe(by_year, lang),
            table(by_year, [("year", t("year", lang), "text"), ("committed_eur", t("committed_eur", lang), "euros"),
                            ("disbursed_text", t("disbursed_eur", lang), "text")], lang),
            filters, lang,
        ),
        spec_block(
            FLOWS, t("flows_title", lang), FLOWS.figure(flows, lang), FLOWS.describe(flows, lang),
            _nodes_table(flows, filters, lang),
            filters, lang, clickable=True,
            # a phone draws programme → country only: four columns of names do not fit 390 px;
            # the table below lists every node of every stage
            narrow_figure=flows_sankey(flows, lang, stages=PHONE_STAGES),
        ),
    ])


def _nodes_table(flows: pl.DataFrame, filters, lang: str) -> html.Div:
    """Every node of every stage, with its share of the stage and where the diagram draws it;
    a country links to the page filtered on it."""
    if flows.is_empty():
        return html.Div(html.P(t("no_data", lang)))
    nodes = sankey_nodes(flows, lang)
    totals = nodes.group_by("stage").agg(pl.col("committed_eur").sum().alias("_total"))
    frame = nodes.join(totals, on="stage").with_columns(
        pl.col("stage").map_elements(lambda s: t(STAGE_NAMES[s], lang), return_dtype=pl.String).alias("stage_name"),
        (pl.col("committed_eur") / pl.when(pl.col("_total") != 0).then(pl.col("_total"))).alias("share"),
        pl.when(pl.col("shown")).then(pl.lit("")).otherwise(pl.col("drawn_as")).alias("grouped_in"),
        # a country or region is a link (the page filtered on it), never 'unallocated'
        pl.when((pl.col("stage") == 3) & (pl.col("code") != "unallocated")).then(pl.col("code")).alias("country"),
    ).sort("stage", "order")
    return html.Div([
        table(frame, [("stage_name", t("flows.stage", lang), "text"), ("label", t("flows.node", lang), "text"),
                      ("committed_eur", t("committed_eur", lang), "euros"),
                      ("share", t("flows.share", lang), "percent"),
                      ("grouped_in", t("flows.drawn_as", lang), "text")],
              lang, link=("label", "country", PATH), filters=filters),
        html.P(t("flows.table_note", lang), className="hint"),
    ])
