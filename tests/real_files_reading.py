"""The independent reading of the real public files (issue "Real files, true figures"), shared by
tests/test_real_files.py and tests/test_real_files_reader.py (tests/test_exact_money.py imports two through
test_real_files): the corpus
(`tests/data/real/`, `../shared/reference/`), each SCDL file's encoding, separator, header line and money
columns, and the expected figures read with stdlib `csv` + `Decimal` (spreadsheets: polars' calamine
reader, every cell as text) for grants, ElementTree + `Decimal` for IATI, with the rules of
docs/money-rules.md written again from the doc, not imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import polars as pl

from raw_files import iati_activities, local


ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "tests" / "data" / "real"
SHARED = ROOT.parent / "shared" / "reference"
CENT = Decimal("0.01")

# file -> (encoding, separator, header line, amount header, year headers by priority);
# spreadsheets: encoding None. Headers as the files write them (read by a person, once).
PERIOD = "period"  # a payment period column: its first date gives the year
SCDL = {
    "DEP_Charente-Maritime_2016-2017_conventions.xlsx": (None, None, 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
    "DEP_Deux-Sevres_2015-2017_conventions.xls":
        (None, None, 1, "Montant décidé ligne", ["Date convention", "Date premier mandat ligne"]),
    "DEP_Loire-Atlantique_2008-2018_subventions_associations.csv":
        ("utf-8", ";", 1, "Montant total de la subvention", ["Date de la convention de subvention", ("Date ou période de versement", PERIOD)]),
    "DEP_Maine-et-Loire_2004-2016_subventions_associations_mandate.csv": ("utf-8", ";", 1, "Mandaté", ["Année"]),
    "DEP_Maine-et-Loire_2017_conventions.csv": ("utf-8", ";", 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
    "DEP_Mayenne_2018_conventions.xlsx":
        (None, None, 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD), "datePremierVersement"]),
    "DEP_Mayenne_2019_conventions.xlsx": (None, None, 1, "montant", ["dateConvention", "datePremierVersement"]),
    "DEP_Sarthe_2018-2019_conventions_23k.xls": (None, None, 4, "Montant ", ["Date de  décision"]),
    "DEP_Somme_2018-03-02_conventions_bom-cp1252.csv": ("cp1252", ";", 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
    "DEP_Somme_2018-03-30_conventions_cp1252.csv": ("cp1252", ";", 1, "montant", ["dateConvention", ("datesperiodeversement", PERIOD)]),
    "DEP_Somme_2022_conventions_extract_damaged.csv": ("utf-8", ";", 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
    "DEP_Vendee_2017_conventions_cp1252.csv": ("cp1252", ",", 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
    "DEP_Vendee_2018-01_conventions.xlsx": (None, None, 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
    "DEP_Vendee_2018_conventions_cp1252.csv": ("cp1252", ",", 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
    "DEP_Vendee_2019-03_conventions_utf8.csv": ("utf-8", ",", 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
    "EPCI_Toulouse-Metropole_2022_subventions.csv": ("utf-8", ";", 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
    "ETAT_SPM-DILCRAH_2019_subventions_anonymised.csv":
        ("utf-8", ";", 1, " Montant total de la subvention* ", ["Date de convention*", (" Date de versement ", PERIOD)]),
    "DEP_Aube_Donnees_essentielles_conventions_subvention.xlsx":
        (None, None, 2, "Montant  total de la subvention", ["Date de la convention de subvention", ("Date(s) ou période(s) de versement", PERIOD)]),
    "DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv": ("cp1252", ";", 1, "montant", ["dateConvention", ("datesperiodeVersement", PERIOD)]),
    "DEP_Nièvre_CD58_SUBVENTIONS_2016_LISTE.csv": ("cp1252", ",", 1, "SUB_MONTANT", ["ACTE_DATE"]),
    "DEP_Pyrénées_Orientales_recensement_conventions_DEFINITIF_pour_publication_.ods":
        (None, None, 4, "Montant octroyé", ["date convention ", "date octroi", ("Date ou période de versement", PERIOD)]),
    "SCDL_COM_Poitiers_citoyennete-subventions-directes-attribuees-aux-associations-2017-ville-de-poiti.csv":
        ("utf-8", ";", 1, "SUB_MONTANT", ["ACTE_DATE", "ANNEE"]),
    "SCDL_DEP_Haute_Garonne_datalocale-subvention.csv":
        ("utf-8", ";", 1, "montant", ["dateConvention", ("datesPeriodeVersement", PERIOD)]),
}


def scdl_path(name: str) -> Path:
    local = REAL / "scdl" / name
    return local if local.exists() else SHARED / "scdl" / "real" / name


IATI_FILES = sorted((REAL / "iati").glob("*.xml")) + sorted((SHARED / "iati" / "publishers_v1").glob("*.xml"))
DOUBLED = "zz-finland-doubled.xml"


# --- the independent reading -------------------------------------------------------------

def money(text: str | None) -> Decimal | None:
    """An amount as a person reads it: spaces and euro signs dropped; the last of ',' and
    '.' is the decimal mark when both are there; a lone ',' is one."""
    if text is None:
        return None
    t = re.sub(r"[\s\u00a0\u202f]", "", str(text)).lower().replace("€", "").removesuffix("euros").removesuffix("eur")
    if t in ("", "nc", "-", "n/a", "na", "nr", "/"):
        return None
    if "," in t and "." in t:
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    elif t.count(",") == 1:
        t = t.replace(",", ".")
    elif re.fullmatch(r"-?\d{1,3}(\.\d{3}){2,}", t):
        t = t.replace(".", "")
    try:
        return Decimal(t)
    except ArithmeticError:
        return None


def year_of(text: str | None, spreadsheet: bool, period: bool = False) -> int | None:
    if text is None or not str(text).strip():
        return None
    t = str(text).strip()
    if period:
        m = re.search(r"(\d{4})-\d{2}-\d{2}|\d{1,2}/\d{1,2}/(\d{4})", t)
        return int(m[1] or m[2]) if m else None
    for pattern in (r"^(\d{4})-(\d{2})-(\d{2})", r"^(\d{4})/(\d{1,2})/(\d{1,2})$"):
        if m := re.match(pattern, t):
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3])).year
            except ValueError:
                return None
    if m := re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$", t):
        year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
        try:
            return dt.date(year, int(m[2]), int(m[1])).year
        except ValueError:
            return None
    if m := re.match(r"^(\d{4})(\.0)?$", t):
        return int(m[1])
    if spreadsheet and (m := re.match(r"^(\d{5})(\.0+)?$", t)):
        return (dt.date(1899, 12, 30) + dt.timedelta(days=int(m[1]))).year
    return None


def text_records(path: Path, encoding: str, sep: str) -> list[list[str]]:
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    if encoding == "utf-8" and _utf8(raw):
        text = raw.decode("utf-8")
    else:  # Windows-1252, where a line that is valid UTF-8 is UTF-8 (exports pasted together)
        text = "\n".join(line.decode("utf-8") if _utf8(line) else line.decode("cp1252") for line in raw.split(b"\n"))
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


def _utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def sheet_records(path: Path) -> list[list[str]]:
    frame = pl.read_excel(path, engine="calamine", has_header=False, infer_schema_length=0, drop_empty_rows=False)
    return [["" if c is None else str(c) for c in row] for row in frame.rows()]


def expected_grants(name: str) -> dict[int, Decimal]:
    """Year -> euros counted, for one SCDL file, read independently."""
    encoding, sep, header_line, amount_col, year_cols = SCDL[name]
    path = scdl_path(name)
    spreadsheet = encoding is None
    records = sheet_records(path) if spreadsheet else text_records(path, encoding, sep)
    header = records[header_line - 1]
    width = len(header)
    m = header.index(amount_col)
    totals: dict[int, Decimal] = defaultdict(Decimal)
    seen: set[tuple[str, ...]] = set()
    for cells in records[header_line:]:
        if not any(c.strip() for c in cells):
            continue
        line = tuple(cells)
        if len(cells) > width and any(c.strip() for c in cells[width:]):
            joined = cells[m] + "," + cells[m + 1] if len(cells) > m + 1 else ""
            unquoted_comma = (len([c for c in cells[width:] if c.strip()]) == 1 and len(cells) == width + 1
                              and re.fullmatch(r"-?[\d \u00a0\u202f.]+", cells[m] or "x")
                              and re.fullmatch(r"\d{1,2}", cells[m + 1]))
            if not unquoted_comma:
                continue  # columns shifted: no amount can be trusted
            cells = cells[:m] + [joined] + cells[m + 2:]
        row = dict(zip(header, cells))
        amount = money(row.get(amount_col))
        year = None
        for col in year_cols:
            col, period = (col if isinstance(col, tuple) else (col, None))
            year = year_of(row.get(col), spreadsheet, period == PERIOD)
            if year is not None:
                break
        if amount is None or year is None:
            continue
        if line in seen:  # the exact same line again: counted once
            continue
        seen.add(line)
        totals[year] += amount
    return dict(totals)


# Files with a transaction of two <value>s (Bond 2013: two transactions pasted into one).
# Which amount is meant is unknown: the activity is refused (docs/money-rules.md), so its
# transactions are not read; the file is named below so the case stays tested.
AMBIGUOUS: set[str] = set()


def expected_iati() -> dict[tuple[str, int, str], Decimal]:
    """(file, year, currency) -> the value of every transaction read, in its own currency,
    read with ElementTree: every transaction of every activity whose root is
    <iati-activities> or a single <iati-activity>."""
    totals: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for path in IATI_FILES:
        for _, act, txs in iati_activities(path):  # none when not an activity file: refused whole
            default = act.get("default-currency")
            if any(sum(1 for c in tx if local(c.tag) == "value") > 1 for tx in txs):
                AMBIGUOUS.add(path.name)
                continue  # refused whole: none of its transactions is read
            for tx in txs:
                values = [c for c in tx if local(c.tag) == "value"]
                value = values[0] if values else None
                dates = [c for c in tx if local(c.tag) == "transaction-date"]
                date = dates[-1] if dates else None
                if value is None or date is None or not (value.text or "").strip():
                    continue
                when = date.get("iso-date") or (value.get("value-date") or "")
                if not re.match(r"\d{4}-\d{2}-\d{2}", when):
                    continue
                currency = (value.get("currency") or default or "EUR").upper()
                totals[(path.name, int(when[:4]), currency)] += Decimal(value.text.strip())
    return dict(totals)
