"""SCDL grants files read independently of the reader: the reference folders, a valid 2.1.1 header and row,
and the stdlib csv + Decimal reading that the tests of tests/test_scdl_reader_*.py compare the reader with.

Policy under test: a present but invalid `idBeneficiaire` does not reject the row;
the grant is accepted with `beneficiaire_id` null, `siret_invalid` in `flags` and a
warning Problem on file:line:idBeneficiaire ("never cost a good row").
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import polars as pl

from pipelines.sources.scdl import GRANT_COLUMNS, GRANT_SCHEMA


SCDL = Path(__file__).resolve().parents[2] / "shared" / "reference" / "scdl"
V211 = SCDL / "examples_v2.1.1"
LEGACY = SCDL / "examples_legacy"
REAL = SCDL / "real"

HEADER_V211 = (
    "nomAttribuant,idAttribuant,dateConvention,referenceDecision,nomBeneficiaire,idBeneficiaire,"
    "rnaBeneficiaire,objet,montant,nature,conditionsVersement,datesPeriodeVersement,idRAE,"
    "notificationUE,pourcentageSubvention,dispositifAide"
)
GOOD = "Région X,23350001600040,2024-03-01,D-1,Assoc A,38047555800058,W380475558,Projet,1000.50,aide en numéraire,unique,2024-04-01,,non,1,"


# --- independent helpers -----------------------------------------------------------

def luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(int(c) for c in reversed(digits)):
        total += (d * 2 - 9 if d * 2 > 9 else d * 2) if i % 2 else d
    return total % 10 == 0


def raw_records(path: Path, encoding: str, sep: str, header_line: int = 1) -> list[tuple[int, dict[str, str]]]:
    """(first physical line, row dict) for every non-blank data record."""
    text = path.read_bytes().decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    out, header, last = [], None, 0
    for cells in reader:
        start, last = last + 1, reader.line_num
        if start == header_line:
            header = cells
        elif header is not None and any(c.strip() for c in cells):
            out.append((start, dict(zip(header, cells))))
    return out


def siret_key_ok(digits: str) -> bool:
    """Luhn, or La Poste's rule (SIREN 356000000: digit sum a multiple of 5)."""
    if digits.startswith("356000000"):
        return sum(int(c) for c in digits) % 5 == 0
    return luhn(digits)


def expected_siret(text: str | None) -> tuple[str | None, bool, str | None]:
    """(beneficiaire_id, siret_invalid expected, beneficiaire_siren) for a raw idBeneficiaire cell.

    Empty: (None, False, None). 14 digits with a valid key (13 when a spreadsheet dropped the
    leading zero, a '.0' float tail tolerated): kept, SIREN its first 9. A 9-digit SIREN with a
    valid Luhn key: SIREN only, not flagged. 14 digits whose key fails but whose first 9 pass
    Luhn: SIREN kept, flagged. Anything else present: dropped, flagged.
    """
    t = (text or "").strip().removesuffix(".0")
    if not t:
        return None, False, None
    if t.isdigit() and len(t) in (13, 14) and siret_key_ok(t.zfill(14)):
        return t.zfill(14), False, t.zfill(14)[:9]
    if t.isdigit() and len(t) == 9 and luhn(t):
        return None, False, t
    if t.isdigit() and len(t) == 14 and luhn(t[:9]):
        return None, True, t[:9]
    return None, True, None


def check_sirets(result, expected: list[tuple[int, dict]], col: str) -> int:
    """Every accepted row carries the independently expected SIRET outcome; returns the flagged count."""
    cells = {line: r[col] for line, r in expected}
    flagged = 0
    grants = result.tables["grants"].select("source_row", "beneficiaire_id", "beneficiaire_siren", "flags")
    for line, got, siren, flags in grants.iter_rows():
        want, invalid, want_siren = expected_siret(cells[line])
        assert (got, siren) == (want, want_siren), line
        assert ("siret_invalid" in (flags or "").split(";")) == invalid, line
        if invalid:
            flagged += 1
            tail = f"its SIREN {want_siren} kept" if want_siren else "identifier dropped"
            assert [w.startswith("warning:siret_invalid: not a valid SIRET") and w.endswith(tail)
                    for w in problems_at(result, line, "idBeneficiaire")] == [True], line
    return flagged


def money(text: str | None) -> Decimal | None:
    """Amount as a human reads it: spaces and 'euros' dropped, comma = decimal mark."""
    if text is None:
        return None
    t = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").lower().removesuffix("euros")
    try:
        return Decimal(t.replace(",", "."))
    except ArithmeticError:
        return None


def accepted_total(df: pl.DataFrame) -> Decimal:
    # the reader's amounts are exact Decimals (DECIMAL(38, 10)): the amount as written
    return sum(df["montant_eur"], Decimal(0))


def problems_at(result, line: int, field: str) -> list[str]:
    return [f"{p.severity}:{p.reason}" for p in result.problems if p.source_row == str(line) and p.field == field]


def check_invariants(result) -> None:
    grants = result.tables["grants"]
    assert list(grants.columns) == GRANT_COLUMNS
    assert dict(grants.schema) == GRANT_SCHEMA
    assert result.rows_read == grants.height + result.rows_rejected
    error_lines = {p.source_row for p in result.problems if p.severity == "error"}
    assert not error_lines & {str(r) for r in grants["source_row"]}


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path
