"""Issue 19 on the dashboard: a small generated registry → the context marts → the serving snapshot →
"Autres bailleurs" on the country page and the region's share beside the world map.

Expected figures come from elsewhere: the registry's money from the XML (ElementTree + Decimal + the
shipped ECB rates, tests/context_money.py), the region's from the snapshot's own mart read with SQL.
Without a context the pages say it is not loaded, and publishing is what it always was.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import time
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from context_money import Rates, money_by_place_year
from dash_pages import nodes, render, text
from snapshot import client_of, sql

from pipelines.context.dump import read_dump
from pipelines.defs.context.assets import context_models
from pipelines.defs.context.resources import RegistryDump
from pipelines.defs.publish.assets import serving_snapshot
from pipelines.publish import CONTEXT_MARTS
from pipelines.resources import build_resources
from pipelines.sample.registry import write_registry

CENT = Decimal("0.01")


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("registry")
    write_registry(out, 6, seed=19, target_mb=1)
    return out


@pytest.fixture(scope="module")
def published(tmp_path_factory, built, sample_dir, dump):
    """The sample's warehouse (copied) with the context read, its marts built and published as the
    `context_marts` job does (context models, then the serving snapshot): (serving, context dir, warehouse)."""
    outcome, sample_warehouse, _ = built
    assert outcome.success, outcome.report_lines()
    work = tmp_path_factory.mktemp("context-dashboard")
    warehouse, serving, context_dir = work / "warehouse.duckdb", work / "serving.duckdb", work / "context"
    shutil.copyfile(sample_warehouse, warehouse)
    report = read_dump(dump, context_dir, workers=1)
    assert report.files_read and not report.failed
    resources = {**build_resources(sample_dir, warehouse, serving),
                 "registry_dump": RegistryDump(dump_dir=str(dump), context_dir=str(context_dir))}
    result = dg.materialize([context_models, serving_snapshot], resources=resources,
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    return serving, context_dir, warehouse


@pytest.fixture(scope="module")
def context_client(published):
    return client_of(published[0])


@pytest.fixture(scope="module")
def registry_money(dump) -> dict[tuple[str, int, str], Fraction]:
    money, _, _ = money_by_place_year(dump, Rates())
    return money


@pytest.fixture(scope="module")
def place(published):
    """The country with the most region money over years the registry funds too, and those years."""
    serving = published[0]
    first, last = sql(serving, "select min(year) + 1, max(year) - 1 from funding_by_country")[0]
    code = sql(serving, "select country_code from context_share_by_country where location_kind = 'country' "
                        "and year between $1 and $2 group by 1 having sum(registry_committed_eur) > 0 "
                        "order by sum(region_committed_eur) desc, 1 limit 1", [first, last])[0][0]
    return code, first, last


def _region_committed(serving: Path, code: str | None, first: int, last: int) -> dict[str, Decimal]:
    rows = sql(serving, "select country_code, sum(committed_eur) from funding_by_country where year between $1 and $2 "
                        "and location_kind = 'country' group by 1", [first, last])
    return {c: v for c, v in rows if code is None or c == code}


def _registry_committed(money, code: str, first: int, last: int) -> Fraction:
    return sum((v for (p, y, kind), v in money.items() if p == code and first <= y <= last and kind == "committed"),
               Fraction(0))


def _csv(client, path: str) -> list[dict]:
    response = client.get(path)
    assert response.status_code == 200, path
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _by_id(tree, wanted: str):
    return next((n for n in nodes(tree) if n["props"].get("id") == wanted), None)


# ------------------------------------------------------------------------ publication


def test_the_snapshot_carries_the_context_and_where_it_came_from(published, dump):
    serving, context_dir, _ = published
    tables = {r[0] for r in sql(serving, "select table_name from information_schema.tables")}
    assert {*CONTEXT_MARTS, "context_source"} <= tables
    manifest = json.loads((context_dir / "manifest.json").read_text(encoding="utf-8"))
    read = [e for e in manifest["files"].values() if e["status"] == "read"]
    (folder, dump_dir, files, publishers, is_sample), = sql(
        serving, "select context_dir, dump_dir, files, publishers, is_sample from context_source")
    # folder names, never a server path, in what is published
    assert (folder, dump_dir) == (context_dir.name, dump.resolve().name)
    assert files == len(read) == len(list(dump.glob("data/*/*-activities*.xml")))
    assert publishers == len({p.parent.name for p in dump.glob("data/*/*-activities*.xml")})
    assert is_sample is True and (dump / "SAMPLE-DATA.txt").exists()
    # one manifest row for the context: its manifest file's hash, so the snapshot's version follows it
    (source_file, sha256, accepted), = sql(serving, "select source_file, sha256, rows_accepted from manifest "
                                                   "where source = 'context'")
    assert source_file == "manifest.json"
    assert sha256 == hashlib.sha256((context_dir / "manifest.json").read_bytes()).hexdigest()
    assert accepted == sum(e["rows_accepted"] for e in read)
    server_paths = [row for table in ("context_source", "manifest") for row in sql(serving, f"select * from {table}")
                    if any(isinstance(v, str) and str(context_dir.parent) in v for v in row)]
    assert server_paths == []
    # every column of the context's tables has its meaning in the published data dictionary
    undocumented = sql(serving, "select table_name, column_name from data_dictionary "
                                "where table_name like 'context%' and meaning = '(not documented)'")
    assert sql(serving, "select count(*) from data_dictionary where table_name like 'context%'")[0][0] > 20
    assert undocumented == []


def test_publishing_without_a_context_is_unchanged(serving):
    tables = {r[0] for r in sql(serving, "select table_name from information_schema.tables")}
    assert not {t for t in tables if t.startswith("context_")}
    assert sql(serving, "select count(*) from manifest where source = 'context'")[0][0] == 0


def test_the_context_marts_job_ends_with_a_publish():
    from pipelines.definitions import defs

    keys = {tuple(k.path) for k in defs.resolve_job_def("context_marts").asset_layer.selected_asset_keys}
    assert {("publish", "serving_snapshot"), ("publish", "exports")} <= keys
    assert {("context", m) for m in CONTEXT_MARTS} <= keys
    assert ("context", "registry_files") not in keys  # reading files stays its own job


# ------------------------------------------------------------------------ the country page


def test_country_page_share_is_the_xml_beside_the_regions_mart(published, context_client, registry_money, place):
    serving = published[0]
    code, first, last = place
    tree = render(context_client, f"/country/{code}", f"?years={first}-{last}")
    region = Fraction(_region_committed(serving, code, first, last)[code])
    registry = _registry_committed(registry_money, code, first, last)
    assert region > 0 and registry > 0
    share = _by_id(tree, "country-others-share")
    assert abs(float(share["props"]["data-value"]) - float(region / (region + registry))) < 1e-9
    words = text(share)
    assert words.startswith("Part de la Région") and "%" in words
    assert "Données d'exemple" in text(_by_id(tree, "country-others-sample"))
    assert "Règle" in text(_by_id(tree, "country-others-rule"))


def test_top_funders_are_each_publishers_xml(dump, context_client, place, tmp_path):
    code, first, last = place
    rows = _csv(context_client, f"/download/other_funders.csv?country={code}&years={first}-{last}")
    assert rows and [int(r["funder_rank"]) for r in rows] == list(range(1, len(rows) + 1))
    rates = Rates()
    for row in rows:
        one = tmp_path / row["publisher"]  # the publisher's files alone, read by hand
        (one / "data").mkdir(parents=True)
        (one / "data" / row["publisher"]).symlink_to(dump / "data" / row["publisher"])
        money, _, _ = money_by_place_year(one, rates)
        expected = _registry_committed(money, code, first, last)
        assert abs(Decimal(row["committed_eur"]) - Decimal(expected.numerator) / expected.denominator) <= CENT, row
        assert row["org_type_name"] and row["org_type_name"] != row["reporting_org_type"]
    committed = [Decimal(r["committed_eur"]) for r in rows]
    assert committed == sorted(committed, reverse=True)
    # the file names the registry as its source, says the dump is generated, and stays in current
    # euros whatever `euros=` asks (the registry's marts hold no constant euros)
    assert {r["meta_source"] for r in rows} == {rows[0]["meta_source"]}
    assert "Registre IATI" in rows[0]["meta_source"] and "DONNÉES D'EXEMPLE" in rows[0]["meta_source"]
    assert rows[0]["meta_is_sample"] == "true"
    constant = _csv(context_client, f"/download/other_funders.csv?country={code}&years={first}-{last}&euros=constant")
    assert "meta_euros" not in constant[0]
    assert [r["committed_eur"] for r in constant] == [r["committed_eur"] for r in rows]


def test_money_by_category_reads_the_marts_for_the_categories_the_region_funds(published, context_client, place):
    serving, _, warehouse = published
    code, first, last = place
    rows = _csv(context_client, f"/download/other_funders_by_category.csv?country={code}&years={first}-{last}")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        registry = dict(con.execute("select category_code, sum(committed_eur) from context.context_funding "
                                    "where country_code = $1 and year between $2 and $3 group by 1",
                                    [code, first, last]).fetchall())
    region = dict(sql(serving, "select category_code, sum(committed_eur) from funding_by_country "
                               "where country_code = $1 and year between $2 and $3 group by 1", [code, first, last]))
    assert {r["category_code"] for r in rows} == {c for c, v in region.items() if v}
    for row in rows:
        others = registry.get(row["category_code"], Decimal(0))
        assert abs(Decimal(row["registry_committed_eur"]) - others) <= CENT
        assert abs(Decimal(row["region_committed_eur"]) - region[row["category_code"]]) <= CENT
        mine = region[row["category_code"]]
        assert abs(float(row["region_committed_share"]) - float(mine / (mine + others))) < 1e-9


def test_the_country_page_speaks_english_too(context_client, place):
    code, first, last = place
    tree = render(context_client, f"/country/{code}", f"?years={first}-{last}&lang=en")
    assert text(_by_id(tree, "country-others-title")) == "Other funders"
    assert text(_by_id(tree, "country-others-share")).startswith("The Region's share")
    assert "Sample data" in text(_by_id(tree, "country-others-sample"))


# ------------------------------------------------------------------------ the world page


def test_world_table_is_each_countrys_share_linking_to_its_page(published, context_client, registry_money, place):
    serving = published[0]
    _, first, last = place
    search = f"?years={first}-{last}"
    rows = _csv(context_client, f"/download/region_share_by_country.csv{search}")
    region = _region_committed(serving, None, first, last)
    assert {r["country_code"] for r in rows} == {c for c, v in region.items() if v}
    for row in rows:
        mine = Fraction(region[row["country_code"]])
        others = _registry_committed(registry_money, row["country_code"], first, last)
        assert abs(Decimal(row["registry_committed_eur"]) - Decimal(others.numerator) / others.denominator) <= CENT
        assert abs(float(row["region_committed_share"]) - float(mine / (mine + others))) < 1e-9, row
    tree = render(context_client, "/world", search)
    block = _by_id(tree, "world-region-share")
    links = {n["props"]["href"] for n in nodes(block) if n["type"] == "Link" and "href" in n["props"]}
    assert {f"/country/{r['country_code']}{search}" for r in rows} <= links
    assert "Données d'exemple" in text(block)
    # sorted by share, largest first; another order is one link away and keeps the filters
    shown = [n["props"]["href"].split("?")[0][len("/country/"):] for n in nodes(block)
             if n["type"] == "Link" and n["props"].get("href", "").startswith("/country/")]
    by_share = sorted(rows, key=lambda r: (-float(r["region_committed_share"]), r["name_fr"]))
    assert shown == [r["country_code"] for r in by_share]
    assert f"/world{search}&share_order=region#world-region-share" in links


# ------------------------------------------------------------------------ without a context


def test_without_a_context_the_pages_say_how_to_load_it(client, serving):
    code = sql(serving, "select country_code from funding_by_country where location_kind = 'country' "
                        "group by 1 order by sum(committed_eur) desc limit 1")[0][0]
    tree = render(client, f"/country/{code}")
    assert "solidarity context --dump" in text(_by_id(tree, "country-others-missing"))
    assert _by_id(tree, "country-others-categories") is None  # no empty chart
    world = render(client, "/world")
    assert "n'est pas chargé" in text(_by_id(world, "world-region-share-missing"))
    for dataset in ("other_funders", "other_funders_by_category", "region_share_by_country"):
        response = client.get(f"/download/{dataset}.csv?country={code}")
        assert response.status_code == 200
        assert len(response.get_data(as_text=True).strip().splitlines()) == 1  # the header, no rows


# ------------------------------------------------------------------------ one truth per figure


def test_the_pages_aggregate_nothing_a_coarser_mart_holds(published, place, monkeypatch):
    """tests/test_dashboard_sql.py's rule, with the context marts' grains, over the SQL the two pages
    run with a context (all filters): no sum a coarser mart already holds."""
    from test_dashboard_sql import GRAINS, violations

    from dashboard import snapshot

    serving = published[0]
    code, first, last = place
    grains = {**GRAINS,
              "context_funding": ("year", "country_code", "location_kind", "category_code", "reporting_org_type"),
              "context_top_funders": ("year", "country_code", "location_kind", "category_code", "publisher"),
              "context_share_by_country": ("year", "country_code", "location_kind")}
    monkeypatch.setattr("test_dashboard_sql.GRAINS", grains)
    copy = serving.parent / "serving-copy.duckdb"
    shutil.copy(serving, copy)  # a new file: no cache answers for it
    log: list[str] = []
    original = snapshot._cached_query
    monkeypatch.setattr(snapshot, "_cached_query", lambda stamp, q, p: log.append(q) or original(stamp, q, p))
    client = client_of(copy)
    category = sql(copy, "select min(category_code) from funding_by_country where country_code = $1 "
                         "and category_code <> 'unallocated'", [code])[0][0]
    programme = sql(copy, "select min(programme) from funding_by_country where country_code = $1", [code])[0][0]
    for search in ("", f"?years={first}-{last}", f"?sector={category}", f"?programme={programme}&euros=constant"):
        render(client, f"/country/{code}", search)
        render(client, "/world", search)
    with duckdb.connect(str(copy), read_only=True) as conn:
        schema = defaultdict(set)
        for table, column in conn.execute("select table_name, column_name from information_schema.columns").fetchall():
            schema[table].add(column)
        rows = {t: conn.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t in schema}
    context_sql = [q for q in log if "context_" in q]
    assert any("context_share_by_country" in q for q in context_sql)
    assert any("context_funding" in q for q in context_sql)  # the sector and programme filters' path
    bad = [(found, q) for q in set(log) for found in violations(q, dict(schema), rows)]
    assert bad == []


# ------------------------------------------------------------------------ in a browser


@pytest.mark.parametrize("page", ["country", "world"])
def test_with_a_context_the_pages_pass_axe_and_fit_a_phone(published, place, page):
    """Headless Chromium, desktop then phone: no serious or critical axe-core violation, no id twice,
    nothing wider than the screen, no browser error (the blocks as drawn, tables opened)."""
    from axe_pages import FAILING, VIEWPORTS, audit, chrome, describe, open_every_table, open_page, set_viewport
    from servers import serving_thread

    from dashboard.app import create_app

    code, first, last = place
    path = f"/country/{code}" if page == "country" else "/world"
    browser = chrome()
    try:
        with serving_thread(create_app(published[0]).server) as base:
            set_viewport(browser, "desktop")
            open_page(browser, f"{base}{path}?years={first}-{last}", embed=False)
            block = "#country-others-categories .main-svg" if page == "country" else "#world-region-share table"
            assert browser.execute_script("return !!document.querySelector(arguments[0])", block)
            ids = browser.execute_script("const seen = {}; document.querySelectorAll('[id]').forEach("
                                         "e => { seen[e.id] = (seen[e.id] || 0) + 1; });"
                                         "return Object.keys(seen).filter(k => seen[k] > 1);")
            open_every_table(browser)
            failing = []
            for viewport in VIEWPORTS:
                set_viewport(browser, viewport)
                time.sleep(0.6)  # plotly's resize handler is debounced
                failing += [describe([v]) for v in audit(browser) if v["impact"] in FAILING]
                wider = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
                assert wider <= 0, (viewport, wider)
            errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        browser.quit()
    assert failing == [] and ids == [] and errors == []


def test_a_click_on_the_map_keeps_the_share_tables_order():
    from dashboard.filters import VIEW_OPTIONS, merge
    from dashboard.others_blocks import ORDERS

    assert set(VIEW_OPTIONS["share_order"]) == set(ORDERS)
    from dashboard.filters import Allowed

    allowed = Allowed(years=(2020, 2021, 2022, 2023), programmes=frozenset(), countries=frozenset({"MLI"}),
                      sectors=frozenset(), departements=frozenset())
    kept = merge("?share_order=region&years=2020-2023", "country=MLI", allowed)
    assert "share_order=region" in kept and "country=MLI" in kept
    assert "share_order" not in merge("?share_order=evil", "country=MLI", allowed)
