"""Totals that add up (issue 15): every page that shows a total says, on one line, how it is
made of the programme's parts; "versés" reads "non suivi" where no payment can be known;
the results page shows the totals the results hold.

Each line carries its exact numbers (`data-total`, `data-parts`); here the parts must add
up to the total, and the total and each part must equal an independent query over the
snapshot's base tables (funding, grants_public, campaign_reach, outcomes, flows), never
over marts.funding_reconciliation, the mart the lines are read from.
"""

from __future__ import annotations

import json
from decimal import Decimal

import dash
import duckdb
import pytest

from dashboard.i18n import euros_short, number, percent

CENT = 0.01

# the parts of committed money, from the base marts (co-financing is its own programme)
COMMITTED_PARTS = {
    "total": "select coalesce(sum(committed_eur), 0) from funding where {w}",
    "grants": "select coalesce(sum(committed_eur), 0) from funding where {w} and programme <> 'Cofinancements (IATI)'",
    "cofinancing": "select coalesce(sum(committed_eur), 0) from funding where {w} "
                   "and programme = 'Cofinancements (IATI)'",
    "country": "select coalesce(sum(committed_eur), 0) from funding where {w} and location_kind = 'country'",
    "region": "select coalesce(sum(committed_eur), 0) from funding where {w} and location_kind = 'region'",
    "unknown_place": "select coalesce(sum(committed_eur), 0) from funding where {w} "
                     "and location_kind = 'unallocated'",
    "known_category": "select coalesce(sum(committed_eur), 0) from funding where {w} "
                      "and category_code <> 'unallocated'",
    "unknown_category": "select coalesce(sum(committed_eur), 0) from funding where {w} "
                        "and category_code = 'unallocated'",
    "disbursed": "select coalesce(sum(disbursed_eur), 0) from funding where {w}",
    "disbursed_country": "select coalesce(sum(disbursed_eur), 0) from funding where {w} and location_kind = 'country'",
    "disbursed_region": "select coalesce(sum(disbursed_eur), 0) from funding where {w} and location_kind = 'region'",
    "disbursed_unknown_place": "select coalesce(sum(disbursed_eur), 0) from funding where {w} "
                               "and location_kind = 'unallocated'",
}


def _walk(component):
    yield component
    children = getattr(component, "children", None)
    if children is None or isinstance(children, (str, int, float)):
        return
    for child in children if isinstance(children, (list, tuple)) else [children]:
        yield from _walk(child)


def _table_cells(component) -> list:
    """Every cell of the tables under `component`: <td> components, and the body cells of a
    table written as one Markdown block (components._markdown_table), read with the stdlib."""
    import html as stdlib_html

    cells = []
    for c in _walk(component):
        if type(c).__name__ == "Td":
            cells.append(c.children)
        elif type(c).__name__ == "Markdown":
            for line in c.children.splitlines()[2:]:  # after the header and the alignment row
                cells += [stdlib_html.unescape(cell.strip()) for cell in line.strip().strip("|").split("|")]
    return cells


def _by_id(layout, element_id: str):
    found = [c for c in _walk(layout) if getattr(c, "id", None) == element_id]
    assert len(found) == 1, element_id
    return found[0]


def _numbers(line) -> tuple[float, list[float], list[float]]:
    attrs = line.to_plotly_json()["props"]
    return (float(attrs["data-total"]), json.loads(attrs["data-parts"]), json.loads(attrs["data-of-which"]))


@pytest.fixture(scope="module")
def pages(built):
    from dashboard.app import create_app

    _, _, serving = built
    app = create_app(serving)
    registry = {p["path"]: p["layout"] for p in dash.page_registry.values()}

    def render(path: str, **query):
        with app.server.test_request_context(path):
            return registry[path](**query)

    return render, serving


class _Sql:
    """An independent read of the snapshot: `sql(text)` one value, `sql.rows(text)` all rows."""

    def __init__(self, conn):
        self.conn = conn

    def __call__(self, text: str, params: dict | None = None):
        return _float(self.conn.execute(text, params or {}).fetchall()[0][0])

    def rows(self, text: str, params: dict | None = None) -> list[tuple]:
        return [tuple(_float(v) for v in row) for row in self.conn.execute(text, params or {}).fetchall()]


def _float(value):
    """The snapshot's money is exact DECIMAL; a page's numbers (data-total...) are the floats a
    browser reads: compared as floats, to the cent."""
    return float(value) if isinstance(value, Decimal) else value


@pytest.fixture(scope="module")
def sql(pages):
    _, serving = pages
    conn = duckdb.connect(str(serving), read_only=True)
    yield _Sql(conn)
    conn.close()


