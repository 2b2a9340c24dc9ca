"""At home: jobs and Festival des Solidarités reach by département, beside the money."""

from __future__ import annotations

import dash
import polars as pl
from dash import html

from dashboard import data, describe, reconcile
from dashboard.charts.at_home import campaign_reach_bars, departements_map
from dashboard.components import chart_block, euros_switch, filter_bar, spec_block, table
from dashboard.figures import sized_by_css
from dashboard.filters import parse
from dashboard.i18n import euros_short, t
from dashboard.specs import departements_geojson, spec

dash.register_page(__name__, path="/at-home", name="at_home", order=5)

PATH = "/at-home"
JOBS, REACH = spec("jobs_by_departement"), spec("campaign_reach")


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    geo = departements_geojson()
    jobs = JOBS.frame(filters)
    reach = REACH.frame(filters)
    reach_by_dep = (reach.filter(pl.col("departement_code") != "inconnu")
                    .group_by("departement_code").agg(pl.col("name").first(),
                                                      pl.col("participants").sum().cast(pl.Float64).alias("value"))
                    .sort("departement_code"))
    reach_by_year = reach.select("year", "events", "participants", "young_participants")
    year_label = f" ({jobs['year'][0]})" if jobs.height else ""
    money = data.funding_by_year(filters.with_(departement=None))
    committed = money["committed_eur"].sum() if money.height else None
    return html.Div([
        html.H2(t("at_home", lang)),
        euros_switch(filters, PATH, lang),
        filter_bar(filters, PATH, lang, years=allowed.years,
                   labels={"departement": _dep_name(filters.departement, jobs, reach)}),
        html.P(f"{t('committed_eur', lang)} : {euros_short(committed, lang)}", className="lead", id="at-home-money"),
        html.Div([
            spec_block(
                JOBS, t("jobs_map_title", lang) + year_label,
                sized_by_css(JOBS.figure(jobs, lang)), JOBS.describe(jobs, lang),
                table(jobs.rename({"departement_code": "departement"}),
                      [("departement", "Code", "text"), ("name", t("departement", lang), "text"),
                       ("organisations", t("organisations", lang), "number"),
                       ("headcount", t("jobs_headcount", lang), "number"), ("fte", t("jobs_fte", lang), "number1"),
                       ("volunteers", t("volunteers", lang), "number")],
                      lang, link=("name", "departement", PATH), filters=filters),
                filters, lang, clickable=True,
            ),
            # the page draws the Festival's reach as a map (the embed, as bars: specs.py)
            spec_block(
                REACH, t("reach_map_title", lang),
                sized_by_css(departements_map(reach_by_dep, geo, lang, t("participants", lang))),
                describe.departements_map(reach_by_dep, lang, t("participants", lang)),
                table(reach_by_dep.rename({"departement_code": "departement"}),
                      [("departement", "Code", "text"), ("name", t("departement", lang), "text"),
                       ("value", t("participants", lang), "number")],
                      lang, link=("name", "departement", PATH), filters=filters),
                filters, lang, clickable=True,
            ),
        ], className="two-columns equal"),
        html.P(t("map_credit", lang), className="hint"),
        # the map's participants and the chart's below, said as one total (issue 15)
        reconcile.reach_line("at-home-reconciliation", filters, lang),
        chart_block(
            "reach-bars", t("reach_title", lang), campaign_reach_bars(reach_by_year, lang),
            describe.campaign_reach_bars(reach_by_year, lang),
            table(reach_by_year.group_by("year").sum().sort("year"),
                  [("year", t("year", lang), "text"), ("events", t("events", lang), "number"),
                   ("participants", t("participants", lang), "number"),
                   ("young_participants", t("young_participants", lang), "number")], lang),
            REACH.dataset, filters, lang, download_key="campaign_reach-by-year",  # the map's links have the plain ids
        ),
    ])


def _dep_name(code: str | None, *frames: pl.DataFrame) -> str:
    for frame in frames:
        match = frame.filter(pl.col("departement_code") == code)
        if code and match.height:
            return f"{match['name'][0]} ({code})"
    return code or ""
