"""A grants CSV read in many small batches gives exactly what it gives read in one (issue 19).

The reader streams: blocks of whole records (`pipelines/sources/scdl/csv_stream.py`), each
validated alone, the total lines' sums carried across. Here real files of tests/data/real/scdl
(UTF-8 with CRLF; Windows-1252 after a UTF-8 BOM, on the reference path; UTF-8 with a BOM) are
read in batches of a twentieth of the file, and compared with one batch: the accepted rows, the
rejects (file, line, field, reason), the euros; and against the file read here on its own,
stdlib csv + Decimal: rows read = accepted + rejected, euros read = counted + set aside.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.scdl.csv_stream import BATCH_BYTES_ENV
from pipelines.sources.scdl.grants import SHEET_ROW_BYTES, grant_batches, read_grants
from pipelines.sources.common import SourceError
from scdl_files import money, write
from test_scdl_reader_csv_paths import HOSTILE_CSV

REAL = Path(__file__).parent / "data" / "real" / "scdl"
# (file, encoding, separator, the header's label of the amount)
CASES = [
    ("DEP_Loire-Atlantique_2008-2018_subventions_associations.csv", "utf-8", ";",
     "Montant total de la subvention"),
    ("DEP_Somme_2018-03-02_conventions_bom-cp1252.csv", "cp1252", ";", None),
    ("EPCI_Toulouse-Metropole_2022_subventions.csv", "utf-8-sig", ";", None),
]
ONE_BATCH = 1 << 30


def _outcome(batches: list) -> tuple:
    """Rows read and rejected, accepted and set-aside rows, rejects and warnings (by line: a
    batch reports its repaired amounts and total lines before its rows' problems)."""
    grants = pl.concat([b.tables["grants"] for b in batches])
    set_aside = pl.concat([b.tables["grants_set_aside"] for b in batches])
    rejects = sorted(((p.source_file, p.source_row, p.field, p.reason) for b in batches for p in b.problems
                      if p.severity == "error"), key=lambda r: (int(r[1]), r))
    warnings = sorted(((p.source_row, p.field, p.value, p.reason) for b in batches for p in b.problems
                       if p.severity == "warning"), key=lambda w: (int(w[0]), str(w)))
    return (sum(b.rows_read for b in batches), sum(b.rows_rejected for b in batches), grants.rows(),
            set_aside.rows(), rejects, warnings)


def _joined_in_batches(path: Path, size: int, monkeypatch):
    """`read_grants` with small batches (as a run would set them, by the environment)."""
    monkeypatch.setenv(BATCH_BYTES_ENV, str(size))
    got = read_grants(path)
    monkeypatch.delenv(BATCH_BYTES_ENV)
    return got


def _raw(path: Path, encoding: str, sep: str, amount_label: str | None) -> dict[int, Decimal | None]:
    """Each non-blank data record below the header (by its first line) and its amount, read
    here on its own: stdlib csv and Decimal."""
    text = path.read_bytes().removeprefix(b"\xef\xbb\xbf").decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = [c.strip() for c in next(reader)]
    col = header.index(amount_label) if amount_label else next(
        i for i, c in enumerate(header) if c.lower() == "montant")
    out, last = {}, reader.line_num
    for cells in reader:
        start, last = last + 1, reader.line_num
        if any(c.strip() for c in cells):
            out[start] = money(cells[col]) if len(cells) > col else None
    return out


@pytest.mark.parametrize("name,encoding,sep,amount", CASES, ids=[c[0][:24] for c in CASES])
def test_a_real_file_read_in_small_batches_is_read_as_in_one(name, encoding, sep, amount, monkeypatch):
    path = REAL / name
    small_size = path.stat().st_size // 20
    small = list(grant_batches(path, small_size))
    whole = list(grant_batches(path, ONE_BATCH))
    assert len(whole) == 1 and len(small) >= 8, (len(whole), len(small))
    assert _outcome(small) == _outcome(whole)
    # `read_grants` puts the batches together: the same as one batch, problems in the same order
    joined, one = read_grants(path), whole[0]
    with_small_batches = _joined_in_batches(path, small_size, monkeypatch)
    for got in (joined, with_small_batches):
        assert got.rows_read == one.rows_read and got.rows_rejected == one.rows_rejected
        assert got.tables["grants"].rows() == one.tables["grants"].rows()
        assert got.tables["grants_set_aside"].rows() == one.tables["grants_set_aside"].rows()
        assert got.problems == one.problems

    rows_read, rejected, grants, set_aside, rejects, _ = _outcome(small)
    raw = _raw(path, encoding, sep, amount)
    assert rows_read == len(raw) == len(grants) + rejected
    assert len({(f, line) for f, line, _, _ in rejects}) == rejected
    amount_at = list(joined.tables["grants"].columns).index("montant_eur")
    counted = sum((g[amount_at] for g in grants), Decimal(0))
    aside = sum((r[list(joined.tables["grants_set_aside"].columns).index("montant_eur")] for r in set_aside),
                Decimal(0))
    # euros read = counted + set aside; a row whose cells can no longer be trusted (more cells
    # than the header) has no amount to count
    untrusted = {int(line) for _, line, field, reason in rejects if field == "_row" and "cells for" in reason}
    euros = sum((m for line, m in raw.items() if m is not None and line not in untrusted), Decimal(0))
    assert counted + aside == euros


WORKBOOKS = ["DEP_Charente-Maritime_2016-2017_conventions.xlsx", "DEP_Sarthe_2018-2019_conventions_23k.xls",
             "DEP_Vendee_2018-01_conventions.xlsx"]


@pytest.mark.parametrize("name", WORKBOOKS)
def test_a_real_workbook_validated_in_small_batches_is_read_as_in_one(name, monkeypatch):
    """A workbook's sheet is loaded whole (calamine) and validated in slices of rows: ten or more
    slices (a row each for a small sheet) give the rows, rejects, warnings and euros of one."""
    path = REAL / name
    whole = list(grant_batches(path, ONE_BATCH))
    assert len(whole) == 1
    size = SHEET_ROW_BYTES * max(1, whole[0].rows_read // 10)
    small = list(grant_batches(path, size))
    assert len(small) >= min(10, whole[0].rows_read) > 1, len(small)
    assert _outcome(small) == _outcome(whole)
    with_small_batches, one = _joined_in_batches(path, size, monkeypatch), whole[0]
    assert with_small_batches.rows_read == one.rows_read
    assert with_small_batches.tables["grants"].rows() == one.tables["grants"].rows()
    assert with_small_batches.tables["grants_set_aside"].rows() == one.tables["grants_set_aside"].rows()
    assert with_small_batches.problems == one.problems


def test_total_lines_found_across_batches(tmp_path):
    """The one rule that looks above its row: its sums carry from batch to batch."""
    text = ("nomBeneficiaire,idBeneficiaire,montant,dateConvention\n"
            + "".join(f"Assoc {i},,{100 + i},2024-01-{1 + i % 28:02d}\n" for i in range(40))
            + f"TOTAL,,{sum(100 + i for i in range(40))},2024-03-01\n"
            + "Z,,5,2024-03-02\n"
            + f",,{sum(100 + i for i in range(40)) + 5},\n")
    path = write(tmp_path, text)
    small, whole = list(grant_batches(path, 60)), list(grant_batches(path, ONE_BATCH))
    assert len(small) > 10
    assert _outcome(small) == _outcome(whole)
    set_aside = pl.concat([b.tables["grants_set_aside"] for b in small])
    assert set_aside.select("source_row", "reason").rows() == [(42, "total_line"), (44, "total_line")]


def test_quoted_cells_with_line_breaks_are_never_cut(tmp_path):
    """A block ends where Python's csv ends a record: a quoted cell holding line breaks,
    `""` and a quote inside an unquoted cell do not cut a record in two."""
    rows = [f'"Assoc ""{i}""\nsur deux lignes",,{i},2024-01-01\n' if i % 3 == 0 else
            f'Assoc "{i},,{i},2024-01-01\n' if i % 3 == 1 else f"Assoc {i},,{i},2024-01-01\r\n"
            for i in range(1, 60)]
    path = write(tmp_path, "nomBeneficiaire,idBeneficiaire,montant,dateConvention\n" + "".join(rows))
    for size in (1, 7, 50, 333):
        assert _outcome(list(grant_batches(path, size))) == _outcome(list(grant_batches(path, ONE_BATCH))), size


@pytest.mark.parametrize("case", sorted(HOSTILE_CSV))
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "reference"])
def test_hostile_snippets_read_record_by_record_as_at_once(case, fast, tmp_path, monkeypatch):
    """Blocks of one byte (so one record each, the smallest a block can be) on the snippets
    where polars and Python's csv part ways: the same outcome, on both paths, as one block."""
    from pipelines.sources.scdl import split as scdl_split

    monkeypatch.setattr(scdl_split, "FAST_PATH", fast)
    path = write(tmp_path, HOSTILE_CSV[case])

    def outcome(size: int):
        try:
            return _outcome(list(grant_batches(path, size)))
        except SourceError as exc:
            return str(exc)

    assert outcome(1) == outcome(ONE_BATCH)


