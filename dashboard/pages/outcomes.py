"""Outcomes: IATI result indicators — baseline, target, actual — with the grant decision behind each."""

from __future__ import annotations

import dash
from dash import html

from dashboard import data, describe, figures
from dashboard.components import chart_block, filter_bar, table
from dashboard.filters import parse
from dashboard.i18n import t

dash.register_page(__name__, path="/outcomes", name="outcomes", order=4)

PATH = "/outcomes"


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    outcomes = data.outcomes(filters)
    return html.Div([
        html.H2(t("outcomes", lang)),
        filter_bar(filters, PATH, lang, years=allowed.years),
        chart_block(
            "outcomes-achievement", t("outcomes_title", lang), figures.outcomes_achievement(outcomes, lang),
            describe.outcomes_achievement(outcomes, lang),
            table(outcomes.rename({"location_code": "country"}),
                  [("year", t("year", lang), "text"), ("country", t("country_or_region", lang), "text"),
                   ("category_code", t("category", lang), "text"), ("activity_title", t("activity", lang), "text"),
                   ("reference_decision", t("decision", lang), "text"),
                   ("indicator_title", t("indicator", lang), "text"),
                   ("baseline_value", t("baseline", lang), "number"), ("target_value", t("target", lang), "number"),
                   ("actual_value", t("actual", lang), "number"), ("achievement", t("achievement", lang), "percent")],
                  lang, link=("country", "country", PATH), filters=filters),
            "outcomes", filters, lang,
        ),
    ])
