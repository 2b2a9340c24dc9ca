"""Overview: the headline indicators for one year, against last year and the target."""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboard import data, describe, programmes, reconcile, reconcile_data
from dashboard.charts.money import committed_against_target
from dashboard.components import euros_switch, spec_block, table
from dashboard.filters import Filters, parse, to_query
from dashboard.i18n import euros_short, lang_of, t
from dashboard.kpi import HEADLINE, Kpi, formatted, sentence
from dashboard.specs import spec

dash.register_page(__name__, path="/", name="overview", order=0)


def layout(year: str | None = None, lang: str | None = None, years: str | None = None, euros: str | None = None,
           **_query) -> html.Div:
    lang = lang_of(lang)
    # the money basis (`euros=constant`), validated like every URL value
    basis = parse({"lang": lang, "euros": euros or ""}, data.filter_allowlists()).euros
    available = data.years()
    # `years=2020-2024` copied from another page's address means its last year here
    chosen = _chosen_year(year or (years or "").rpartition("-")[2], available)
    year_filter = Filters(year_from=chosen, year_to=chosen, lang=lang, euros=basis)
    rows = ({r["indicator"]: r for r in data.kpis(chosen, filters=year_filter).iter_rows(named=True)}
            if chosen else {})
    cards = []
    for indicator in HEADLINE:
        row = rows.get(indicator)
        if row is None:
            continue
        kpi = Kpi(indicator, chosen, row["value"], row["previous_value"], row["target"], row["unit"],
                  tracked=indicator != "disbursed_eur" or _payments_tracked(year_filter))
        cards.append(
            html.Article(
                [
                    html.H3(t(indicator, lang), className="kpi-label"),
                    html.P(formatted(kpi, lang), className="kpi-value", id=f"kpi-{indicator}"),
                    html.P(sentence(kpi, lang), className="kpi-sentence"),
                    *(_untracked_part(year_filter, lang) if indicator == "disbursed_eur" and kpi.tracked else []),
                ],
                className="kpi-card",
            )
        )
    return html.Div(
        [
            html.H2(f"{t('overview', lang)} — {chosen}" if chosen else t("overview", lang)),
            html.Nav(
                [
                    dcc.Link(str(y), href="/" + to_query(year_filter.with_(year_from=y, year_to=y)),
                             className="year-link" + (" active" if y == chosen else ""))
                    for y in available
                ],
                className="year-links",
                **{"aria-label": t("year", lang)},
            ),
            euros_switch(year_filter, "/", lang),
            html.Section(cards or [html.P(t("no_data", lang))], className="kpi-grid"),
            # how the year's money is made, and what "versés" counts (issue 15)
            *([reconcile.committed_line("overview-reconciliation", year_filter, lang),
               reconcile.payments_note("overview-payments", year_filter, lang)] if chosen else []),
            # each programme's page, with the year's money (issue 16)
            *([html.Section([html.H3(t("programme.overview_title", lang)),
                             html.P(t("programme.overview_hint", lang, year=chosen), className="hint"),
                             programmes.links(year_filter, lang)], id="overview-programmes")] if chosen else []),
            _against_target(lang, basis),
        ]
    )


def _against_target(lang: str, basis: str = "current") -> html.Section:
    """Every year's committed money against the budget target: the first question at council."""
    view = parse({"lang": lang, "euros": basis}, data.filter_allowlists())
    by_year = data.indicator_by_year("committed_eur", view)
    return spec_block(
        spec("committed_against_target"), t("committed_against_target", lang),
        committed_against_target(by_year, lang), describe.committed_against_target(by_year, lang),
        table(by_year, [("year", t("year", lang), "text"), ("value", t("committed_eur", lang), "euros"),
                        ("target", t("target", lang), "euros")], lang),
        view, lang,
    )


def _untracked_part(filters: Filters, lang: str) -> list:
    """On the disbursed card: how much of the year's committed money has no payment record."""
    parts = reconcile_data.funding_parts(filters)
    if abs(parts["untracked_eur"]) < reconcile.CENT:
        return []
    return [html.P(t("payments.card_partial", lang, amount=euros_short(parts["untracked_eur"], lang),
                     committed=euros_short(parts["committed_eur"], lang)),
                   className="kpi-sentence", id="kpi-disbursed_eur-untracked")]


def _payments_tracked(filters: Filters) -> bool:
    parts = reconcile_data.funding_parts(filters)
    return not reconcile.not_tracked(parts["committed_eur"], parts["tracked_eur"], parts["disbursed_eur"])


def _chosen_year(year: str | None, available: list[int]) -> int | None:
    # ASCII digits only: "²".isdigit() is true and int("²") raises (the page used to go blank)
    if year and year.isascii() and year.isdigit() and int(year) in available:
        return int(year)
    return available[-1] if available else None
