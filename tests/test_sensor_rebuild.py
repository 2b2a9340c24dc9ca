"""Issue 18: one raw file changed in the inbox, the sensor ticks, and its run rebuilds every
model downstream of that source; the published snapshot then agrees with itself (the manifest,
data_quality and the mart reading the source) and with the raw files, counted here."""

from __future__ import annotations

import csv
import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.definitions import ALL_ASSETS, ALL_CHECKS, defs
from pipelines.resources import RawFiles, build_resources
from pipelines.sources.registry import SOURCES

RAW_PAYMENTS = dg.AssetKey(["raw", "payments"])
CHANGED = "payments/mandats_2025.csv"
# a 2025 payment of a grant the sample's 2025 file already pays, under a new order number
NEW_ORDER = "2025-999999"


def _tick(inbox: Path, cursor: str | None) -> tuple[list[dg.RunRequest], str]:
    context = dg.build_sensor_context(
        cursor=cursor, resources={"raw_files": RawFiles(raw_dir=str(inbox))}, definitions=defs
    )
    result = defs.get_repository_def().get_sensor_def("inbox")(context)
    return list(result.run_requests or []), result.cursor


def _downstream(start: dg.AssetKey) -> set[dg.AssetKey]:
    """Walked by hand over the graph's child edges, not with the selection the sensor uses."""
    graph = defs.get_repository_def().asset_graph
    seen, todo = {start}, [start]
    while todo:
        for child in graph.get(todo.pop()).child_keys:
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


def _data_lines(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle, delimiter=";") if any(v for v in row.values())]


def _payments_2025(inbox: Path) -> int:
    """The payment lines dated 2025 across every payments file, as the files hold them."""
    return sum(
        1 for path in sorted((inbox / "payments").glob("*.csv"))
        for row in _data_lines(path) if row["date_paiement"].startswith("2025-")
    )


def _snapshot(serving: Path) -> dict[str, object]:
    with duckdb.connect(str(serving), read_only=True) as snap:
        # (source, file name) -> (rows read, sha256): the manifest names a file within its source
        manifest = {
            (source, name): (rows_read, sha)
            for source, name, rows_read, sha in snap.execute(
                "select source, source_file, rows_read, sha256 from manifest"
            ).fetchall()
        }
        quality = dict(snap.execute(
            "select source, value from data_quality where metric = 'rows_read'"
        ).fetchall())
        paid_2025 = snap.execute(
            "select sum(payments) from payment_matching where year = 2025"
        ).fetchall()[0][0]
        version = snap.execute("select any_value(snapshot_version) from manifest").fetchall()[0][0]
    return {"manifest": manifest, "quality": quality, "paid_2025": paid_2025, "version": version}


def test_a_changed_payments_file_rebuilds_everything_downstream_and_the_snapshot_agrees(tmp_path, sample_dir):
    inbox = tmp_path / "inbox"
    shutil.copytree(sample_dir, inbox)
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    resources = build_resources(inbox, warehouse, serving)
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

    with dg.DagsterInstance.ephemeral() as instance:
        # 1. everything once, as `solidarity materialize` and the first sensor runs find it
        first = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], resources=resources, instance=instance,
                               run_config=quiet)
        assert first.success
        before = _snapshot(serving)
        assert before["paid_2025"] == _payments_2025(inbox)

        requests, cursor = _tick(inbox, None)  # first tick: records the inbox, requests nothing
        assert requests == []

        # 2. one raw file changes: a valid 2025 payment line appended
        path = inbox / CHANGED
        template = next(r for r in _data_lines(path) if r["date_paiement"].startswith("2025-"))
        line = ";".join([NEW_ORDER, "2025-12-30", "1234,56", template["reference_decision"],
                         template["siret_beneficiaire"], ""])
        text = path.read_text(encoding="utf-8")
        path.write_text(text + ("" if text.endswith("\n") else "\n") + line + "\n", encoding="utf-8")

        # 3. the sensor's next tick: one run, for payments
        requests, _ = _tick(inbox, cursor)
        assert [r.tags["solidarity/source"] for r in requests] == ["payments"]
        assert requests[0].tags["solidarity/files"] == CHANGED
        selection = set(requests[0].asset_selection)

        # 4. its selection holds every asset downstream of raw/payments
        expected = _downstream(RAW_PAYMENTS)
        assert {dg.AssetKey(["marts", "data_quality"]), dg.AssetKey(["marts", "payment_matching"]),
                dg.AssetKey(["publish", "serving_snapshot"])} <= expected
        assert selection == expected

        rerun = dg.materialize([*ALL_ASSETS, *ALL_CHECKS], selection=sorted(selection, key=str),
                               resources=resources, instance=instance, run_config=quiet, tags=requests[0].tags)
        assert rerun.success
        rebuilt = {e.asset_key for e in rerun.get_asset_materialization_events()}
        assert rebuilt == expected
        # and every check on what it rebuilt ran again (the blocking ones gate the snapshot)
        graph = defs.get_repository_def().asset_graph
        checked = {dg.AssetCheckKey(e.asset_key, e.check_name) for e in rerun.get_asset_check_evaluations()}
        assert checked == {k for k in graph.asset_check_keys if k.asset_key in expected}

    after = _snapshot(serving)
    assert after["version"] != before["version"]

    # the manifest: the changed file's data lines and its new hash, counted and hashed here
    changed = tuple(CHANGED.split("/"))  # ("payments", "mandats_2025.csv")
    rows_read, sha = after["manifest"][changed]
    assert rows_read == len(_data_lines(path)) == before["manifest"][changed][0] + 1
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()

    # data_quality: rows read per source = the manifest's files of that source, for every source;
    # for payments, every payments file's data lines
    for name in (source.name for source in SOURCES):
        assert after["quality"][name] == sum(r for (s, _), (r, _) in after["manifest"].items() if s == name), name
    assert after["quality"]["payments"] == sum(
        len(_data_lines(p)) for p in (inbox / "payments").glob("*.csv")
    ) == before["quality"]["payments"] + 1

    # the mart reading payments: one more 2025 payment, as the files now hold
    assert after["paid_2025"] == _payments_2025(inbox) == before["paid_2025"] + 1
