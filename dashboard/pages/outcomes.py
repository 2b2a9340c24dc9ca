"""Outcomes: what the projects achieved — the totals of their IATI result indicators (children
schooled, people with safe water…) against their targets — and how many measurements are left
out of those totals, and why.

The page holds small tables only (one row per indicator, one per year): every measurement is
in the download. Dash 4.4's renderer makes each newly drawn component notify every mounted
one, so a page of thousands of table cells froze the tab for tens of seconds (issue 15: the
300-row measurement table was 3,000 cells; 1,854 store updates at ~9 ms each).
"""

from __future__ import annotations

import dash
from dash import html

from dashboard import data, describe, outcomes_data, reconcile
from dashboard.charts.outcomes import outcome_totals, outcomes_achievement
from dashboard.components import chart_block, filter_bar, spec_block, table
from dashboard.filters import parse
from dashboard.i18n import t
from dashboard.specs import spec

dash.register_page(__name__, path="/outcomes", name="outcomes", order=4)

PATH = "/outcomes"
OUTCOMES = spec("outcomes")  # every measurement: the download under both charts


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    totals = outcomes_data.outcome_totals(filters)
    bands = outcomes_data.outcomes_by_band(filters)
    measurements = OUTCOMES.frame(filters)  # (year, achievement) per measurement: the band chart's bars
    return html.Div([
        html.H2(t("outcomes", lang)),
        filter_bar(filters, PATH, lang, years=allowed.years),
        reconcile.outcomes_line("outcomes-reconciliation", filters, lang),
        spec_block(
            OUTCOMES, t("outcomes.totals_title", lang), outcome_totals(totals, lang),
            describe.outcome_totals(totals, lang),
            html.Div([
                table(totals, [("indicator_title", t("indicator", lang), "text"),
                               ("actual_total", t("outcomes.reached_total", lang), "number"),
                               ("target_with_actual", t("outcomes.target_total", lang), "number"),
                               ("target_share", t("outcomes.target_share", lang), "percent"),
                               ("measurements", t("outcomes.measurements", lang), "number"),
                               ("with_both", t("outcomes.counted", lang), "number"),
                               ("without_actual", t("outcomes.without_actual", lang), "number"),
                               ("without_target", t("outcomes.without_target", lang), "number")], lang),
                html.P(t("outcomes.download_note", lang), className="hint"),
            ]),
            filters, lang,
        ),
        html.P(t("outcomes.totals_note", lang), className="hint", id="outcomes-totals-note"),
        chart_block(
            "outcomes-achievement", t("outcomes.bands_title", lang),
            outcomes_achievement(measurements, lang), describe.outcomes_achievement(measurements, lang),
            table(bands, [("year", t("year", lang), "text"), ("below_half", "< 50\u202f%", "number"),
                          ("half_or_more", "50–99\u202f%", "number"), ("reached", "≥ 100\u202f%", "number"),
                          ("no_achievement", t("outcomes.band_none", lang), "number")], lang),
            OUTCOMES.dataset, filters, lang, download_key="outcomes-bands",
        ),
    ])
