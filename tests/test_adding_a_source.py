"""docs/adding-a-source.md, followed literally: its code blocks are written into a copy of
the project, four new files and no other file edited; there dbt's manifest is prepared as
`make setup` does, a co-funder's CSV is recognised by `solidarity validate` and dropped in the
inbox, the new mart must reach the serving snapshot with the totals of that CSV and
data_quality count its rows; then the data dictionary is regenerated as `make dictionary` does
and the suite's tests of the registries pass in the copy (sources and sample, definitions,
a check on every mart, every published column's meaning, the dictionary up to date)."""

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
BLOCK = re.compile(r'^```(\w+) title="([^"]+)"(?: add_to="(\w+)")?\n(.*?)^```$', re.MULTILINE | re.DOTALL)

# what the doc promises: a reader, the .yml declaring the source and the mart's columns and
# checks, the mart, a test — four new files, and no other file of the project edited
EXPECTED_FILES = {
    "pipelines/sources/cofunding.py",
    "sql/models/marts/cofunding_by_year.yml",
    "sql/models/marts/cofunding_by_year.sql",
    "tests/test_cofunding.py",
}
# the suite's tests that read every source, model, check and published column
REGISTRY_TESTS = [
    "tests/test_registry.py",
    "tests/test_automation.py",
    "tests/test_marts_checks.py::test_every_published_mart_has_a_check",
    "tests/test_marts_checks.py::test_data_dictionary_documents_every_published_column",
    "tests/test_marts_checks.py::test_docs_data_dictionary_is_up_to_date",
]


def doc_blocks() -> dict[str, tuple[str, str]]:
    """path -> (the tuple the block is added to, or "" for a new file; the block's text)"""
    text = DOC.read_text(encoding="utf-8")
    return {path: (add_to, body) for _lang, path, add_to, body in BLOCK.findall(text)}


def _ignore(folder: str, names: list[str]) -> set[str]:
    here = Path(folder)
    skip = {n for n in names if n in {".venv", ".git", ".tools", "__pycache__", ".pytest_cache", "node_modules"}}
    if here == PROJECT_ROOT / "sql":  # dbt's manifest and run folders: prepared again in the copy
        skip |= {"target", "logs"}
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
    for path, (add_to, body) in blocks.items():
        assert not add_to, f"{path}: a source adds files, it edits no list"
        target = copy / path
        assert not target.exists(), f"the doc must add {path}, not overwrite it"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    # what `make setup` does after a change to sql/: dbt's manifest, the asset graph Dagster reads
    prepared = _run(copy, "-m", "pipelines.dbt_project")
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
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

    # validate tells it from a grants CSV by the registry's header words, and reads it as the pipeline will
    checked = _run(project_copy, "-m", "pipelines.cli", "validate", str(path))
    assert f"{path}: cofunding, 6 rows read, 4 accepted, 2 rejected" in checked.stderr, checked.stdout + checked.stderr

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
        # data_quality depends on every registered source: it counts the new one's rows too
        quality = dict(conn.sql("select metric, value from data_quality where source = 'cofunding' "
                                "and metric in ('rows_read', 'rows_accepted', 'rows_rejected')").fetchall())
    got = {(y, c): (m, b) for y, c, m, b in rows}
    assert got.keys() == expected.keys()
    for key, (amount, beneficiaries) in expected.items():
        assert got[key][0] == pytest.approx(amount)
        assert got[key][1] == len(beneficiaries)
    assert rejected == [("6", "montant"), ("7", "siret_beneficiaire")]
    assert manifest == [(6, 4, 2)]
    assert quality == {"rows_read": 6, "rows_accepted": 4, "rows_rejected": 2}


def test_the_suites_registries_pass_in_the_copy(project_copy, tmp_path):
    # `make dictionary`, as the doc says: the generated dictionary with the new mart's columns
    sample, warehouse, serving = tmp_path / "sample", tmp_path / "w.duckdb", tmp_path / "s.duckdb"
    for step in (["-m", "pipelines.cli", "sample", "--out", str(sample)],
                 ["-m", "pipelines.cli", "materialize", "--raw", str(sample), "--warehouse", str(warehouse),
                  "--serving", str(serving)],
                 ["-m", "pipelines.dictionary", str(serving), "--out", "docs/data-dictionary.md"]):
        done = _run(project_copy, *step)
        assert done.returncode == 0, done.stdout + done.stderr
    assert (sample / "cofunding" / "cofinancements.csv").is_file()  # the source's own sample writer
    dictionary = (project_copy / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert "Made by `sql/models/marts/cofunding_by_year.sql`." in dictionary
    assert "| `montant_eur` | DECIMAL(38,10) | EUR | Euros the co-funder added that year" in dictionary
    result = _run(project_copy, "-m", "pytest", *REGISTRY_TESTS, "-q", "-p", "no:cacheprovider")
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " failed" not in result.stdout and " skipped" not in result.stdout
