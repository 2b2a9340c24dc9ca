"""One truth per figure: every SQL statement the dashboard runs, and what it may aggregate.

`DASHBOARD_SQL_LISTING=/tmp/sql.txt pytest tests/test_dashboard_sql.py` writes the inventory:
each distinct statement once, the tables it reads, whether it aggregates, where it first ran.

The dashboard reads the serving snapshot through one door (`dashboard.snapshot.query`, which
calls `_cached_query` for every statement, cached or not). This module records every statement
that door runs while every page (with and without filters), every embed, every download, the
analysts' files, the brief and the grants grid are served from a fresh copy of the sample's
snapshot (a new file: no page, response or file cache built by another test answers for it).

The rule (issue: "the dashboard runs no aggregation that a mart already holds"):

    A statement that aggregates (GROUP BY, or sum/count/avg/min/max/... over rows) and reads a
    table T may only use columns of T that no *coarser* mart holds all of. If a published mart M
    (fewer rows than T, a declared grain in `GRAINS`) has every column of T the statement uses
    (its dimensions: grouped on and filtered on; and its measures), the figure already exists in M
    and the page must read M, not derive it again from T.

"Columns the statement uses" are the identifiers of its text (string literals removed) that are
columns of T, one meaning under one name (`SAME_COLUMN`: funding's `location_code` is
funding_by_country's `country_code`). Exceptions are named in `EXCEPTIONS` with their reason.

A second rule: every published mart is read by some page, embed, download or analyst file (or
an export), or is named in `NOT_READ` with the reason nobody on the dashboard reads it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from dash_pages import render
from snapshot import client_of

# The grain (key columns) of the snapshot's tables the dashboard aggregates, as each mart's
# .yml says; checked unique below, so a declaration cannot drift from the data.
GRAINS: dict[str, tuple[str, ...]] = {
    "funding": ("year", "location_code", "sector_code", "category_code", "programme", "beneficiary_type"),
    "funding_reconciliation": ("year", "programme", "beneficiary_type", "location_code", "sector_code",
                               "category_code", "origin", "payments_tracked"),
    "funding_by_country": ("year", "country_code", "programme", "category_code", "sector_code"),
    "funding_by_sector": ("year", "sector_code", "category_code", "programme", "location_code"),
    "flows": ("year", "programme", "beneficiary_type", "category_code", "sector_code", "location_code"),
    "funding_by_programme": ("year", "programme"),
    "kpis": ("year", "indicator"),
    "jobs_by_departement": ("year", "departement_code"),
    "campaign_reach": ("year", "departement_code", "event_type"),
    "grants_public": ("grant_key",),
}

# One meaning, two names: a column of one table read as the same column of another.
SAME_COLUMN = {"country_code": "location_code"}

# (table read, coarser mart that holds its columns, what the statement contains) -> why it may.
# None today: every figure that a coarser mart holds is read from that mart.
EXCEPTIONS: dict[tuple[str, str, str], str] = {}

# What the rule does not judge: tables outside `GRAINS` an aggregating statement reads, each with
# why no coarser mart can hold what is computed over it. A new aggregation over another table
# fails `test_aggregations_outside_the_money_marts_are_named` until it is named here (or its
# table gets a grain above). Why not every mart: a shared column name is not a shared meaning
# (`amount_eur` of a grant is not that of a payment in link_review), so the rule compares only
# marts declared as one family of money at different grains.
OUTSIDE_THE_RULE: dict[str, str] = {
    "countries": "reference list joined for a place's name; holds no money",
    "iati_regions": "reference list joined for a region's name; holds no money",
    "dac_categories": "reference list joined for a DAC category's name; holds no money",
    "dac_sectors": "reference list joined for a DAC sector's name; holds no money",
    "consumer_prices": "the price index of constant euros (its latest year, the deflators); no mart derives it",
    "manifest": "the snapshot's own metadata, joined beside a figure, never summed",
    "outcomes": "results per indicator and period, summed per indicator on the outcomes page: the only "
                "mart of results, no coarser one exists",
    "money_reconciliation": "data-quality page: the mart's rows per source, currency and outcome summed over "
                            "years, unfiltered; the mart is that figure's one home",
    "payment_matching": "data-quality page: the payments read, matched and not, summed over the mart's rows; "
                        "its one home",
    "rejected_rows": "data-quality page: rejected rows counted per source and reason (row-level table)",
    "grant_payments": "a project page's payments, one by one; the only aggregate is the constant-euros "
                      "deflator's latest index (max_by over consumer_prices)",
}

# Published marts no page, embed, download, analyst file or export reads, and why they stay.
NOT_READ: dict[str, str] = {}

AGGREGATE = re.compile(r"\bgroup\s+by\b|\b(sum|count|avg|min|max|median|quantile_\w+|arg_max|arg_min|max_by|"
                       r"min_by|string_agg|list|bool_and|bool_or|any_value|first|last)\s*\(", re.I)
FROM = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*)\b", re.I)
STRING = re.compile(r"'(?:[^']|'')*'")
WORD = re.compile(r"[a-z_][a-z0-9_]*", re.I)


# ------------------------------------------------------------------------ the rule, as functions

def aggregates(sql: str) -> bool:
    return bool(AGGREGATE.search(STRING.sub("''", sql)))


def tables_read(sql: str, tables: set[str]) -> set[str]:
    """The snapshot's tables a statement reads (a CTE's or an alias's name is not one of them)."""
    return {t.lower() for t in FROM.findall(STRING.sub("''", sql))} & tables


