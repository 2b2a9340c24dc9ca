"""Where the money goes: a world map by country, regions and unallocated amounts beside it."""

from __future__ import annotations

import dash
import polars as pl
from dash import dcc, html

from dashboard import data, describe, figures
from dashboard.components import chart_block, filter_bar, table
from dashboard.filters import parse, to_query
from dashboard.i18n import t

dash.register_page(__name__, path="/world", name="world", order=2)

PATH = "/world"
MEASURES = ("committed_eur", "disbursed_eur")


def layout(measure: str | None = None, **query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    measure = measure if measure in MEASURES else "committed_eur"
    places = data.funding_by_place(filters)
    countries = places.filter(pl.col("location_kind") == "country")
    others = places.filter(pl.col("location_kind") != "country").with_columns(
        pl.when(pl.col("location_kind") == "region")
        .then(pl.col("country_code").map_elements(lambda c: t("iati_region", lang, code=c), return_dtype=pl.String))
        .otherwise(pl.lit(t("unallocated", lang))).alias("label"))
    name = "name_en" if lang == "en" else "name_fr"
    switch = html.P([
        dcc.Link(t(m, lang), href=PATH + _with_measure(to_query(filters), m),
                 className="year-link" + (" active" if m == measure else ""), id=f"measure-{m}")
        for m in MEASURES
    ], className="year-links")
    return html.Div([
        html.H2(t("world", lang)),
        filter_bar(filters, PATH, lang, years=allowed.years),
        switch,
        html.Div([
            chart_block(
                "world-map", f"{t('map_title', lang)} — {t(measure, lang)}",
                figures.world_map(countries, lang, measure=measure),
                describe.world_map(countries, lang, measure=measure),
                table(countries.with_columns(pl.col("country_code").alias("country")), [(name, t("country", lang), "text"),
                                  ("committed_eur", t("committed_eur", lang), "euros"),
                                  ("disbursed_eur", t("disbursed_eur", lang), "euros")],
                      lang, link=(name, "country", PATH), filters=filters),
                "funding_by_country", filters, lang, clickable=True,
            ),
            html.Aside([
                html.H3(t("regions_unallocated", lang)),
                table(others, [("label", t("country_or_region", lang), "text"),
                               ("committed_eur", t("committed_eur", lang), "euros"),
                               ("disbursed_eur", t("disbursed_eur", lang), "euros")], lang),
                html.P(t("per_capita_note", lang), className="hint"),
            ], className="side-panel"),
        ], className="two-columns"),
    ])


def _with_measure(search: str, measure: str) -> str:
    if measure == "committed_eur":
        return search
    return (search + "&" if search else "?") + f"measure={measure}"