def _counting_montant(monkeypatch) -> list:
    """The amount group's check, counting the values it is asked about."""
    import pipelines.sources.scdl.validate as validate_module

    seen: list = []
    groups = list(validate_module.GROUPS)
    at = next(i for i, (cols, _) in enumerate(groups) if cols == ("montant",))
    cols, check = groups[at]

    def counted(cells, row, ctx):
        seen.append(cells["montant"])
        return check(cells, row, ctx)

    groups[at] = (cols, counted)
    monkeypatch.setattr(validate_module, "GROUPS", groups)
    return seen


def test_a_value_repeated_across_batches_is_checked_once_per_file(tmp_path, monkeypatch):
    """The checks' outcomes are kept per distinct value from batch to batch (`CheckMemo`): five
    amounts over 40 rows in ten or more batches are checked five times; with room for two values
    only, the others are checked again in each batch. The rows are the same either way."""
    amounts = ["100", "250,50", "NC", "-30", "1 000"]
    text = ("nomBeneficiaire,idBeneficiaire,montant,dateConvention\n"
            + "".join(f"Assoc {i},,\"{amounts[i % 5]}\",2024-01-{1 + i % 28:02d}\n" for i in range(40)))
    path = write(tmp_path, text)
    whole = list(grant_batches(path, ONE_BATCH))

    seen = _counting_montant(monkeypatch)
    small = list(grant_batches(path, 60))
    assert len(small) >= 10
    assert sorted(seen) == sorted(amounts)  # once each
    assert _outcome(small) == _outcome(whole)

    import pipelines.sources.scdl.validate as validate_module
    monkeypatch.setattr(validate_module, "MEMO_KEYS", 2)
    seen.clear()
    bounded = list(grant_batches(path, 60))
    assert len(seen) > len(amounts) and set(seen) == set(amounts)
    assert _outcome(bounded) == _outcome(whole)
