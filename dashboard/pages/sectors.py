"""Sectors: DAC categories and their 5-digit sectors; a tile or a row filters; each category
links to its grants (`/grants?sector=<category>&...`, a grant's main DAC category)."""

from __future__ import annotations

import dash
import polars as pl
from dash import dcc, html

from dashboard import data, grants_data, reconcile
from dashboard.components import euros_switch, filter_bar, spec_block, table
from dashboard.filters import parse, to_query
from dashboard.i18n import t
from dashboard.names import readable_names
from dashboard.specs import spec

dash.register_page(__name__, path="/sectors", name="sectors", order=3)

PATH = "/sectors"
SECTORS = spec("sectors")


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    sectors = SECTORS.frame(filters)
    # names as every page says them (names.readable_names): no known category, never a bare code
    rows = readable_names(sectors, lang).with_columns(
        pl.col("sector_code").alias("sector"),
        pl.when(pl.col("sector_code") != "unallocated").then(pl.col("sector_code")).alias("sector_code_text"))
    # disbursed reads 'non suivi' where no payment can be known (issue 15)
    rows = reconcile.disbursed_texts(rows, filters, {"category_code": "category_code", "sector_code": "sector_code"},
                                     lang)
    by_category = readable_names(grants_data.grants_by_category(filters, lang), lang).with_columns(
        pl.col("category_code").alias("sector"))
    return html.Div([
        html.H2(t("sectors", lang)),
        euros_switch(filters, PATH, lang),
        filter_bar(filters, PATH, lang, years=allowed.years),
        # the treemap's total and the grants table's, each said as the programme's (issue 15)
        reconcile.sectors_line("sectors-reconciliation", filters, lang),
        reconcile.payments_note("sectors-payments", filters, lang),
        spec_block(
            SECTORS, t("sectors_title", lang), SECTORS.figure(sectors, lang), SECTORS.describe(sectors, lang),
            table(rows, [("category_name", t("category", lang), "text"),
                         ("sector_code_text", t("dac_code", lang), "text"),
                         ("sector_name", t("sector", lang), "text"),
                         ("committed_eur", t("committed_eur", lang), "euros"),
                         ("disbursed_text", t("disbursed_eur", lang), "text")],
                  lang, link=("sector_name", "sector", PATH), filters=filters),
            filters, lang, clickable=True,
        ),
        html.Section([
            html.H3(t("grants_by_category", lang), id="sectors-grants-title"),
            html.P(t("grants_by_category_note", lang), className="hint"),
            reconcile.grants_line("sectors-grants-reconciliation", filters, lang),
            # each category links to the grants page filtered on it, the other filters kept
            table(by_category, [("category_name", t("category", lang), "text"),
                                ("grants", t("grant_count", lang), "number"),
                                ("amount_eur", t("amount", lang), "euros")],
                  lang, link=("category_name", "sector", "/grants"), filters=filters),
            html.P(dcc.Link(t("see_grants", lang), href=grants_href(filters), id="sectors-to-grants")),
        ], className="chart-block", id="sectors-grants"),
    ])


def grants_href(filters) -> str:
    """The grants of this selection: a grant has one (main) category, so a 5-digit sector
    filter drills down to its category."""
    sector = filters.sector[:3] if filters.sector else None
    return "/grants" + to_query(filters.with_(sector=sector))