def _where(years=None, programme=None, country=None, sector=None) -> tuple[str, dict]:
    clauses, params = ["true"], {}
    if years:
        clauses.append("year between $lo and $hi")
        params.update(lo=years[0], hi=years[1])
    if programme:
        clauses.append("programme = $programme")
        params["programme"] = programme
    if country:
        clauses.append("location_code = $country")
        params["country"] = country
    if sector:
        clauses.append(("category_code" if len(sector) == 3 else "sector_code") + " = $sector")
        params["sector"] = sector
    return " and ".join(clauses), params


def _expected(sql, **filters) -> dict[str, float]:
    where, params = _where(**filters)
    return {name: sql(text.format(w=where), params) for name, text in COMMITTED_PARTS.items()}


def _adds_up(line) -> tuple[float, list[float], list[float]]:
    total, parts, of_which = _numbers(line)
    assert sum(parts) == pytest.approx(total, abs=CENT), line.children
    return total, parts, of_which


SELECTIONS = [  # (page query, the same selection for the SQL)
    ({}, {}),
    ({"years": "2020-2023"}, {"years": (2020, 2023)}),
    ({"programme": "Commerce équitable"}, {"programme": "Commerce équitable"}),
    ({"country": "MLI", "years": "2019"}, {"country": "MLI", "years": (2019, 2019)}),
    ({"sector": "122"}, {"sector": "122"}),
]


@pytest.mark.parametrize("query, selection", SELECTIONS)
def test_flows_committed_is_grants_plus_cofinancing(pages, sql, query, selection):
    render, _ = pages
    expected = _expected(sql, **selection)
    layout = render("/flows", **query)
    total, (grants, cofinancing), (unknown, regions) = _adds_up(_by_id(layout, "flows-reconciliation"))
    assert total == pytest.approx(expected["total"], abs=CENT)
    assert grants == pytest.approx(expected["grants"], abs=CENT)
    assert cofinancing == pytest.approx(expected["cofinancing"], abs=CENT)
    assert unknown == pytest.approx(expected["unknown_place"], abs=CENT)
    assert regions == pytest.approx(expected["region"], abs=CENT)
    # the Sankey's sentence and the line say the same total
    text = _by_id(layout, "flows-reconciliation").children
    assert text.startswith(f"{euros_short(total, 'fr')} engagés = ")
    assert _by_id(layout, "flows-sankey-description").children.startswith(euros_short(total, "fr"))


@pytest.mark.parametrize("query, selection", SELECTIONS)
@pytest.mark.parametrize("measure", ["committed_eur", "disbursed_eur"])
def test_world_total_is_the_map_plus_regions_plus_no_known_country(pages, sql, query, selection, measure):
    render, _ = pages
    expected = _expected(sql, **selection)
    layout = render("/world", measure=measure, **query)
    total, (countries, regions, unknown), _ = _adds_up(_by_id(layout, "world-reconciliation"))
    prefix = "" if measure == "committed_eur" else "disbursed_"
    assert total == pytest.approx(expected["total" if measure == "committed_eur" else "disbursed"], abs=CENT)
    assert countries == pytest.approx(expected[f"{prefix}country"], abs=CENT)
    assert regions == pytest.approx(expected[f"{prefix}region"], abs=CENT)
    assert unknown == pytest.approx(expected[f"{prefix}unknown_place"], abs=CENT)


@pytest.mark.parametrize("query, selection", SELECTIONS)
def test_sectors_total_is_known_plus_unknown_category_and_grants_reconcile(pages, sql, query, selection):
    render, _ = pages
    expected = _expected(sql, **selection)
    layout = render("/sectors", **query)
    total, (known, unknown), _ = _adds_up(_by_id(layout, "sectors-reconciliation"))
    assert total == pytest.approx(expected["total"], abs=CENT)
    assert known == pytest.approx(expected["known_category"], abs=CENT)
    assert unknown == pytest.approx(expected["unknown_category"], abs=CENT)
    _grants_reconcile(_by_id(layout, "sectors-grants-reconciliation"), sql, expected, selection)