def columns_used(sql: str, columns: set[str]) -> set[str]:
    """The columns of a table (`columns`) a statement names, under their shared name."""
    words = {w.lower() for w in WORD.findall(STRING.sub("''", sql))}
    return {SAME_COLUMN.get(c, c) for c in columns if c in words}


def violations(sql: str, schema: dict[str, set[str]], rows: dict[str, int]) -> list[tuple[str, str]]:
    """(table aggregated, coarser mart holding every column the statement uses of it), if any."""
    if not aggregates(sql):
        return []
    found = []
    for table in sorted(tables_read(sql, set(schema)) & set(GRAINS)):
        used = columns_used(sql, schema[table])
        for mart in GRAINS:
            if mart == table or rows[mart] >= rows[table]:
                continue  # only a coarser mart holds a figure the statement would derive again
            held = {SAME_COLUMN.get(c, c) for c in schema[mart]}
            if used <= held and not any(k[:2] == (table, mart) and k[2] in sql for k in EXCEPTIONS):
                found.append((table, mart))
    return found


# ------------------------------------------------------------------------ recording

@pytest.fixture(scope="module")
def snapshot_copy(serving, tmp_path_factory) -> Path:
    """The sample's snapshot as a new file: every per-snapshot cache misses on it."""
    copy = tmp_path_factory.mktemp("dashboard_sql") / "serving.duckdb"
    shutil.copy(serving, copy)
    return copy


@pytest.fixture(scope="module")
def schema(snapshot_copy) -> tuple[dict[str, set[str]], dict[str, int]]:
    with duckdb.connect(str(snapshot_copy), read_only=True) as conn:
        cols = conn.execute("select table_name, column_name from information_schema.columns "
                            "where table_schema = 'main'").fetchall()
        schema: dict[str, set[str]] = defaultdict(set)
        for table, column in cols:
            schema[table].add(column)
        rows = {t: conn.execute(f'select count(*) from "{t}"').fetchall()[0][0] for t in schema}
    return dict(schema), rows


def _sample_values(path: Path) -> dict:
    with duckdb.connect(str(path), read_only=True) as conn:
        one = lambda q: conn.execute(q).fetchall()[0][0]  # noqa: E731
        return {
            "country": one("select country_code from funding_by_country where location_kind = 'country' "
                           "group by all order by sum(committed_eur) desc, 1 limit 1"),
            "region": one("select min(country_code) from funding_by_country where location_kind = 'region'"),
            "category": one("select min(category_code) from funding where category_code <> 'unallocated'"),
            "sector": one("select min(sector_code) from funding where sector_code <> 'unallocated'"),
            "programme": one("select programme from funding_by_programme group by all "
                             "order by sum(committed_eur) desc, 1 limit 1"),
            "years": "{}-{}".format(*conn.execute("select min(year) + 2, min(year) + 4 from funding").fetchall()[0]),
            "grants": [k for (k,) in conn.execute(
                "select min(grant_key) from grants_public group by payments_source is null order by 1").fetchall()],
        }


