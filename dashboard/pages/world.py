"""Where the money goes: a world map by country, regions and unallocated amounts beside it.

Two switches live in the URL beside the filters: `measure=disbursed_eur` (committed by
default) and `per=capita` (euros per inhabitant instead of total euros). Map, description
and table follow both; the download always carries population and per-capita columns.
Below the map, the region's share of all the money the IATI registry knows per country (issue 19,
dashboard/others_blocks.py), sorted as `share_order=` says (share by default).
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import polars as pl
from dash import dcc, html

from dashboard import data, describe, others_blocks, reconcile
from dashboard.charts.world import world_map
from dashboard.components import PROFILE, euros_switch, filter_bar, spec_block, table
from dashboard.figures import sized_by_css
from dashboard.filters import parse, to_params
from dashboard.i18n import t
from dashboard.specs import spec

dash.register_page(__name__, path="/world", name="world", order=2)

PATH = "/world"
MEASURES = ("committed_eur", "disbursed_eur")
PER_CAPITA = "capita"
SHARE_ORDER = "share"  # the region's share table, largest share first unless `share_order=` says
WORLD = spec("funding_by_country")


def layout(measure: str | None = None, per: str | None = None, share_order: str | None = None,
           **query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    measure = measure if measure in MEASURES else "committed_eur"
    per_capita = per == PER_CAPITA
    share_order = share_order if share_order in others_blocks.ORDERS else SHARE_ORDER
    places = WORLD.frame(filters)
    countries = places.filter(pl.col("location_kind") == "country")
    others = places.filter(pl.col("location_kind") != "country").with_columns(
        # regions named from the IATI codelist (data.funding_by_place); the rest has no known country
        pl.when(pl.col("location_kind") == "region").then(pl.col("name_en" if lang == "en" else "name_fr"))
        .otherwise(pl.lit(t("unknown_place", lang))).alias("label"))
    # disbursed reads 'non suivi' where no payment can be known (issue 15)
    others = reconcile.disbursed_texts(others, filters, {"country_code": "location_code"}, lang)
    name = "name_en" if lang == "en" else "name_fr"
    switches = html.Div([
        html.P([
            dcc.Link(t(m, lang), href=href(filters, m, per_capita, share_order),
                     className="year-link" + (" active" if m == measure else ""), id=f"measure-{m}")
            for m in MEASURES
        ], className="year-links"),
        html.P([
            dcc.Link(t(label, lang), href=href(filters, measure, on, share_order),
                     className="year-link" + (" active" if on == per_capita else ""), id=f"per-{key}")
            for key, label, on in (("total", "absolute_amounts", False), ("capita", "per_capita", True))
        ], className="year-links"),
    ])
    title = f"{t('map_title', lang)} — {t(measure, lang)}" + (f" {t('per_inhabitant', lang)}" if per_capita else "")
    rows = countries.with_columns(pl.col("country_code").alias("country"))
    if per_capita:
        rows = rows.sort([f"{measure}_per_capita", "country_code"], descending=[True, False], nulls_last=True)
        columns = [(name, t("country", lang), "text"), ("population", t("population", lang), "number"),
                   ("committed_eur_per_capita", t("committed_eur_per_capita", lang), "euros_per_capita"),
                   ("disbursed_eur_per_capita", t("disbursed_eur_per_capita", lang), "euros_per_capita")]
    else:
        rows = reconcile.disbursed_texts(rows, filters, {"country_code": "location_code"}, lang)
        columns = [(name, t("country", lang), "text"),
                   ("committed_eur", t("committed_eur", lang), "euros"),
                   ("disbursed_text", t("disbursed_eur", lang), "text")]
    return html.Div([
        html.H2(t("world", lang)),
        euros_switch(filters, PATH, lang, link_to=lambda view: href(view, measure, per_capita, share_order)),
        filter_bar(filters, PATH, lang, years=allowed.years),
        switches,
        # the map's total said as the programme's, part by part (issue 15)
        reconcile.places_line("world-reconciliation", filters, lang, measure),
        reconcile.payments_note("world-payments", filters, lang),
        html.Div([
            spec_block(
                WORLD, title,
                sized_by_css(world_map(countries, lang, measure=measure, per_capita=per_capita)),
                describe.world_map(countries, lang, measure=measure, per_capita=per_capita),
                table(rows, columns, lang, link=(name, "country", PROFILE), filters=filters),
                filters, lang, clickable=True,
            ),
            html.Aside([
                html.H3(t("regions_unallocated", lang)),
                table(others, [("label", t("country_or_region", lang), "text"),
                               ("committed_eur", t("committed_eur", lang), "euros"),
                               ("disbursed_text", t("disbursed_eur", lang), "text")], lang),
                html.P(t("per_capita_note", lang), className="hint"),
                html.P(missing_population(countries, name, lang), className="hint", id="world-no-population"),
            ], className="side-panel"),
        ], className="two-columns"),
        # the region's share of all the money the IATI registry knows, per country (issue 19)
        others_blocks.world_block(filters, lang, share_order,
                                  lambda order: href(filters, measure, per_capita, order) + "#world-region-share"),
    ])


def missing_population(countries: pl.DataFrame, name: str, lang: str) -> str:
    """Which countries of the selection have no population (so no per-inhabitant amount)."""
    missing = countries.filter(pl.col("population").is_null())[name].unique().sort().to_list()
    if not missing:
        return t("all_populations_known", lang)
    return t("no_population", lang, countries=", ".join(missing))


def href(filters, measure: str, per_capita: bool, share_order: str = "share") -> str:
    """This page's URL for the filters, both switches and the share table's order (defaults left out)."""
    params = to_params(filters)
    if measure != "committed_eur":
        params["measure"] = measure
    if per_capita:
        params["per"] = PER_CAPITA
    if share_order != SHARE_ORDER:
        params["share_order"] = share_order
    return PATH + ("?" + urlencode(params) if params else "")
