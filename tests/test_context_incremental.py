"""Re-runs of the context layer: an unchanged file (same sha256) is not read again, a changed one is
re-read alone, a deleted one loses its partitions, a malformed one is refused by name and counted;
after each, the Parquet still holds exactly what the XML of the dump says.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from context_files import parquet_figures, xml_figures

from pipelines.context import read_dump
from pipelines.context.dump import load_manifest
from pipelines.sample.registry import write_registry


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("registry")
    write_registry(out, 12, seed=23, target_mb=2)
    return out


@pytest.fixture
def dump(generated, tmp_path) -> Path:
    copy = tmp_path / "dump"
    shutil.copytree(generated, copy)
    return copy


def parts(out: Path) -> dict[str, int]:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in sorted(out.rglob("*.parquet"))}


def activity_file(dump: Path, k: int = 0) -> Path:
    return sorted(dump.glob("data/*/*-activities*.xml"))[k]


def test_second_run_reads_nothing(dump, tmp_path):
    out = tmp_path / "context"
    first = read_dump(dump, out, workers=2)
    before = parts(out)
    second = read_dump(dump, out, workers=2)
    assert second.files_read == 0
    assert second.files_skipped == first.files_read + len(first.not_activity)
    assert parts(out) == before  # not a single partition rewritten
    assert second.activities == first.activities


def test_a_changed_file_alone_is_read_again_and_totals_stay_exact(dump, tmp_path):
    out = tmp_path / "context"
    read_dump(dump, out, workers=1)
    before = parts(out)
    path = activity_file(dump, 1)
    text = path.read_text(encoding="utf-8")
    body = text.index(">", text.index("<value ")) + 1
    end = text.index("</value>", body)
    path.write_text(text[:body] + "123456789.01" + text[end:], encoding="utf-8")

    report = read_dump(dump, out, workers=1)
    assert report.files_read == 1
    changed = {k for k, mtime in parts(out).items() if before.get(k) != mtime}
    assert changed and all(f"/publisher={path.parent.name}/" in k and k.endswith(f"/{path.name}.parquet")
                           for k in changed)
    assert parquet_figures(out) == xml_figures(dump)


def test_a_deleted_file_loses_its_partitions(dump, tmp_path):
    out = tmp_path / "context"
    read_dump(dump, out, workers=1)
    path = activity_file(dump)
    path.unlink()
    report = read_dump(dump, out, workers=1)
    assert report.files_removed == 1 and report.files_read == 0
    assert not [p for p in out.rglob(f"{path.name}.parquet")]
    assert f"{path.parent.name}/{path.name}" not in load_manifest(out)
    assert parquet_figures(out) == xml_figures(dump)


def test_a_malformed_file_is_refused_by_name_and_counted(dump, tmp_path):
    out = tmp_path / "context"
    read_dump(dump, out, workers=1)
    path = activity_file(dump, 2)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a download cut half-way
    report = read_dump(dump, out, workers=2)
    key = f"{path.parent.name}/{path.name}"
    assert report.files_read == 0, report.lines()
    assert [name for name, _reason in report.refused] == [key]
    assert "malformed XML" in report.refused[0][1]
    assert any(line.startswith(f"refused {key}: ") for line in report.lines())
    assert load_manifest(out)[key]["status"] == "refused"
    # its previous partitions are gone: the file no longer says that
    assert not [p for p in out.rglob(f"{path.name}.parquet")]
    path.unlink()  # the independent reading cannot parse it either
    assert parquet_figures(out) == xml_figures(dump)