@pytest.fixture(scope="module")
def recorded(snapshot_copy, monkeypatch_module) -> list[tuple[str, str]]:
    """(what was served, SQL statement) for every statement run while serving everything."""
    from urllib.parse import urlencode

    from dashboard import analyst, brief, downloads, snapshot
    from dashboard.embed.catalogue import CHARTS

    log: list[tuple[str, str]] = []
    current = ["?"]
    original = snapshot._cached_query

    def recording(stamp, sql, params):
        log.append((current[0], sql))
        return original(stamp, sql, params)

    monkeypatch_module.setattr(snapshot, "_cached_query", recording)
    # files are built by the request, never taken from another test's disk cache
    for module in (downloads, brief):
        monkeypatch_module.setattr(module, "built_once", lambda root, version, key, build: build())
    monkeypatch_module.setenv("SOLIDARITY_ANALYST_USER", "analyste")
    monkeypatch_module.setenv("SOLIDARITY_ANALYST_PASSWORD", "s3cret")

    values = _sample_values(snapshot_copy)
    client = client_of(snapshot_copy)
    app = client.application

    def served(what: str, call):
        current[0] = what
        result = call()
        status = getattr(result, "status_code", 200)
        assert status == 200, (what, status)
        return result

    searches = ["", f"?country={values['country']}&years={values['years']}",
                f"?sector={values['category']}&programme={values['programme']}",
                f"?sector={values['sector']}&euros=constant&lang=en", f"?country={values['region']}"]
    with app.app_context():
        from dashboard.programmes import slugs
        programme_pages = [f"/programme/{slug}" for slug in slugs()]
    pages = ["/", "/flows", "/world", "/sectors", "/outcomes", "/at-home", "/grants", "/data-quality"]
    for page in pages:
        for search in searches:
            served(f"page {page}{search}", lambda: render(client, page, search))
    for page in [*programme_pages, f"/country/{values['country']}", f"/country/{values['region']}",
                 *(f"/project/{key}" for key in values["grants"])]:
        for search in ("", f"?years={values['years']}&euros=constant"):
            served(f"page {page}{search}", lambda: render(client, page, search))

    deps = client.get("/_dash-dependencies").get_json()
    rows = next(d for d in deps if d["output"].endswith(".getRowsResponse"))
    for search in ("", f"?country={values['country']}"):
        grid_id = {"query": search, "type": "grants-grid"}
        body = {"output": rows["output"], "outputs": {"id": grid_id, "property": "getRowsResponse"},
                "inputs": [{"id": grid_id, "property": "getRowsRequest",
                            "value": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}}],
                "changedPropIds": [json.dumps(grid_id, separators=(",", ":")) + ".getRowsRequest"], "state": []}
        served(f"grid {search}", lambda: client.post("/_dash-update-component", json=body))

    for slug, chart in CHARTS.items():
        queries = [{}]
        if "country" in chart.params:
            queries.append({"country": values["country"]})
        if "years" in chart.params:
            queries.append({"years": values["years"][:4]})
            queries.append({"year": values["years"][:4]})  # older embeds' word: the same query
        if "euros" in chart.params:
            queries.append({"euros": "constant", "lang": "en"})
        for q in queries:
            for suffix in ("", ".csv"):
                served(f"embed {slug}{suffix} {q}", lambda: client.get(f"/embed/{slug}{suffix}?{urlencode(q)}"))

    for dataset in downloads.DATASETS:
        for search in ("", f"?country={values['country']}&years={values['years']}&euros=constant"):
            served(f"download {dataset}{search}", lambda: client.get(f"/download/{dataset}.csv{search}"))

    auth = {"Authorization": "Basic " + base64.b64encode(b"analyste:s3cret").decode()}
    for name in analyst.ANALYST_FILES:
        served(f"analyst {name}", lambda: client.get(f"/analyst/{name}.csv", headers=auth))
    served("brief", lambda: client.get("/brief"))
    return log


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _listing(log, schema) -> str:
    """Every distinct statement, once, with the tables it reads and whether it aggregates."""
    seen: dict[str, str] = {}
    for what, sql in log:
        seen.setdefault(sql, what)
    return "\n\n".join(f"[{'AGG' if aggregates(sql) else '   '}] {sorted(tables_read(sql, set(schema)))} "
                       f"(first: {what})\n{sql}" for sql, what in seen.items())


# ------------------------------------------------------------------------ the tests

def test_the_declared_grains_are_the_marts_keys(snapshot_copy, schema):
    tables, _ = schema
    with duckdb.connect(str(snapshot_copy), read_only=True) as conn:
        for table, key in GRAINS.items():
            assert set(key) <= tables[table], table
            columns = ", ".join(key)
            duplicated = conn.execute(f"select count(*) from (select {columns} from {table} "
                                      f"group by all having count(*) > 1)").fetchall()[0][0]
            assert duplicated == 0, f"{table}: ({columns}) is not its grain"