def _grants_reconcile(line, sql, expected, selection):
    """grants = committed − co-financing (+ the grants counted whole in their main country/category)."""
    total, (committed, minus_cofinancing, whole), _ = _adds_up(line)
    clauses, params = ["true"], {}
    if selection.get("years"):
        clauses.append("year between $lo and $hi")
        params.update(lo=selection["years"][0], hi=selection["years"][1])
    if selection.get("programme"):
        clauses.append("programme = $programme")
        params["programme"] = selection["programme"]
    if selection.get("country"):
        clauses.append("main_location_code = $country")
        params["country"] = selection["country"]
    if selection.get("sector"):
        clauses.append("main_category_code = $category")
        params["category"] = selection["sector"][:3]
    grants = sql(f"select coalesce(sum(amount_eur), 0) from grants_public where {' and '.join(clauses)}", params)
    assert total == pytest.approx(grants, abs=CENT)
    assert committed == pytest.approx(expected["total"], abs=CENT)
    assert -minus_cofinancing == pytest.approx(expected["cofinancing"], abs=CENT)
    if not selection.get("country") and not selection.get("sector"):
        assert whole == pytest.approx(0, abs=CENT)  # without a place or sector filter, nothing is split


@pytest.mark.parametrize("query, selection", SELECTIONS)
def test_grants_total_is_committed_less_cofinancing(pages, sql, query, selection):
    render, _ = pages
    expected = _expected(sql, **selection)
    layout = render("/grants", **query)
    _grants_reconcile(_by_id(layout, "grants-reconciliation"), sql, expected, selection)


def test_the_sample_totals_the_officials_compared(pages, sql):
    """118,8 M€ (Flux, Secteurs), 107,0 M€ (Subventions), 98,5 M€ (map): one line each, same parts."""
    render, _ = pages
    flows = _by_id(render("/flows"), "flows-reconciliation").children
    world = _by_id(render("/world"), "world-reconciliation").children
    grants = _by_id(render("/grants"), "grants-reconciliation").children
    total, grant, cofinancing, country, unknown = (euros_short(sql(q), "fr") for q in (
        "select sum(committed_eur) from funding", "select sum(amount_eur) from grants_public",
        "select sum(committed_eur) from funding where programme = 'Cofinancements (IATI)'",
        "select sum(committed_eur) from funding where location_kind = 'country'",
        "select sum(committed_eur) from funding where location_kind = 'unallocated'"))
    assert flows.startswith(f"{total} engagés = {grant} de subventions + {cofinancing} de cofinancements IATI")
    assert f"dont {unknown} sans pays connu" in flows
    assert world.startswith(f"{total} engagés = {country} dans ") and f"+ {unknown} sans pays connu" in world
    assert grants.startswith(f"{grant} de subventions = {total} engagés") and f"− {cofinancing}" in grants


@pytest.mark.parametrize("query", [{}, {"years": "2024"}, {"departement": "69"}])
def test_festival_participants_are_the_map_plus_no_known_departement(pages, sql, query):
    render, _ = pages
    layout = render("/at-home", **query)
    total, (known, unknown), _ = _adds_up(_by_id(layout, "at-home-reconciliation"))
    clauses, params = ["true"], {}
    if "years" in query:
        clauses.append("year = $y")
        params["y"] = int(query["years"])
    if "departement" in query:
        clauses.append("departement_code = $d")
        params["d"] = query["departement"]
    where = " and ".join(clauses)
    assert total == sql(f"select coalesce(sum(participants), 0) from campaign_reach where {where}", params)
    assert unknown == sql(f"select coalesce(sum(participants), 0) from campaign_reach where {where} "
                          "and departement_code = 'inconnu'", params)
    if not query:  # the sample's 20 participants of no known département: 1 451 696 = 1 451 676 + 20
        assert unknown > 0 and known == total - unknown
        assert number(total, "fr") in _by_id(layout, "at-home-reconciliation").children


@pytest.mark.parametrize("year", [2018, 2025])
def test_overview_year_reconciles_and_says_what_versés_counts(pages, sql, year):
    render, _ = pages
    layout = render("/", years=str(year))
    expected = _expected(sql, years=(year, year))
    total, (grants, cofinancing), _ = _adds_up(_by_id(layout, "overview-reconciliation"))
    assert total == pytest.approx(expected["total"], abs=CENT)
    assert total == pytest.approx(sql("select value from kpis where indicator = 'committed_eur' and year = $y",
                                      {"y": year}), abs=CENT)
    assert cofinancing == pytest.approx(expected["cofinancing"], abs=CENT)
    note = _by_id(layout, "overview-payments").children
    assert note.startswith("Versés = paiements de la Région inscrits dans sa comptabilité")
    assert "Éducation à la citoyenneté mondiale" in note and "Ce n'est pas 0\u00a0€ versé" in note
    # the disbursed card says how much has no payment record: in the sample, the grants of the one
    # programme the region's payment records do not cover at all (tests/test_payments.py reads it
    # from the raw files), which no IATI activity describes either
    untracked = sql("select sum(amount_eur) from grants_public where year = $y "
                    "and programme = 'Éducation à la citoyenneté mondiale'", {"y": year})
    assert untracked > 0
    card = _by_id(layout, "kpi-disbursed_eur-untracked").children
    assert card.startswith(f"Non suivi pour {euros_short(untracked, 'fr')} des {euros_short(total, 'fr')} engagés")
    assert json.loads(_by_id(layout, "overview-payments").to_plotly_json()["props"]["data-untracked"]) == \
        pytest.approx(untracked, abs=CENT)


