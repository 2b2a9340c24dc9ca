"""The analysts' workbench: the whole graph documented, the inbox sensor, the schedule,
yearly partitions that replace one year only, settings from the environment."""

from __future__ import annotations

import csv
import json
import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, defs
from pipelines.resources import RawFiles, build_resources

GROUPS = {"grants", "projects", "local_impact", "reference", "staging", "marts", "publish"}


# --- the graph ---------------------------------------------------------------------------

def _specs():
    return [spec for assets_def in ALL_ASSETS for spec in assets_def.specs]


def test_every_asset_has_a_domain_group_kind_owner_and_description():
    specs = _specs()
    assert {s.group_name for s in specs} == GROUPS
    for spec in specs:
        assert spec.description and len(spec.description) > 20, spec.key
        assert spec.kinds, spec.key
        assert spec.owners, spec.key


def test_layers_that_call_for_checks_have_them():
    graph = defs.get_repository_def().asset_graph
    checked = {k.asset_key for k in graph.asset_check_keys}
    for spec in _specs():
        # every ingest asset checks read = accepted + rejected; every published mart
        # is checked (directly, or by the funding checks upstream of it)
        if spec.key.path[0] == "raw":
            assert spec.key in checked, spec.key
    marts_checked = {k for k in checked if k.path[0] == "marts"}
    assert len(marts_checked) >= 6


def test_grants_and_events_are_yearly_partitioned_and_the_rest_is_not():
    from pipelines.defs.partitions import YEARS

    partitioned = {s.key.to_user_string() for s in _specs() if s.partitions_def is not None}
    assert partitioned == {"raw/grants", "raw/events"}
    keys = YEARS.get_partition_keys()
    assert keys[0] == "2015" and keys == [str(y) for y in range(2015, int(keys[-1]) + 1)]


def test_sensor_and_schedule_exist_and_are_off_by_default():
    repo = defs.get_repository_def()
    sensor = repo.get_sensor_def("inbox")
    schedule = repo.get_schedule_def("nightly_rebuild")
    assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert schedule.execution_timezone == "Europe/Paris"


# --- the inbox sensor ---------------------------------------------------------------------

def _evaluate(inbox, cursor):
    context = dg.build_sensor_context(
        cursor=cursor, resources={"raw_files": RawFiles(raw_dir=str(inbox))}, definitions=defs
    )
    result = defs.get_repository_def().get_sensor_def("inbox")(context)
    return result.run_requests or [], result.cursor


def test_inbox_sensor_requests_one_run_per_new_or_changed_file(tmp_path):
    inbox = tmp_path / "inbox"
    (inbox / "grants").mkdir(parents=True)
    requests, cursor = _evaluate(inbox, None)
    assert requests == []

    grants = inbox / "grants" / "subventions_2026.csv"
    grants.write_text("nomAttribuant;montant\nRégion;100,00\n", encoding="utf-8")
    requests, cursor = _evaluate(inbox, cursor)
    assert len(requests) == 1
    selected = {k.to_user_string() for k in requests[0].asset_selection}
    # what a grants file feeds, down to the snapshot, and nothing it does not feed
    assert {"raw/grants", "staging/grants", "marts/funding", "publish/serving_snapshot"} <= selected
    assert "raw/iati" not in selected and "raw/events" not in selected

    # the same file again, even touched: nothing
    requests, cursor = _evaluate(inbox, cursor)
    assert requests == []
    grants.write_text(grants.read_text(encoding="utf-8"), encoding="utf-8")
    requests, cursor = _evaluate(inbox, cursor)
    assert requests == []

    # a changed file: one run again, under a new run key
    first_key = json.loads(cursor)
    grants.write_text("nomAttribuant;montant\nRégion;250,00\n", encoding="utf-8")
    requests, cursor = _evaluate(inbox, cursor)
    assert len(requests) == 1 and json.loads(cursor) != first_key
    assert requests[0].run_key.startswith("grants:")


def test_inbox_sensor_run_keys_follow_content_not_names(tmp_path):
    """Two sources changed in one tick: one run each, keyed by their files' hashes."""
    inbox = tmp_path / "inbox"
    for source in ("grants", "events"):
        (inbox / source).mkdir(parents=True)
        (inbox / source / f"{source}.csv").write_text(f"{source}\n", encoding="utf-8")
    (inbox / "nobody_reads_this").mkdir()
    (inbox / "nobody_reads_this" / "x.csv").write_text("x\n", encoding="utf-8")
    requests, _ = _evaluate(inbox, "{}")  # after a first tick on an empty inbox (tests/test_automation.py)
    assert sorted(r.tags["solidarity/source"] for r in requests) == ["events", "grants"]
    assert len({r.run_key for r in requests}) == 2


