"""Programme pages (issue 16): `/programme/<slug>`, one per line of the region's policy.

Each programme found in the snapshot (`funding.programme`, slugs in dashboard/programmes.py)
gets: its year's KPIs against last year (and a target only where targets.toml sets one: none
is set per programme, and the page says so rather than invent one), how its money sits in the
whole (reconcile.py's lines, one home), its money by country, DAC category and organisation
type (the top ones and "others", each total = the programme's), its results as reported in
IATI, and the indicators of its own the data holds — or what is not tracked, and why.
The Festival des Solidarités, which has no grants, gets its page from `campaign_reach`.
`/programme` lists them all. Filters (`years`, `country`, `sector`, `euros`, `lang`) are
kept as on every page; the programme is the page itself, never a `programme=` filter.
"""

from __future__ import annotations

import dash
import polars as pl
from dash import dcc, html

from dashboard import data, grants_data, outcomes_data, programmes, reconcile, reconcile_data, security
from dashboard.charts.at_home import campaign_reach_bars
from dashboard.charts.money import money_bars
from dashboard.components import chart_block, euros_switch, filter_bar, table
from dashboard.filters import Filters, parse, to_query
from dashboard.i18n import euros, number, percent, t
from dashboard.kpi import Kpi, formatted, sentence
from dashboard.names import beneficiary_label

dash.register_page(__name__, path="/programme", path_template="/programme/<slug>", name="programmes",
                   nav=False, order=90)
# an unknown slug answers 404 (security.py), like any path the app does not serve
security.DYNAMIC_PATHS[programmes.PREFIX] = programmes.known_slug

TOP = 8  # rows named in each money chart; the rest in one "others" row


def layout(slug: str | None = None, **query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed).with_(programme=None, departement=None)
    lang = filters.lang
    if not slug or slug == "none":
        return _index(filters, allowed, lang)
    if slug == programmes.FESTIVAL:
        return _festival(filters, allowed, lang)
    name = programmes.name_of(slug)
    if name is None:  # the app's own "page not found" (security.py sends it with a 404)
        return html.Div([html.H2(t("not_found", lang)), dcc.Link(t("back_home", lang), href="/")])
    return _programme(slug, name, filters, allowed, lang)


def _path(slug: str | None) -> str:
    return programmes.PREFIX + slug if slug else "/programme"


def kpi_year(filters: Filters, allowed) -> int | None:
    """The KPIs' year: the last of the chosen years, else the latest the snapshot holds."""
    return filters.year_to if filters.year_to is not None else (allowed.years[-1] if allowed.years else None)


def programme_kpis(name: str, filters: Filters, year: int, allowed) -> list[Kpi]:
    """A programme's KPIs for `year` and the year before, under the page's country/sector filters.
    Paid money is 'non suivi' where none of the year's commitments has a payment record
    (reconcile.not_tracked, the one rule)."""
    def one(y: int | None) -> tuple[dict, dict]:
        if y is None or y not in allowed.years:
            return {}, {}
        view = filters.with_(programme=name, year_from=y, year_to=y)
        return reconcile_data.funding_parts(view), grants_data.grant_counts(view)

    (now, grants_now), (before, grants_before) = one(year), one(year - 1)
    tracked = not reconcile.not_tracked(now.get("committed_eur"), now.get("tracked_eur"), now.get("disbursed_eur"))
    return [
        Kpi("committed_eur", year, now.get("committed_eur"), before.get("committed_eur"), None, "EUR"),
        Kpi("disbursed_eur", year, now.get("disbursed_eur"), before.get("disbursed_eur"), None, "EUR", tracked),
        Kpi("grants", year, grants_now.get("grants"), grants_before.get("grants"), None, "grants"),
        Kpi("organisations", year, grants_now.get("organisations"), grants_before.get("organisations"), None,
            "organisations"),
        Kpi("partner_countries", year, now.get("countries"), before.get("countries"), None, "countries"),
    ]


def _cards(kpis: list[Kpi], lang: str, prefix: str = "kpi") -> html.Section:
    cards = []
    for kpi in kpis:
        words = sentence(kpi, lang)
        if kpi.tracked and kpi.target is None:
            words += " — " + t("programme.no_target", lang)
        cards.append(html.Article([
            html.H3(t(kpi.indicator, lang), className="kpi-label"),
            html.P(formatted(kpi, lang), className="kpi-value", id=f"{prefix}-{kpi.indicator}",
                   **{"data-value": "" if kpi.value is None or not kpi.tracked else repr(float(kpi.value))}),
            html.P(words, className="kpi-sentence", id=f"{prefix}-{kpi.indicator}-sentence"),
        ], className="kpi-card"))
    return html.Section(cards, className="kpi-grid")


