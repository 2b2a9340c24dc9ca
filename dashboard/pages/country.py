"""Country profiles (issue 16): `/country/<ISO3>`, opened from the world map and its table.

One page per place money goes to (a country, or an IATI region: the same page without the
country's context): its names, its context (LDC status, DAC region, population, with the
population's caveat), what was committed and paid there ("non suivi" where no payment can be
known: reconcile.py's rule, one home), its money by year, programme and DAC category, the
region's organisations active there (natural persons counted, never named), who else funds there
("Autres bailleurs": the IATI registry's publishers and the region's share, dashboard/others_blocks.py),
its largest grants (each opening its project page) and its results as reported in IATI.

The place is the page itself, never a `country=` filter; the other filters (`years`,
`programme`, `sector`, `euros`, `lang`) are kept as on every page. A code the snapshot has no
money for answers 404 (security.DYNAMIC_PATHS), like any path the app does not serve.
"""

from __future__ import annotations

from urllib.parse import quote, unquote

import dash
import polars as pl
from dash import dcc, html

from dashboard import data, describe, grants_data, others_blocks, outcomes_data, reconcile, reconcile_data, security
from dashboard.charts.money import funding_by_year, money_bars
from dashboard.components import chart_block, euros_switch, filter_bar, table
from dashboard.figures import sized_by_css
from dashboard.filters import Filters, parse, to_query
from dashboard.i18n import euros, euros_short, number, t
from dashboard.names import beneficiary_label

PREFIX = "/country/"
TOP = 8  # bars named in the programme and category charts; the rest in one (the tables list all)
GRANTS_LISTED = 50  # the largest grants, each with its project page; all of them are on /grants

# no index page: `/country` alone is unknown (404), only `/country/<code>` exists
dash.register_page(__name__, path="/country", path_template="/country/<code>", name="country_page",
                   nav=False, index=False, order=91)


def known_code(value: str) -> bool:
    """A country or IATI region with money in the snapshot (the country filter's allowlist)."""
    return unquote(value) in data.filter_allowlists().countries


security.DYNAMIC_PATHS[PREFIX] = known_code


def project_href(grant_key: str, filters: Filters) -> str:
    """A grant's project page with the reader's filters (its key quoted: a file name may hold anything)."""
    return "/project/" + quote(grant_key, safe=":") + to_query(filters.with_(country=None))


def layout(code: str | None = None, **query) -> html.Div:
    allowed = data.filter_allowlists()
    # the place is the page: a `country=` in the query is dropped, the other filters kept
    filters = parse(query, allowed).with_(country=None, departement=None)
    lang = filters.lang
    code = unquote(code or "")
    info = data.place(code) if code in allowed.countries else None
    if info is None:  # the app's own "page not found" (security.py sends it with a 404)
        return html.Div([html.H2(t("not_found", lang)), dcc.Link(t("back_home", lang), href="/")])
    here = filters.with_(country=code)
    path = PREFIX + code
    name = info[f"name_{lang}"] or code
    return html.Div([
        html.H2(name, id="country-name"),
        html.P(dcc.Link(t("country.back_to_map", lang), href="/world" + to_query(filters)), className="hint"),
        euros_switch(filters, path, lang),
        filter_bar(filters, path, lang, years=allowed.years),
        _context(code, info, lang),
        _kpis(here, lang),
        *_money(here, lang),
        # who else funds here, from the IATI registry when the snapshot carries it (issue 19)
        *others_blocks.country_blocks(here, lang),
        _organisations(here, lang),
        _grants(here, filters, lang),
        _results(here, lang),
    ], className="country-page")


