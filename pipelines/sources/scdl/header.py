"""SCDL header: column names and their spellings across versions, and where the header row is."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.sources.common import SourceError
from pipelines.sources.scdl.values import _fold

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
# A header must name the amount, something giving the year and someone to pay: without
# them no row's money can be known. The first of each group found is reported missing.
BLOCKING_COLUMNS = ("montant", "dateConvention", "nomBeneficiaire")
_BLOCKING_GROUPS = (
    ("montant",),
    ("dateConvention", "_annee", "_dateDecision"),
    ("nomBeneficiaire", "idBeneficiaire", "rnaBeneficiaire"),
)
# Required by the SCDL schema but absent from older real formats: tolerated (null + warning).
SCDL_REQUIRED = (
    "nomAttribuant",
    "idAttribuant",
    "objet",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "notificationUE",
    "pourcentageSubvention",
)
# Old formats split the payment period into two columns; internal names, not SCDL ones.
_VERSEMENT_DEBUT = "_versementDebut"
_VERSEMENT_FIN = "_versementFin"

# Header spellings seen in SCDL 1.x/2.x, the 2018 DataSubvention format, the older etalab
# format, the 2024 rework and real files: data, not code (`headers.csv`, beside this module).
HEADERS_FILE = Path(__file__).with_name("headers.csv")
# Internal names (not SCDL columns) for the year fallbacks: a budget year or a decision date
# gives the grant its year when `dateConvention` is empty.
_ANNEE = "_annee"
_DATE_DECISION = "_dateDecision"


def _load_spellings(path: Path = HEADERS_FILE) -> tuple[dict[str, str], dict[str, str]]:
    """(folded spelling -> column, folded spelling -> column when the first is taken).
    Two columns for one spelling is a mistake in the table."""
    lookup: dict[str, str] = {}
    when_taken: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            key = _fold(row["spelling"])
            if lookup.setdefault(key, row["column"]) != row["column"]:
                raise ValueError(f"{path.name}: {row['spelling']!r} names both {lookup[key]} and {row['column']}")
            if row.get("when_taken"):
                when_taken[key] = row["when_taken"]
    return lookup, when_taken


_HEADER_SCAN_ROWS = 20

_HEADER_LOOKUP, _WHEN_TAKEN = _load_spellings()


def _header_key(header: str) -> str:
    """A header cell as the table is keyed: folded, without the `*` marking required
    columns (DILCRAH 2019: ' Nom attributaire* '), and with UTF-8 read as cp1252 undone
    ('Aide notifiÃ©e' -> 'Aide notifiée') when that is what happened."""
    # "pourcentageSubvention;;": a ';'-file's trailing separators inside a ','-file's last header
    text = header.strip().strip("*;").strip()
    if "Ã" in text or "â€" in text:
        try:
            text = text.encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass  # not UTF-8 read as cp1252 after all: the header is matched as written
    return _fold(text)


EXTRA = "_extra"  # in the table: a header known not to be an SCDL column (kept in `extra`)


def canonical_column(header: str) -> str | None:
    """The SCDL column a header cell names, or None for a non-schema column."""
    column = _HEADER_LOOKUP.get(_header_key(header))
    return None if column == EXTRA else column


def known_header(header: str) -> bool:
    """True when the synonym table knows the header: an SCDL column or a known other one."""
    return _header_key(header) in _HEADER_LOOKUP


def header_columns(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """SCDL column -> index of the header cell naming it, and notes on cells read by context.

    A spelling with a `when_taken` column (e.g. "Nom de l'attributaire": the recipient, but
    the grantor in files that also have "Nom du bénéficiaire") names that column when
    another cell already names its first one. Two cells naming one column otherwise is
    a whole-file error (which holds the truth is unknown): raises ValueError(i, j)."""
    columns: dict[str, int] = {}
    notes: list[str] = []
    contextual = []
    for i, cell in enumerate(header):
        canon = canonical_column(cell)
        if canon is None:
            continue
        if _header_key(cell) in _WHEN_TAKEN:
            contextual.append((i, cell, canon))
            continue
        if canon in columns:
            raise ValueError(columns[canon], i)
        columns[canon] = i
    for i, cell, canon in contextual:
        if canon in columns:
            other = _WHEN_TAKEN[_header_key(cell)]
            notes.append(f"'{cell}' read as {other}: '{header[columns[canon]]}' names {canon}")
            canon = other
        if canon in columns:
            raise ValueError(columns[canon], i)
        columns[canon] = i
    return columns, notes


def _is_blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def _find_header(records: list[tuple[int, list[str]]]) -> int | None:
    """Index of the first record naming every blocking column, or None."""
    for i, (_, cells) in enumerate(records[:_HEADER_SCAN_ROWS]):
        mapped = {canonical_column(c) for c in cells}
        if not _missing_blocking(mapped):
            return i
    return None


def _missing_blocking(mapped: set[str | None]) -> list[str]:
    return [group[0] for group in _BLOCKING_GROUPS if not any(col in mapped for col in group)]


def _header_error(name: str, records: list[tuple[int, list[str]]]) -> SourceError:
    candidates = [(line, cells) for line, cells in records[:_HEADER_SCAN_ROWS] if not _is_blank(cells)]
    if not candidates:
        return SourceError(name, "1", "no header row found")
    line, cells = max(candidates, key=lambda r: len({canonical_column(c) for c in r[1]} - {None}))
    mapped = {canonical_column(c) for c in cells}
    missing = _missing_blocking(mapped)
    return SourceError(name, str(line), f"missing required column(s) {', '.join(missing)}"
                       f" (header: {', '.join(c for c in cells if c)})")

