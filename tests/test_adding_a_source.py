"""docs/adding-a-source.md, followed literally: its code blocks are written into a copy of
the project, a co-funder's CSV is dropped in the inbox, and the new mart must reach the
serving snapshot with the totals of that CSV."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DOC = PROJECT_ROOT / "docs" / "adding-a-source.md"
PYTHON = PROJECT_ROOT / ".venv" / "bin" / "python"
BLOCK = re.compile(r'^```(\w+) title="([^"]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL)

# what the doc promises: about four files
EXPECTED_FILES = {
    "pipelines/sources/cofunding.py",
    "pipelines/defs/cofunding/assets.py",
    "sql/marts/cofunding_by_year.sql",
    "tests/test_cofunding.py",
}


def doc_blocks() -> dict[str, str]:
    return {path: body for _lang, path, body in BLOCK.findall(DOC.read_text(encoding="utf-8"))}


def _ignore(folder: str, names: list[str]) -> set[str]:
    here = Path(folder)
    skip = {n for n in names if n in {".venv", ".git", ".tools", "__pycache__", ".pytest_cache", "node_modules"}}
    if here == PROJECT_ROOT / "data":  # shipped reference data yes; sample, warehouse, Dagster home no
        skip |= {n for n in names if n not in {"reference", "config", "schemas"}}
    return skip


def _luhn_siret(prefix: str) -> str:
    """A 14-digit SIRET with a valid Luhn key, from a 13-digit prefix."""
    for last in "0123456789":
        digits = [int(c) for c in prefix + last]
        total = sum(d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
        if total % 10 == 0:
            return prefix + last
    raise AssertionError(prefix)


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    blocks = doc_blocks()
    assert set(blocks) == EXPECTED_FILES
    copy = tmp_path_factory.mktemp("project") / "solidarity"
    shutil.copytree(PROJECT_ROOT, copy, ignore=_ignore)
    for path, body in blocks.items():
        target = copy / path
        assert not target.exists(), f"the doc must add {path}, not overwrite it"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    return copy


def _run(copy: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOLIDARITY_", "DAGSTER_"))}
    env["PYTHONPATH"] = str(copy)  # the copy's `pipelines`, not the installed checkout's
    return subprocess.run([str(PYTHON), *args], cwd=copy, env=env, capture_output=True, text=True, timeout=900)


def test_the_doc_test_passes_in_the_copy(project_copy):
    where = _run(project_copy, "-c", "import pipelines; print(pipelines.__file__)")
    assert where.stdout.strip() == str(project_copy / "pipelines" / "__init__.py"), where.stderr
    result = _run(project_copy, "-m", "pytest", "tests/test_cofunding.py", "-q", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_a_cofunders_file_reaches_the_snapshot(project_copy, sample_dir, tmp_path):
    raw = tmp_path / "inbox"
    shutil.copytree(sample_dir, raw)
    (raw / "cofunding").mkdir()
    sirets = [_luhn_siret(f"77{n:011d}") for n in (1, 2, 3)]
    lines = [
        ("year", "cofunder", "siret_beneficiaire", "montant"),
        ("2023", "Département de l'Isère", sirets[0], "12500,00"),
        ("2023", "Département de l'Isère", sirets[1], "7 250,50"),
        ("2024", "Département de l'Isère", sirets[0], "3000"),
        ("2024", "Fondation Exemple", sirets[2], "40000,00"),
        ("2024", "Fondation Exemple", sirets[2], "n/a"),  # rejected: not an amount
        ("2024", "Fondation Exemple", "12345678901234", "999,00"),  # rejected: bad SIRET
    ]
    path = raw / "cofunding" / "cofinancements.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(lines)

    # the expected mart, from the CSV with plain Python
    expected: dict[tuple[int, str], list] = defaultdict(lambda: [0.0, set()])
    for year, cofunder, siret, amount in lines[1:5]:
        key = (int(year), cofunder)
        expected[key][0] += float(amount.replace(" ", "").replace(",", "."))
        expected[key][1].add(siret)

    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    result = _run(project_copy, "-m", "pipelines.cli", "materialize",
                  "--raw", str(raw), "--warehouse", str(warehouse), "--serving", str(serving))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "serving snapshot published" in result.stdout

    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql("select year, cofunder, montant_eur, beneficiaries from cofunding_by_year").fetchall()
        rejected = conn.sql(
            "select source_row, field from rejected_rows where source = 'cofunding' order by source_row"
        ).fetchall()
        manifest = conn.sql("select rows_read, rows_accepted, rows_rejected from manifest "
                            "where source = 'cofunding'").fetchall()
    got = {(y, c): (m, b) for y, c, m, b in rows}
    assert got.keys() == expected.keys()
    for key, (amount, beneficiaries) in expected.items():
        assert got[key][0] == pytest.approx(amount)
        assert got[key][1] == len(beneficiaries)
    assert rejected == [("6", "montant"), ("7", "siret_beneficiaire")]
    assert manifest == [(6, 4, 2)]