def test_every_statement_reads_known_tables_through_the_one_door(recorded, schema):
    """The inventory: every statement names the snapshot's tables it reads (none reads nothing
    but information_schema or a literal), and the figures' statements are among them."""
    tables, _ = schema
    assert len({sql for _, sql in recorded}) > 50
    listing = _listing(recorded, tables)
    if os.environ.get("DASHBOARD_SQL_LISTING"):  # the inventory, for a reader: a file to open
        Path(os.environ["DASHBOARD_SQL_LISTING"]).write_text(listing + "\n", encoding="utf-8")
    for _, sql in recorded:
        read = tables_read(sql, set(tables))
        assert read or "information_schema" in sql or not FROM.search(sql), f"reads no known table:\n{sql}"
    # the money figures are read from their marts (the year chart, the map, the Sankey, the sectors)
    figures = [sql for _, sql in recorded if aggregates(sql)]
    for mart in ("funding_by_programme", "funding_by_country", "flows", "funding_by_sector"):
        assert any(mart in tables_read(sql, set(tables)) for sql in figures), f"{mart} feeds no figure\n{listing}"


def test_no_statement_aggregates_what_a_coarser_mart_already_holds(recorded, schema):
    tables, rows = schema
    bad = defaultdict(set)
    for what, sql in recorded:
        for table, mart in violations(sql, tables, rows):
            bad[(table, mart, sql)].add(what)
    assert not bad, "\n\n".join(f"reads {t} where {m} holds the figure (e.g. {sorted(w)[0]}):\n{s}"
                                for (t, m, s), w in bad.items())


def test_aggregations_outside_the_money_marts_are_named(recorded, schema):
    tables, _ = schema
    outside = {table for _, sql in recorded if aggregates(sql)
               for table in tables_read(sql, set(tables)) - set(GRAINS)}
    assert outside <= set(OUTSIDE_THE_RULE), f"aggregated, judged by no rule: {sorted(outside - set(OUTSIDE_THE_RULE))}"
    assert all(reason.strip() for reason in OUTSIDE_THE_RULE.values())


def test_funding_itself_is_only_listed_never_summed(recorded, schema):
    """`funding` (the finest money grain) feeds no figure: the pages read it for the values a
    filter may take (distinct years, codes) and nothing else."""
    tables, _ = schema
    summed = {sql for _, sql in recorded if "funding" in tables_read(sql, set(tables)) and aggregates(sql)}
    assert not summed, "\n\n".join(summed)


def test_the_rule_catches_the_pages_old_aggregations_over_funding(schema):
    """What the pages ran before they read the marts (their own GROUP BY over `funding`) breaks it."""
    tables, rows = schema
    old = {
        "funding_by_country": "select f.location_code as country_code, f.location_kind, sum(f.committed_eur) "
                              "as committed_eur, sum(f.disbursed_eur) as disbursed_eur from funding as f "
                              "where true and f.year between $year_from and $year_to group by all",
        "funding_by_sector": "select f.category_code, f.sector_code, sum(f.committed_eur) as committed_eur, "
                             "sum(f.disbursed_eur) as disbursed_eur from funding as f "
                             "where true and f.programme = $programme group by all",
        "funding_by_programme": "select f.year, sum(f.committed_eur) as committed_eur, sum(f.disbursed_eur) "
                                "as disbursed_eur from funding as f where true group by f.year",
    }
    for mart, sql in old.items():
        assert ("funding", mart) in violations(sql, tables, rows), mart
    # and a mart's own rows, filtered and summed, are fine
    assert violations("select f.year, sum(f.committed_eur) from funding_by_programme as f group by f.year",
                      tables, rows) == []


def test_every_published_mart_is_read_or_named(recorded, schema):
    from pipelines.publish import SNAPSHOT_MARTS

    tables, _ = schema
    read = set().union(*(tables_read(sql, set(tables)) for _, sql in recorded))
    exports = Path(__file__).resolve().parents[1] / "pipelines" / "export"
    exported = {m for m in SNAPSHOT_MARTS for path in exports.glob("*.py") if f"marts.{m}" in path.read_text()}
    unread = set(SNAPSHOT_MARTS) - read - exported
    assert unread == set(NOT_READ), (f"published marts nobody reads: {sorted(unread - set(NOT_READ))}; "
                                     f"named as unread but read: {sorted(set(NOT_READ) - unread)}")
    assert all(reason.strip() for reason in NOT_READ.values())