# ---- "non suivi": no payment record is not 0 € paid

def test_a_programme_without_payment_records_reads_non_suivi(pages, sql):
    render, _ = pages
    layout = render("/flows", programme="Éducation à la citoyenneté mondiale")
    assert sql("select sum(disbursed_eur) from funding where programme = 'Éducation à la citoyenneté mondiale'") == 0
    note = _by_id(layout, "flows-payments").children
    assert "versés\u00a0: non suivi" in note
    description = _by_id(layout, "funding-by-year-description").children
    assert "non suivi" in description and "0\u00a0€ versés" not in description
    assert " 0 € versés" not in description
    cells = _table_cells(_by_id(layout, "funding-by-year"))
    assert "non suivi" in cells and not any(str(c).startswith("0\u00a0€") for c in cells)
    # the world's side table: that programme's money (no known country) has no payment record
    world = render("/world", programme="Éducation à la citoyenneté mondiale")
    side = _table_cells(world)
    assert "non suivi" in side


def test_kpi_card_reads_non_suivi_only_without_any_payment_record():
    from dashboard.kpi import Kpi, formatted, sentence

    untracked = Kpi("disbursed_eur", 2024, 0.0, 0.0, None, "EUR", tracked=False)
    assert formatted(untracked, "fr") == "non suivi" and formatted(untracked, "en") == "not tracked"
    assert sentence(untracked, "fr") == "2024\u00a0: paiements non suivis (ni comptabilité ni projet IATI)"
    assert formatted(Kpi("disbursed_eur", 2024, 0.0, 0.0, None, "EUR"), "fr") == euros_short(0.0, "fr")


# ---- results: the totals the data holds, and what is left out

def test_outcomes_show_totals_by_indicator_and_every_measurement_accounted_for(pages, sql):
    render, _ = pages
    layout = render("/outcomes")
    total, parts, _ = _adds_up(_by_id(layout, "outcomes-reconciliation"))
    counted, without_target, not_due, overdue, not_summable = parts
    assert total == sql("select count(*) from outcomes")
    assert without_target + counted == sql("select count(*) from outcomes where actual_value is not null "
                                           "and coalesce(measure, '1') = '1'")
    assert not_due + overdue == sql("select count(*) from outcomes where actual_value is null "
                                    "and coalesce(measure, '1') = '1'")
    assert not_due + overdue == 239  # the sample's measurements with no value reached, said on screen
    line = _by_id(layout, "outcomes-reconciliation").children
    assert "hors totaux" in line
    # the totals: children schooled, people with safe water… as sums of the values reached
    description = _by_id(layout, "outcome-totals-description").children
    rows = sql.rows("select indicator_title, sum(actual_value), sum(actual_value) filter (where target_value "
                    "is not null) / sum(target_value) filter (where actual_value is not null) "
                    "from outcomes group by 1")
    assert len(rows) == 6
    for title, reached, share in rows:
        assert f"{title}\u00a0: {number(reached, 'fr')} ({percent(share, 'fr')} de la cible)" in description
    assert "Nombre d'enfants scolarisés" in description


def test_outcomes_page_stays_small_enough_to_draw(pages):
    """Dash 4.4 makes every newly drawn component notify every mounted one: a page of thousands
    of cells froze the tab for 23-68 s. The results page holds small tables only."""
    render, _ = pages
    count = sum(1 for _ in _walk(render("/outcomes")))
    assert count < 800, count


# ---- the Sankey's sentence under any filter

@pytest.mark.parametrize("query", [{}, {"programme": "Commerce équitable"}, {"country": "MLI"},
                                   {"sector": "122", "years": "2024"}, {"programme": "Cofinancements (IATI)"}])
def test_the_sankey_sentence_reads_right_under_any_filter(pages, query):
    render, _ = pages
    text = _by_id(render("/flows", **query), "flows-sankey-description").children
    assert "\u00a0: ;" not in text and "\u00a0: ." not in text and ": ;" not in text and not text.endswith(": .")
    assert text.endswith(".") and "Autres" not in text
    assert text.count(";") == 3  # four stages, each says something