def top_and_rest(frame: pl.DataFrame, key: str, label: str, lang: str, top: int = TOP) -> pl.DataFrame:
    """Committed money by `key`: the `top` largest named, the rest summed in one last row
    ("Autres (n)") when it gathers two or more; the rows add up to the frame's total."""
    grouped = (frame.group_by(key).agg(pl.col(label).first().alias("label"), pl.col("committed_eur").sum())
               .sort(["committed_eur", "label"], descending=[True, False]))
    if grouped.height <= top + 1:
        return grouped.select("label", "committed_eur", pl.col(key).alias("code"))
    rest = grouped.slice(top)
    other = pl.DataFrame({"label": [t("programme.others", lang, n=rest.height)],
                          "committed_eur": [rest["committed_eur"].sum()], "code": [None]},
                         schema={"label": pl.String, "committed_eur": grouped.schema["committed_eur"],
                                 "code": pl.String})
    return pl.concat([grouped.head(top).select("label", "committed_eur", pl.col(key).alias("code")), other])


def money_breakdowns(name: str, filters: Filters, lang: str) -> dict[str, pl.DataFrame]:
    """The programme's money (the page's years, country, sector) three ways, from one frame."""
    flows = data.flows(filters.with_(programme=name), lang).with_columns(
        pl.col("beneficiary_type").map_elements(lambda c: beneficiary_label(c, lang), return_dtype=pl.String)
        .alias("beneficiary_label"))
    return {"country": top_and_rest(flows, "location_code", "location_name", lang),
            "category": top_and_rest(flows, "category_code", "category_name", lang),
            "type": top_and_rest(flows, "beneficiary_type", "beneficiary_label", lang)}


def _years_words(filters: Filters, lang: str) -> str:
    if filters.year_from is None:
        return t("programme.all_years", lang)
    return str(filters.year_from) if filters.year_from == filters.year_to else f"{filters.year_from}–{filters.year_to}"


def _describe(frame: pl.DataFrame, filters: Filters, lang: str) -> str:
    if frame.is_empty():
        return t("no_data", lang)
    total = frame["committed_eur"].sum()
    first = frame.row(0, named=True)
    share = first["committed_eur"] / total if total else None
    return t("programme.bars_description", lang, total=euros(total, lang), years=_years_words(filters, lang),
             first=first["label"], amount=euros(first["committed_eur"], lang), share=percent(share, lang),
             n=number(frame.height, lang))


def _money_block(kind: str, frame: pl.DataFrame, filters: Filters, lang: str) -> html.Section:
    header = {"country": "country_or_region", "category": "category", "type": "org_type"}[kind]
    return chart_block(
        f"programme-by-{kind}", t(f"programme.by_{kind}", lang), money_bars(frame, lang),
        _describe(frame, filters, lang),
        table(frame, [("label", t(header, lang), "text"), ("committed_eur", t("committed_eur", lang), "euros")], lang),
        "flows", filters, lang, download_key=f"programme-{kind}",
    )


def _share_line(name: str, filters: Filters, lang: str) -> html.P:
    """How the programme's money sits in the whole: all programmes = this one + the others."""
    whole = reconcile_data.funding_parts(filters)
    own = reconcile_data.funding_parts(filters.with_(programme=name))
    count = max(len(data.filter_allowlists().programmes) - 1, 0)
    return reconcile.line(
        "programme-share", ("programme.total_all", whole["committed_eur"]),
        [("programme.part_this", own["committed_eur"]),
         ("programme.part_others", whole["committed_eur"] - own["committed_eur"])], lang,
        extra={"programme.part_others": {"n": number(count, lang)}})


def _indicators(name: str, filters: Filters, lang: str) -> html.Section:
    """The programme's own indicators, from the data it has; what no source tracks is said."""
    view = filters.with_(programme=name)
    lines: list = []
    slug = programmes.slug_of(name)
    if slug == "commerce-equitable":
        counts = grants_data.grant_counts(view)
        markets = data.campaign_events_of_type(filters, "marche_equitable")
        lines += [t("programme.fair_trade_actors", lang, organisations=number(counts["organisations"], lang),
                    grants=number(counts["grants"], lang)),
                  t("programme.fair_trade_markets", lang, events=number(markets["events"], lang),
                    participants=number(markets["participants"], lang)),
                  t("programme.fair_trade_purchases", lang)]
    elif slug == "jeunesse-solidaire":
        counts = grants_data.grant_counts(view)
        lines += [t("programme.youth_people", lang, grants=number(counts["person_grants"], lang))]
    elif slug == "fonds-d-urgence":
        lines += [_payment_delay(name, filters, lang)]
    results = outcomes_data.outcome_totals(view)
    parts: list = [html.H3(t("programme.indicators", lang))]
    parts += [html.P(line, className="programme-indicator") for line in lines]
    if not results.is_empty():
        parts.append(html.H4(t("programme.results", lang)))
        parts.append(table(results, [("indicator_title", t("programme.indicator", lang), "text"),
                                     ("actual_total", t("programme.actual_total", lang), "number"),
                                     ("target_share", t("programme.target_share", lang), "percent")], lang))
    elif not lines:
        parts.append(html.P(t("programme.no_indicator", lang)))
    return html.Section(parts, id="programme-indicators", className="programme-indicators")


