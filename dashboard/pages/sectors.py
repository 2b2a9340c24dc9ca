"""Sectors: DAC categories and their 5-digit sectors; a tile or a row filters, then drills to grants."""

from __future__ import annotations

import dash
import polars as pl
from dash import dcc, html

from dashboard import data, describe, figures
from dashboard.components import chart_block, filter_bar, table
from dashboard.filters import parse, to_query
from dashboard.i18n import t

dash.register_page(__name__, path="/sectors", name="sectors", order=3)

PATH = "/sectors"


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    sectors = data.sectors(filters, lang)
    rows = sectors.with_columns(pl.col("sector_code").alias("sector"))
    return html.Div([
        html.H2(t("sectors", lang)),
        filter_bar(filters, PATH, lang, years=allowed.years),
        chart_block(
            "sectors-treemap", t("sectors_title", lang), figures.sectors_treemap(sectors, lang),
            describe.sectors_treemap(sectors, lang),
            table(rows, [("category_name", t("category", lang), "text"), ("sector_code", "Code", "text"),
                         ("sector_name", t("sector", lang), "text"),
                         ("committed_eur", t("committed_eur", lang), "euros"),
                         ("disbursed_eur", t("disbursed_eur", lang), "euros")],
                  lang, link=("sector_name", "sector", PATH), filters=filters),
            "sectors", filters, lang, clickable=True,
        ),
        # grants carry no sector of their own: the drill-down keeps years, programme and country
        html.P(dcc.Link(t("see_grants", lang), href="/grants" + to_query(filters.with_(sector=None)),
                        id="sectors-to-grants")),
    ])