def _context(code: str, info: dict, lang: str) -> html.Section:
    """What the place is: LDC or not, its DAC region, its population and where that comes from."""
    if info["kind"] != "country":
        items = [html.Li(t("country.is_region", lang, code=code))]
    else:
        ldc = t("country.ldc_yes" if info["ldc"] else "country.ldc_no", lang)
        population = (t("country.population", lang, population=number(info["population"], lang))
                      if info["population"] else t("country.population_unknown", lang))
        items = [html.Li(t("country.code", lang, code=code), id="country-code"),
                 html.Li(ldc, id="country-ldc"),
                 html.Li(t("country.dac_region", lang, region=info[f"dac_region_{lang}"] or "–"), id="country-region"),
                 html.Li([population, " ", html.Span(t("country.population_note", lang), className="hint")],
                         id="country-population")]
    return html.Section([html.H3(t("country.context", lang)), html.Ul(items)], className="kpi-card country-context",
                        id="country-context")


def _kpis(here: Filters, lang: str) -> html.Section:
    """Committed and paid in the place over the selection; paid is 'non suivi' where none of the
    committed money has a payment record (reconcile.not_tracked, the one rule)."""
    p = reconcile_data.funding_parts(here)
    paid = reconcile.disbursed_cell(p["committed_eur"], p["tracked_eur"], p["disbursed_eur"], lang, short=True)
    untracked = reconcile.not_tracked(p["committed_eur"], p["tracked_eur"], p["disbursed_eur"])
    cards = [("committed_eur", euros_short(p["committed_eur"], lang), p["committed_eur"]),
             ("disbursed_eur", paid, None if untracked else p["disbursed_eur"])]
    return html.Section([
        html.Article([html.H3(t(key, lang), className="kpi-label"),
                      html.P(text, className="kpi-value", id=f"country-{key}",
                             **{"data-value": "" if value is None else repr(float(value))})],
                     className="kpi-card")
        for key, text, value in cards
    ] + [html.P(reconcile.sentence(("reconcile.total_committed", p["committed_eur"]),
                                   [("reconcile.part_grants", p["grant_eur"]),
                                    ("reconcile.part_cofinancing", p["cofinancing_eur"])], lang),
                className="hint", id="country-reconciliation")],
        className="kpi-grid")


def _money_columns(key: str, label: str, kind: str, lang: str) -> list[tuple[str, str, str]]:
    return [(key, label, kind), ("committed_eur", t("committed_eur", lang), "euros"),
            ("disbursed_text", t("disbursed_eur", lang), "text")]


def _money(here: Filters, lang: str) -> list[html.Section]:
    """Money by year (committed against paid), by programme and by DAC category."""
    by_year = reconcile.with_disbursed_text(reconcile_data.money_by(here, "year", lang), lang)
    by_programme = reconcile.with_disbursed_text(reconcile_data.money_by(here, "programme", lang), lang)
    by_category = reconcile.with_disbursed_text(reconcile_data.money_by(here, "category_code", lang), lang)
    return [
        chart_block("country-years", t("country.by_year", lang),
                    sized_by_css(funding_by_year(by_year, lang)),
                    describe.funding_by_year(by_year, lang),
                    table(by_year, _money_columns("year", t("year", lang), "text", lang), lang),
                    "funding_by_year", here, lang, download_key="country-years"),
        # one above the other: a category's name needs the page's width beside its bar
        chart_block("country-programmes", t("country.by_programme", lang),
                    sized_by_css(money_bars(_top(by_programme.with_columns(
                        pl.col("programme").fill_null(t("beneficiary_non_renseigne", lang)).alias("label")), lang),
                        lang)),
                    _top_words(by_programme, "programme", lang),
                    table(by_programme, _money_columns("programme", t("programme", lang), "text", lang), lang),
                    "flows", here, lang, download_key="country-programmes"),
        chart_block("country-categories", t("country.by_category", lang),
                    sized_by_css(money_bars(_top(by_category.rename({"category_name": "label"}), lang), lang)),
                    _top_words(by_category, "category_name", lang),
                    table(by_category, _money_columns("category_name", t("category", lang), "text", lang), lang),
                    "sectors", here, lang, download_key="country-categories"),
    ]


