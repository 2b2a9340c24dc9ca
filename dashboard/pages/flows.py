"""Flows: money per year, and programme → organisation type → DAC category → country.

Above the charts, the page's total as the sum of its parts (grants + IATI co-financing; of
which no known country), and what "versés" counts ("non suivi" where no payment is recorded).
The Sankey draws each stage's largest nodes and one "other" node; its table lists every node.
"""

from __future__ import annotations

import dash
import polars as pl
from dash import html

from dashboard import data, describe, reconcile, reconcile_data
from dashboard.charts.flows import flows_sankey, sankey_nodes
from dashboard.charts.money import funding_by_year
from dashboard.components import chart_block, euros_switch, filter_bar, table
from dashboard.filters import parse
from dashboard.i18n import t

dash.register_page(__name__, path="/flows", name="flows", order=1)

PATH = "/flows"
STAGE_NAMES = ("programme", "org_type", "category", "country_or_region")  # catalog keys, by stage
PHONE_STAGES = (0, 3)  # the Sankey on a phone: programme → country or region


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    by_year = reconcile.with_disbursed_text(reconcile_data.funding_tracking_by_year(filters), lang)
    flows = data.flows(filters, lang)
    return html.Div([
        html.H2(t("flows", lang)),
        euros_switch(filters, PATH, lang),
        filter_bar(filters, PATH, lang, years=allowed.years),
        reconcile.committed_line("flows-reconciliation", filters, lang),
        reconcile.payments_note("flows-payments", filters, lang),
        chart_block(
            "funding-by-year", f"{t('committed_eur', lang)} / {t('disbursed_eur', lang)}",
            funding_by_year(by_year, lang), describe.funding_by_year(by_year, lang),
            table(by_year, [("year", t("year", lang), "text"), ("committed_eur", t("committed_eur", lang), "euros"),
                            ("disbursed_text", t("disbursed_eur", lang), "text")], lang),
            "funding_by_year", filters, lang,
        ),
        chart_block(
            "flows-sankey", t("flows_title", lang), flows_sankey(flows, lang),
            describe.flows_sankey(flows, lang),
            _nodes_table(flows, filters, lang),
            "flows", filters, lang, clickable=True,
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