# --- yearly partitions: re-running a year replaces that year only -------------------------

def _grant_rows(warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        return conn.sql(
            "select year, source_file, source_row, reference_decision, montant_eur from raw.grants"
        ).fetchall()


def test_rematerialising_grants_2020_replaces_2020_only_and_is_idempotent(tmp_path, built, sample_dir):
    _, built_warehouse, _ = built
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, warehouse)
    before = _grant_rows(warehouse)

    # the analyst corrects the 2020 file: it now holds its first five grants only, and a
    # stray 2019 line that a year-2020 run must not load
    inbox = tmp_path / "inbox"
    shutil.copytree(sample_dir / "grants", inbox / "grants")
    path = inbox / "grants" / "subventions_2020.csv"
    with open(path, encoding="utf-8", newline="") as handle:
        lines = handle.read().splitlines(keepends=True)
    header, data = lines[0], lines[1:]
    kept = [line for line in data if line.split(";")[2].startswith("2020-")][:5]
    stray = kept[0].replace(";2020-", ";2019-", 1)  # the first date is dateConvention
    path.write_text(header + "".join(kept) + stray, encoding="utf-8", newline="")
    expected_2020 = sorted(
        float(row["montant"].replace(",", "."))
        for row in csv.DictReader(kept, fieldnames=header.strip().split(";"), delimiter=";")
    )

    resources = build_resources(inbox, warehouse, tmp_path / "serving.duckdb")
    raw_grants = next(a for a in ALL_ASSETS if dg.AssetKey(["raw", "grants"]) in a.keys)
    for _ in range(2):
        result = dg.materialize([raw_grants], partition_key="2020", resources=resources)
        assert result.success
        after = _grant_rows(warehouse)
        # other years: the very same rows as before
        assert sorted(r for r in after if r[0] != 2020) == sorted(r for r in before if r[0] != 2020)
        # 2020: the five kept lines of the 2020 file, plus 2020 grants other files carry
        from_file = sorted(r[4] for r in after if r[0] == 2020 and r[1].endswith("subventions_2020.csv"))
        assert from_file == pytest.approx(expected_2020)
        others_2020 = [r for r in before if r[0] == 2020 and not r[1].endswith("subventions_2020.csv")]
        assert len([r for r in after if r[0] == 2020]) == 5 + len(others_2020)

    event = result.get_asset_materialization_events()[0]
    assert event.partition == "2020"
    assert event.materialization.metadata["dagster/row_count"].value == 5 + len(others_2020)


# --- settings -------------------------------------------------------------------------------

def test_settings_come_from_the_environment_with_defaults(monkeypatch, tmp_path):
    from pipelines import settings

    for name in ("SOLIDARITY_RAW_DIR", "SOLIDARITY_ANALYST_USER", "SOLIDARITY_ANALYST_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert settings.raw_dir() == settings.DATA_DIR / "sample"
    assert settings.analyst_user() == "analyste"
    assert settings.analyst_password() is None  # no default password: analyst pages locked
    monkeypatch.setenv("SOLIDARITY_RAW_DIR", str(tmp_path))
    monkeypatch.setenv("SOLIDARITY_ANALYST_USER", "camille")
    monkeypatch.setenv("SOLIDARITY_ANALYST_PASSWORD", "s3cret")
    assert settings.raw_dir() == tmp_path
    assert (settings.analyst_user(), settings.analyst_password()) == ("camille", "s3cret")
    assert build_resources()["raw_files"].raw_dir == str(tmp_path)



def test_a_mart_reports_row_count_preview_and_columns(tmp_path, built, sample_dir):
    """Re-run one mart (a dbt model, selected alone) on a copy of the built warehouse: its
    metadata describes the table, each column with its type as built and its meaning."""
    from pipelines.defs.models.assets import warehouse_models

    _, built_warehouse, _ = built
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse, warehouse)
    key = dg.AssetKey(["marts", "funding_by_sector"])
    result = dg.materialize([warehouse_models], selection=[key],
                            resources=build_resources(sample_dir, warehouse, tmp_path / "s.duckdb"))
    events = result.get_asset_materialization_events()
    assert [e.asset_key for e in events] == [key]  # dbt ran that model only
    metadata = events[0].materialization.metadata
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        rows = conn.sql("select count(*) from marts.funding_by_sector").fetchall()[0][0]
        columns = conn.sql("describe marts.funding_by_sector").fetchall()
    assert rows > 0 and metadata["dagster/row_count"].value == rows
    schema = metadata["dagster/column_schema"].schema
    assert [(c.name, c.type) for c in schema.columns] == [(c[0], c[1]) for c in columns]
    assert all(c.description for c in schema.columns)  # from the model's .yml
    assert metadata["preview"].value.splitlines()[0].startswith("| year |")