def _payment_delay(name: str, filters: Filters, lang: str) -> str:
    """Days from the decision to the first payment, in the selection's latest year with a paid
    grant (marts.payment_delays); no source dates a crisis, and the sentence says so."""
    delays = grants_data.payment_delays(name)
    if filters.year_from is not None:
        delays = delays.filter(pl.col("year").is_between(filters.year_from, filters.year_to))
    if delays.is_empty():
        return t("programme.emergency_delay_none", lang)
    latest = delays.row(0, named=True)  # most recent year first
    return t("programme.emergency_delay_days", lang, year=latest["year"], median=number(latest["median_days"], lang),
             min=number(latest["min_days"], lang), max=number(latest["max_days"], lang),
             grants=number(latest["grants_paid"], lang))


def _programme(slug: str, name: str, filters: Filters, allowed, lang: str) -> html.Div:
    path = _path(slug)
    year = kpi_year(filters, allowed)
    kpis = programme_kpis(name, filters, year, allowed) if year is not None else []
    money = money_breakdowns(name, filters, lang)
    own = filters.with_(programme=name)
    return html.Div([
        html.H2(t("programme.title", lang, name=name)),
        html.P(dcc.Link(t("programme.all", lang), href="/programme" + _keep(filters)), className="hint"),
        euros_switch(filters, path, lang),
        filter_bar(filters, path, lang, years=allowed.years),
        html.H3(t("programme.kpis", lang, year=year)) if year is not None else None,
        _cards(kpis, lang) if kpis else html.P(t("no_data", lang)),
        _share_line(name, filters, lang),
        reconcile.committed_line("programme-reconciliation", own, lang),
        reconcile.payments_note("programme-payments", own, lang),
        *[_money_block(kind, money[kind], own, lang) for kind in ("country", "category", "type")],
        _indicators(name, filters, lang),
    ])


def _keep(filters: Filters) -> str:
    return to_query(filters.with_(programme=None, departement=None))


def _index(filters: Filters, allowed, lang: str) -> html.Div:
    return html.Div([
        html.H2(t("programme.index_title", lang)),
        euros_switch(filters, "/programme", lang),
        filter_bar(filters, "/programme", lang, years=allowed.years),
        programmes.links(filters, lang, element_id="programme-index"),
    ])


def _festival(filters: Filters, allowed, lang: str) -> html.Div:
    """The Festival des Solidarités: animations, participants, young participants (against the
    events target where targets.toml sets one), by year; communes are not in the snapshot."""
    path = _path(programmes.FESTIVAL)
    local = filters.with_(country=None, sector=None)
    reach = data.campaign_reach(local)
    years = sorted(set(reach["year"].to_list()))
    year = filters.year_to if filters.year_to in years else (years[-1] if years else None)
    rows = {r["indicator"]: r for r in data.kpis(year, filters=local).iter_rows(named=True)} if year else {}
    kpis = [Kpi(indicator, year, rows[indicator]["value"], rows[indicator]["previous_value"],
                rows[indicator]["target"], rows[indicator]["unit"])
            for indicator in ("events", "participants", "young_participants") if indicator in rows]
    departements = reach.filter(pl.col("departement_code") != "inconnu")["departement_code"].n_unique()
    by_year = reach.group_by("year").agg(pl.col("events").sum(), pl.col("participants").sum(),
                                         pl.col("young_participants").sum()).sort("year")
    return html.Div([
        html.H2(t("programme.title", lang, name=t("programme.festival", lang))),
        html.P(dcc.Link(t("programme.all", lang), href="/programme" + _keep(filters)), className="hint"),
        filter_bar(local, path, lang, years=allowed.years),
        html.H3(t("programme.kpis", lang, year=year)) if year is not None else None,
        _cards(kpis, lang) if kpis else html.P(t("no_data", lang)),
        reconcile.reach_line("programme-reach", local, lang),
        html.P(t("programme.festival_communes", lang, n=number(departements, lang)), className="hint",
               id="festival-communes"),
        chart_block(
            "festival-by-year", t("programme.festival_by_year", lang), campaign_reach_bars(by_year, lang),
            t("programme.festival_description", lang, years=_years_words(local, lang),
              events=number(by_year["events"].sum(), lang), participants=number(by_year["participants"].sum(), lang)),
            table(by_year, [("year", t("year", lang), "text"), ("events", t("events", lang), "number"),
                            ("participants", t("participants", lang), "number"),
                            ("young_participants", t("young_participants", lang), "number")], lang),
            "campaign_reach", local, lang,
        ),
    ])