def _top(frame: pl.DataFrame, lang: str) -> pl.DataFrame:
    """A chart's bars: the TOP largest named, the rest in one last bar ('Autres (n)'), the same total."""
    frame = frame.select("label", "committed_eur")
    if frame.height <= TOP + 1:
        return frame
    rest = frame.slice(TOP)
    other = pl.DataFrame({"label": [t("country.others", lang, n=rest.height)],
                          "committed_eur": [rest["committed_eur"].sum()]}, schema=frame.schema)
    return pl.concat([frame.head(TOP), other])


def _top_words(frame: pl.DataFrame, label: str, lang: str) -> str:
    """The chart's description: how many parts, and the largest with their amounts."""
    if frame.is_empty():
        return t("describe.no_data", lang)
    top = ", ".join(f"{row[label] or t('beneficiary_non_renseigne', lang)} ({euros_short(row['committed_eur'], lang)})"
                    for row in frame.head(3).iter_rows(named=True))
    return t("country.top", lang, count=number(frame.height, lang), total=euros_short(frame["committed_eur"].sum(), lang),
             top=top)


def _organisations(here: Filters, lang: str) -> html.Section:
    """The region's organisations funded there; natural persons counted, never named."""
    orgs = grants_data.place_organisations(here).with_columns(
        pl.col("beneficiary_type").map_elements(lambda c: beneficiary_label(c, lang), return_dtype=pl.String)
        .alias("type_label"))
    persons, persons_eur = grants_data.place_persons(here)
    note = ([html.P(t("country.persons", lang, count=number(persons, lang), amount=euros_short(persons_eur, lang)),
                    className="hint", id="country-persons")] if persons else [])
    return html.Section([
        html.H3(t("country.organisations", lang), id="country-organisations-title"),
        html.P(t("country.organisations_note", lang, count=number(orgs.height, lang)), className="hint"),
        table(orgs, [("beneficiary_name", t("beneficiary", lang), "text"), ("type_label", t("org_type", lang), "text"),
                     ("grants", t("country.grants", lang), "number"), ("amount_eur", t("amount", lang), "euros")], lang),
        *note,
    ], className="chart-block", id="country-organisations")


def _grants(here: Filters, filters: Filters, lang: str) -> html.Section:
    """The place's largest grants, each opening its project page; all of them on /grants."""
    count, total = grants_data.grants_summary(here)
    rows = grants_data.place_grants(here, GRANTS_LISTED)
    items = []
    for row in rows.iter_rows(named=True):
        words = f"{row['year']} · {row['beneficiary_name']} · {row['programme'] or '–'} · {euros(row['amount_eur'], lang)}"
        items.append(html.Li(dcc.Link(words, href=project_href(row["grant_key"], filters),
                                      className="project-link")))
    return html.Section([
        html.H3(t("country.projects", lang)),
        html.P([t("country.projects_note", lang, shown=number(rows.height, lang), count=number(count, lang),
                  total=euros_short(total, lang)), " ",
                dcc.Link(t("country.all_grants", lang), href="/grants" + to_query(here))], className="hint"),
        html.Ul(items, id="country-projects", className="project-list"),
    ], className="chart-block")


def _results(here: Filters, lang: str) -> html.Section:
    """Results reported in IATI for activities whose main place is here: baseline, target, actual."""
    frame = outcomes_data.outcomes(here)
    return html.Section([
        html.H3(t("country.results", lang)),
        html.P(t("country.results_note", lang, count=number(frame.height, lang)), className="hint"),
        table(frame, [("year", t("year", lang), "text"), ("activity_title", t("country.activity", lang), "text"),
                      ("indicator_title", t("country.indicator", lang), "text"),
                      ("baseline_value", t("country.baseline", lang), "number1"),
                      ("target_value", t("country.target", lang), "number1"),
                      ("actual_value", t("country.actual", lang), "number1")], lang),
    ], className="chart-block", id="country-results")

