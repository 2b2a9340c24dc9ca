"""Flows: money per year, and programme → organisation type → DAC category → country."""

from __future__ import annotations

import dash
import polars as pl
from dash import html

from dashboard import data, describe, figures
from dashboard.components import chart_block, filter_bar, table
from dashboard.filters import parse
from dashboard.i18n import t

dash.register_page(__name__, path="/flows", name="flows", order=1)

PATH = "/flows"


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    by_year = data.funding_by_year(filters)
    flows = data.flows(filters, lang)
    links = (flows.with_columns(pl.col("beneficiary_type").map_elements(
        lambda c: figures.beneficiary_label(c, lang), return_dtype=pl.String).alias("beneficiary_label")))
    return html.Div([
        html.H2(t("flows", lang)),
        filter_bar(filters, PATH, lang, years=allowed.years),
        chart_block(
            "funding-by-year", f"{t('committed_eur', lang)} / {t('disbursed_eur', lang)}",
            figures.funding_by_year(by_year, lang), describe.funding_by_year(by_year, lang),
            table(by_year, [("year", t("year", lang), "text"), ("committed_eur", t("committed_eur", lang), "euros"),
                            ("disbursed_eur", t("disbursed_eur", lang), "euros")], lang),
            "funding_by_year", filters, lang,
        ),
        chart_block(
            "flows-sankey", t("flows_title", lang), figures.flows_sankey(flows, lang),
            describe.flows_sankey(flows, lang),
            _flows_table(links, filters, lang),
            "flows", filters, lang, clickable=True,
        ),
    ])


def _flows_table(links: pl.DataFrame, filters, lang: str) -> html.Div:
    frame = links.rename({"location_code": "country"})
    return table(frame, [("programme", "Programme", "text"), ("beneficiary_label", t("org_type", lang), "text"),
                         ("category_name", t("category", lang), "text"),
                         ("location_name", t("country_or_region", lang), "text"),
                         ("committed_eur", t("committed_eur", lang), "euros")],
                 lang, link=("location_name", "country", PATH), filters=filters)
