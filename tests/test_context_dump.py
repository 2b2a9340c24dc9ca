"""The context layer reads a generated registry dump into partitioned Parquet holding exactly what the
XML says: activities, countries, sectors and transaction values per currency per publisher, recomputed
here with ElementTree and Decimal; amounts stay DECIMAL; rejected activities are counted, never lost.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from context_files import parquet_figures, scan, value_types, xml_figures

from pipelines.context import read_dump
from pipelines.context.dump import load_manifest
from pipelines.sample.registry import write_registry

PUBLISHERS = 12


@pytest.fixture(scope="module")
def dump(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dump")
    write_registry(out, PUBLISHERS, seed=19, target_mb=3)
    return out


@pytest.fixture(scope="module")
def context(dump, tmp_path_factory):
    out = tmp_path_factory.mktemp("context")
    return out, read_dump(dump, out, workers=2)  # spawned worker processes, as in production


def test_parquet_holds_exactly_what_the_xml_says(dump, context):
    out, report = context
    expected, got = xml_figures(dump), parquet_figures(out)
    assert len(expected["activities"]) == PUBLISHERS
    assert got == expected
    assert value_types(out) == {"DECIMAL(38,10)"}
    assert report.activities == sum(expected["activities"].values())
    assert report.refused == [] and report.failed == []


def test_layout_and_manifest(dump, context):
    out, report = context
    files = load_manifest(out)
    activity_files = sorted(dump.glob("data/*/*-activities*.xml"))
    org_files = sorted(dump.glob("data/*/*-org.xml"))
    assert report.files_read == len(activity_files)
    assert sorted(report.not_activity) == sorted(f"{p.parent.name}/{p.name}" for p in org_files)
    for path in activity_files:
        entry = files[f"{path.parent.name}/{path.name}"]
        assert entry["status"] == "read"
        assert entry["rows_read"] == entry["rows_accepted"] + entry["rows_rejected"]
        publisher = out / "transactions" / f"publisher={path.parent.name}"
        assert {p.parent.name for p in publisher.glob(f"year=*/{path.name}.parquet")} == {
            f"year={year}" for year in entry["years"]}
        assert (out / "activities" / f"publisher={path.parent.name}" / f"{path.name}.parquet").exists()
    # the publisher's registry type is carried to its activities
    types = dict(duckdb.sql(f"select distinct publisher, reporting_org_type from {scan(out, 'activities')}").fetchall())
    for publisher, org_type in types.items():
        meta = json.loads((dump / "metadata" / f"{publisher}.json").read_text())
        assert org_type == meta["publisher_organization_type"]


def test_a_rejected_activity_is_counted_and_kept_aside(dump, tmp_path):
    copy = tmp_path / "dump"
    shutil.copytree(dump, copy)
    path = sorted(copy.glob("data/*/*-activities*.xml"))[0]
    text = path.read_text(encoding="utf-8")
    start = text.index("<value ")
    end = text.index("</value>", start)
    body = text.index(">", start) + 1
    path.write_text(text[:body] + "douze mille" + text[end:], encoding="utf-8")  # not an xsd:decimal

    out = tmp_path / "context"
    report = read_dump(copy, out, workers=1)
    entry = load_manifest(out)[f"{path.parent.name}/{path.name}"]
    assert entry["rows_rejected"] == 1
    assert entry["rows_read"] == entry["rows_accepted"] + 1
    assert (out / "rejected" / f"publisher={path.parent.name}" / f"{path.name}.parquet").exists()
    assert report.activities == sum(xml_figures(copy)["activities"].values()) - 1


def test_the_two_commands(tmp_path):
    from typer.testing import CliRunner

    from pipelines.cli import app

    runner = CliRunner()
    written = runner.invoke(app, ["sample", "--registry", "3", "--registry-mb", "0.3", "--out", str(tmp_path / "d")])
    assert written.exit_code == 0, written.output
    assert "publishers: 3" in written.output
    first = runner.invoke(app, ["context", "--dump", str(tmp_path / "d"), "--out", str(tmp_path / "c"),
                                "--workers", "1"])
    assert first.exit_code == 0, first.output
    activities = sum(xml_figures(tmp_path / "d")["activities"].values())
    assert f"activities: {activities} (read in this run: {activities})" in first.output
    again = runner.invoke(app, ["context", "--dump", str(tmp_path / "d"), "--out", str(tmp_path / "c")])
    assert "files read: 0" in again.output and f"activities: {activities} (read in this run: 0)" in again.output
    missing = runner.invoke(app, ["context", "--dump", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2
