"""Reader for SCDL `subventions` files (grants): CSV of any separator/encoding, xlsx, xls, ods.

`read_grants(path)` returns a `ReadResult` whose only table is `grants`
(columns `GRANT_COLUMNS`, types `GRANT_SCHEMA`, see docs/data-contracts.md).

How a file is read
- Every cell is read as text first (CSV: stdlib `csv` on the decoded text;
  spreadsheets: calamine via fastexcel with every column as string), so no type
  inference can silently change a value; each row is then validated on its own.
- Encoding: BOM if any, else UTF-8, else Windows-1252, else charset-normalizer's guess.
  A UTF-8 file with some Windows-1252 lines is decoded line by line (warning
  `encoding_mixed` on each such line), so its UTF-8 names are not garbled.
  Separator: `csv.Sniffer` over a sample (among `;` `,` tab `|`), overruled by the one that
  splits the header when the sniffer's does not; quoting is RFC 4180.
- The header is the first row (of the first sheet that has one, in a spreadsheet)
  whose cells name the blocking columns below; rows above it (titles) are skipped.
  Header names are matched case-, accent- and spacing-insensitively against the
  SCDL 2.x names, the 2018 DataSubvention names (ATTRIBUANT_NOM, ...), the older
  etalab names (COLL_NOM, ATTRIB_SIRET, SUB_MONTANT, ...) and the schema's French
  titles. Underscores are significant: `NOM_Beneficiaire` is not `nomBeneficiaire`.
  Unknown columns go, as a JSON object, to `extra`.
- `source_file` is the file name; `source_row` the physical line of the row's first
  line (header = 1) in a CSV, the 1-based row number in a spreadsheet sheet.
  Entirely empty rows are not data rows and are not counted in `rows_read`.
  Caveat: calamine starts a sheet at its first non-empty row, so in a sheet whose
  row 1 is empty the reported row numbers are shifted by the empty rows above.

Whole-file errors (SourceError naming file, line and column)
- empty or undecodable file, unknown format, no CSV separator found;
- a blocking column missing from the header: `nomBeneficiaire`, `montant`, `dateConvention`;
- two header cells mapping to the same SCDL column (which one holds the truth is unknown).
Other SCDL-required columns may be missing (older formats lack them): the column is null
and one warning is reported on the header line.

Row errors (severity "error": the row is rejected, not in `grants`)
- `montant`: missing, not a number (e.g. "NC", "mille euros"), negative, or beyond a float (1e400);
- `dateConvention`: missing or not a date (a bare year is accepted, see below);
- `nomBeneficiaire`: missing;
- a row with more cells than the header (the columns can no longer be trusted).

Row warnings (severity "warning": the row is accepted, the code is added to `flags`)
- `date_dmy`: a date written DD/MM/YYYY (or DD/MM/YY) instead of YYYY-MM-DD;
- `date_year_only`: `dateConvention` is a bare year (date null, `year` set);
- `date_serial`: a spreadsheet date stored as a day number;
- `montant_format`: decimal comma, thousands spaces (incl. U+00A0/U+202F), "€"/"euros";
- `montant_zero`: a zero amount;
- `percent_0_100`: `pourcentageSubvention` given in 0–100 (divided by 100);
- `percent_invalid`: a percentage that is not a number in (0, 1] after that (null);
- `siret_invalid`: `idBeneficiaire` present but not a valid SIRET (14 digits + key, see
  `siret.py`): the grant is real and kept, the identifier is dropped (null). Real exports
  mangle SIRETs (Poitiers 2017 ends 501 of 562 in `00000`); rejecting them would lose grants;
- `siret_cleaned`: a SIRET written with spaces, quotes, dots or a float tail;
- `attribuant_id_invalid`: `idAttribuant` not a valid SIRET (e.g. a 9-digit SIREN; null);
- `rna_invalid`: `rnaBeneficiaire` not W + 9 digits (null);
- `versement_nonstandard`: `datesPeriodeVersement` not `YYYY-MM-DD[/YYYY-MM-DD]` but
  dates could still be read (e.g. `_` as interval mark, DD/MM/YYYY, free text);
- `versement_invalid`: no date could be read from it, or the end precedes the start;
- `nature_nonstandard`: `nature` outside the SCDL list (normalised when recognisable);
- `notification_nonstandard` / `notification_invalid`: `notificationUE` not oui/non;
- `objet_too_long` (> 256 characters), `id_rae_too_long` (> 5 characters);
- `missing_value`: an SCDL-required, non-blocking cell is empty;
- `short_row`: fewer cells than the header (the missing trailing cells are null).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl

from pipelines.sources.common import Problem, ReadResult, SourceError
from pipelines.sources.siret import SIRET_CLEANED, clean_siret

GRANT_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String,
    "source_row": pl.Int64,
    "attribuant_nom": pl.String,
    "attribuant_id": pl.String,
    "date_convention": pl.Date,
    "year": pl.Int32,
    "reference_decision": pl.String,
    "beneficiaire_nom": pl.String,
    "beneficiaire_id": pl.String,
    "rna_beneficiaire": pl.String,
    "objet": pl.String,
    "montant_eur": pl.Float64,
    "nature": pl.String,
    "conditions_versement": pl.String,
    "versement_debut": pl.Date,
    "versement_fin": pl.Date,
    "id_rae": pl.String,
    "notification_ue": pl.Boolean,
    "pourcentage_subvention": pl.Float64,
    "dispositif_aide": pl.String,
    "extra": pl.String,
    "flags": pl.String,
}
GRANT_COLUMNS: list[str] = list(GRANT_SCHEMA)

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
BLOCKING_COLUMNS = ("nomBeneficiaire", "montant", "dateConvention")
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

# Canonical SCDL name -> header spellings seen in SCDL 1.x/2.x, the 2018 DataSubvention
# format, the older etalab format and real files (schema titles and their variants).
_ALIASES: dict[str, tuple[str, ...]] = {
    "nomAttribuant": ("ATTRIBUANT_NOM", "COLL_NOM", "Nom de l'attribuant", "Nom de l'attributaire"),
    "idAttribuant": (
        "ATTRIBUANT_ID", "COLL_SIRET", "Identification de l'attribuant",
        "Identification de l'attribuant (SIRET)", "Identification de l'attributaire (SIRET)",
        "Identification de l'attributaire",
    ),
    "dateConvention": (
        "CONVENTION_DATE", "ACTE_DATE", "Date de la convention de subvention",
        "Date de la convention", "date convention",
    ),
    "referenceDecision": ("DECISION_REF", "ACTE_REF", "Référence de la décision"),
    "nomBeneficiaire": ("BENEFICIAIRE_NOM", "ATTRIB_NOM", "Nom du bénéficiaire", "NOM"),
    "idBeneficiaire": (
        "BENEFICIAIRE_ID", "ATTRIB_SIRET", "SIRET_ORG", "Identification du bénéficiaire",
        "Identification du bénéficiaire (SIRET)",
    ),
    "rnaBeneficiaire": ("BENEFICIAIRE_RNA", "Identification RNA du bénéficiaire"),
    "objet": ("SUBVENTION_OBJET", "SUB_OBJET", "SUB_OBJ", "Objet de la subvention",
              "Présentation de la demande"),
    "montant": ("SUBVENTION_MONTANT", "SUB_MONTANT", "Montant total de la subvention",
                "Montant octroyé", "Montant"),
    "nature": ("SUBVENTION_NATURE", "SUB_NATURE", "Nature de la subvention"),
    "conditionsVersement": (
        "CONDITIONS_VERSEMENT", "SUB_VERSEMENT", "Conditions de versement",
        "Condition de versement", "Conditions de versement de la subvention",
    ),
    "datesPeriodeVersement": (
        "DATE_PERIODE_VERSEMENT", "DATES_PERIODE_VERSEMENT", "Date ou période de versement",
        "Date(s) ou période(s) de versement",
    ),
    _VERSEMENT_DEBUT: ("SUB_DATE_DEBUT",),
    _VERSEMENT_FIN: ("SUB_DATE_FIN",),
    "idRAE": ("RAE_NUM", "Numéro unique de référencement au RAE",
              "Identifiant RAE de l'aide au titre de laquelle la subvention est attribuée"),
    "notificationUE": (
        "NOTIF_UE", "NOTIF_EU", "Notification à la commission européenne",
        "Aide d'Etat notifiée à la Commission Européenne",
        "Aide d'Etat notifié à la Commission européenne", "Notification de minimis",
    ),
    "pourcentageSubvention": (
        "SUBVENTION_POURCENTAGE",
        "Pourcentage du montant total de la subvention attribuée au bénéficiaire",
        "Pourcentage du montant de la subvention attribuée au bénéficiaire",
    ),
    "dispositifAide": ("SUB_DISPOSITIF", "Identifiant référençant le dispositif d'aide à l'origine de la subvention"),
}

# Placeholders publishers write for "no value".
_NULL_TOKENS = {"", "nc", "n/c", "na", "n/a", "nr", "-", "--", "/", "null", "none", "ne rien indiquer",
                "non renseigne", "non renseignee", "sans objet"}

_NATURES = ("aide en numéraire", "aide en nature", "aide en numéraire;aide en nature",
            "aide en nature;aide en numéraire")
_CONDITIONS = {"unique": "unique", "echelonne": "échelonné", "autre": "autre"}
_TRUE = {"oui", "true", "vrai", "yes", "o", "y", "1"}
_FALSE = {"non", "false", "faux", "no", "n", "0", "non concerne", "non concernee"}

_HEADER_SCAN_ROWS = 20
_SAMPLE_CHARS = 64_000
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive key (underscores kept on purpose)."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())


_HEADER_LOOKUP: dict[str, str] = {}
for _canon, _spellings in _ALIASES.items():
    for _s in (_canon, *_spellings):
        _HEADER_LOOKUP[_fold(_s)] = _canon


def canonical_column(header: str) -> str | None:
    """The SCDL column a header cell names, or None for a non-schema column."""
    return _HEADER_LOOKUP.get(_fold(header))


# ---------------------------------------------------------------------------
# Reading a file into (line number, cells) records
# ---------------------------------------------------------------------------

def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    for encoding in ("utf-8", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes  # rare path: neither UTF-8 nor cp1252

    best = from_bytes(raw).best()
    if best is None:
        raise SourceError(name, "1", "cannot detect the text encoding")
    return str(best)


def _mixed_lines(raw: bytes) -> tuple[str, list[int]] | None:
    """A UTF-8 file with some lines in Windows-1252 (exports pasted together): decoding
    it whole as cp1252 would silently garble every accented UTF-8 name. Returns the text
    decoded line by line and the 1-based lines read as cp1252, or None if not mixed."""
    lines = raw.split(b"\n")
    utf8_accented = cp1252_lines = False
    decoded, fallback = [], []
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            utf8_accented = utf8_accented or not line.isascii()
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError:
                return None
            cp1252_lines = True
            fallback.append(number)
        decoded.append(text)
    return ("\n".join(decoded), fallback) if utf8_accented and cp1252_lines else None


def _header_delimiter(text: str, sniffed: str) -> str:
    """The sniffer votes over the whole sample: a few lines written with another separator
    (or decimal commas) can outvote a ';' header. Keep its choice if it yields the header,
    else the separator that does."""
    head = text.splitlines()[:_HEADER_SCAN_ROWS]
    for delimiter in dict.fromkeys((sniffed, ";", ",", "\t", "|")):
        try:
            rows = [(i, cells) for i, cells in enumerate(csv.reader(head, delimiter=delimiter), start=1)]
        except csv.Error:  # a broken line among the first ones: the full read reports it
            continue
        if _find_header(rows) is not None:
            return delimiter
    return sniffed


def _csv_records(path: Path, name: str) -> tuple[list[tuple[int, list[str]]], list[int]]:
    """The file's records (first line, cells) and the lines of a mixed-encoding file read as cp1252."""
    raw = path.read_bytes()
    if not raw.strip():
        raise SourceError(name, "1", "empty file: no header and no data")
    mixed = None
    if not raw.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            mixed = _mixed_lines(raw)
    text, cp1252_lines = mixed if mixed else (_decode(raw, name), [])
    try:
        delimiter = csv.Sniffer().sniff(text[:_SAMPLE_CHARS], delimiters=";,\t|").delimiter
    except csv.Error:
        # A sample cut mid-record or one odd line can defeat the sniffer: the header alone decides.
        try:
            delimiter = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,\t|").delimiter
        except csv.Error as exc:
            raise SourceError(name, "1", "no column separator found (expected ';' or ',')") from exc
    delimiter = _header_delimiter(text, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    records: list[tuple[int, list[str]]] = []
    last_line = 0
    try:
        for cells in reader:
            records.append((last_line + 1, cells))  # a record starts on the line after the previous one
            last_line = reader.line_num
    except csv.Error as exc:
        raise SourceError(name, str(last_line + 1), f"CSV syntax error: {exc}") from exc
    return records, cp1252_lines


def _sheet_records(path: Path, name: str) -> list[list[tuple[int, list[str]]]]:
    import fastexcel

    try:
        workbook = fastexcel.read_excel(path)
    except Exception as exc:  # calamine raises its own error types
        raise SourceError(name, "1", f"cannot open spreadsheet: {exc}") from exc
    sheets = []
    for index in range(len(workbook.sheet_names)):
        # header_row=None and string dtypes: every cell as text, nothing inferred.
        frame = workbook.load_sheet(index, header_row=None, dtypes="string").to_polars()
        sheets.append(
            [(i + 1, ["" if v is None else v for v in row]) for i, row in enumerate(frame.rows())]
        )
    return sheets


def _is_blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def _find_header(records: list[tuple[int, list[str]]]) -> int | None:
    """Index of the first record naming every blocking column, or None."""
    for i, (_, cells) in enumerate(records[:_HEADER_SCAN_ROWS]):
        mapped = {canonical_column(c) for c in cells}
        if all(col in mapped for col in BLOCKING_COLUMNS):
            return i
    return None


def _header_error(name: str, records: list[tuple[int, list[str]]]) -> SourceError:
    candidates = [(line, cells) for line, cells in records[:_HEADER_SCAN_ROWS] if not _is_blank(cells)]
    if not candidates:
        return SourceError(name, "1", "no header row found")
    line, cells = max(candidates, key=lambda r: len({canonical_column(c) for c in r[1]} - {None}))
    mapped = {canonical_column(c) for c in cells}
    missing = [c for c in BLOCKING_COLUMNS if c not in mapped]
    return SourceError(name, str(line), f"missing required column(s) {', '.join(missing)}"
                       f" (header: {', '.join(c for c in cells if c)})")


# ---------------------------------------------------------------------------
# Value parsers (pure; return values plus flag codes)
# ---------------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007]+")
_UNIT = re.compile(r"(€|eur(o|os)?)\s*$|^\s*€", re.IGNORECASE)


def parse_amount(raw: str) -> tuple[Decimal | None, bool]:
    """Parse a French or international amount; returns (value, was_reformatted)."""
    text = raw.strip()
    if _NUMBER.match(text):
        return Decimal(text), False
    text = _UNIT.sub("", text)
    text = _SPACES.sub("", text)
    if "," in text and "." in text:
        # the last separator is the decimal mark, the other one groups thousands
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1:
        text = text.replace(",", ".")
    elif re.fullmatch(r"[+-]?\d{1,3}([,.]\d{3}){2,}", text):
        text = re.sub(r"[,.]", "", text)
    if not _NUMBER.match(text):
        return None, True
    try:
        return Decimal(text), True
    except InvalidOperation:
        return None, True


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})$")
_YEAR = re.compile(r"^(\d{4})(?:\.0)?$")
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")


def parse_date(raw: str, *, spreadsheet: bool = False) -> tuple[dt.date | None, int | None, list[str]]:
    """Return (date, year, flags). A bare year gives (None, year, ['date_year_only'])."""
    text = raw.strip()
    try:
        if m := _ISO_DATE.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), int(m[1]), []
        if m := _DMY_DATE.match(text):
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            day = dt.date(year, int(m[2]), int(m[1]))
            return day, year, ["date_dmy"]
    except ValueError:  # 2017-30-05: the shape of a date, not a date
        return None, None, []
    if m := _YEAR.match(text):
        year = int(m[1])
        if 1900 <= year <= 2100:
            return None, year, ["date_year_only"]
    if spreadsheet and (m := _SERIAL.match(text)):
        day = _EXCEL_EPOCH + dt.timedelta(days=int(m[1]))
        return day, day.year, ["date_serial"]
    return None, None, []


_STRICT_PERIOD = re.compile(r"^\d{4}-\d{2}-\d{2}(/\d{4}-\d{2}-\d{2})?$")
_DATE_TOKEN = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}")


def parse_period(raw: str) -> tuple[dt.date | None, dt.date | None, list[str], bool]:
    """`datesPeriodeVersement` -> (start, end, flags, ok). A single date is start = end."""
    text = raw.strip()
    flags: list[str] = []
    if not _STRICT_PERIOD.match(text):
        flags.append("versement_nonstandard")
    parsed = [parse_date(tok) for tok in _DATE_TOKEN.findall(text)]
    days = [d for d, _, _ in parsed if d is not None]
    if not days or len(days) != len(parsed):
        return None, None, flags, False
    start, end = days[0], days[-1]
    return start, end, flags, end >= start


def parse_nature(raw: str) -> tuple[str, bool]:
    """Normalise `nature`; returns (value, is_standard)."""
    if raw in _NATURES:
        return raw, True
    folded = _fold(raw)
    cash = "numeraire" in folded
    kind = "nature" in folded.replace("numeraire", "")
    parts = [p.strip() for p in re.split(r"[;,]| et ", folded) if p.strip()]
    known = all(("numeraire" in p or "nature" in p) for p in parts)
    if known and (cash or kind):
        value = ";".join(v for v, on in (("aide en numéraire", cash), ("aide en nature", kind)) if on)
        return value, _fold(value) == folded
    return raw, False


# ---------------------------------------------------------------------------
# Row validation
# ---------------------------------------------------------------------------

class _Row:
    """Collects one row's problems and flags."""

    def __init__(self, name: str, line: int):
        self.name, self.line = name, str(line)
        self.problems: list[Problem] = []
        self.flags: list[str] = []

    def error(self, field: str, value: str | None, reason: str) -> None:
        self.problems.append(Problem(self.name, self.line, field, value, reason, "error"))

    def warn(self, field: str, value: str | None, code: str, reason: str) -> None:
        if code not in self.flags:
            self.flags.append(code)
        self.problems.append(Problem(self.name, self.line, field, value, f"{code}: {reason}", "warning"))

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def _value(cells: dict[str, str], col: str) -> str | None:
    raw = cells.get(col)
    if raw is None:
        return None
    text = raw.strip().strip("\u00a0\u202f")
    return None if _is_null_token(text) else text


# First characters of the folded null tokens ("n", "-", "/").
_NULL_FIRST = {token[0] for token in _NULL_TOKENS if token}


def _is_null_token(text: str) -> bool:
    """`_fold(text) in _NULL_TOKENS`, without folding most cells (bench/ingest_scdl.py
    profiled _fold at ~60% of read time). Exact: `text` is stripped, and _fold maps an
    ASCII first character to its lower case, so no other ASCII start can fold to a token."""
    if not text:
        return True
    first = text[0]
    if first.isascii() and first.lower() not in _NULL_FIRST:
        return False
    if text.isascii():  # _fold of ASCII text is case folding and space collapsing only
        return " ".join(text.lower().split()) in _NULL_TOKENS
    return _fold(text) in _NULL_TOKENS


def _validate(cells: dict[str, str], present: set[str], row: _Row, spreadsheet: bool) -> dict:
    out: dict = {}
    raw = {col: cells.get(col) for col in cells}

    for col in SCDL_REQUIRED:
        if col in present and _value(cells, col) is None and col != "idAttribuant":
            row.warn(col, raw.get(col), "missing_value", "required by SCDL, empty")

    # --- blocking fields
    name = _value(cells, "nomBeneficiaire")
    if name is None:
        row.error("nomBeneficiaire", raw.get("nomBeneficiaire"), "missing beneficiary name")
    out["beneficiaire_nom"] = name

    amount_text = _value(cells, "montant")
    amount = None
    if amount_text is None:
        row.error("montant", raw.get("montant"), "missing amount")
    else:
        amount, reformatted = parse_amount(amount_text)
        if amount is None:
            row.error("montant", amount_text, "amount is not a number")
        elif amount < 0:
            row.error("montant", amount_text, "negative amount")
        elif not math.isfinite(float(amount)):
            row.error("montant", amount_text[:40], "amount too large to be a number of euros")
        else:
            if reformatted:
                row.warn("montant", amount_text, "montant_format", "read as " + format(amount, "f"))
            if amount == 0:
                row.warn("montant", amount_text, "montant_zero", "zero amount")
    out["montant_eur"] = None if amount is None or not math.isfinite(float(amount)) else float(amount)

    date_text = _value(cells, "dateConvention")
    day = year = None
    if date_text is None:
        row.error("dateConvention", raw.get("dateConvention"), "missing convention date")
    else:
        day, year, flags = parse_date(date_text, spreadsheet=spreadsheet)
        if year is None:
            row.error("dateConvention", date_text, "not a date (expected YYYY-MM-DD)")
        for code in flags:
            row.warn("dateConvention", date_text, code, _DATE_FLAG_TEXT[code])
    out["date_convention"], out["year"] = day, year

    siret_text = _value(cells, "idBeneficiaire")
    siret, flags = clean_siret(siret_text)
    if siret_text is not None and siret is None:
        # a real grant to an organisation whose SIRET was mistyped (real exports lose their
        # last digits): keep the grant, drop the identifier, say so
        row.warn("idBeneficiaire", siret_text, "siret_invalid",
                 "not a valid SIRET (" + flags[-1].replace("_", " ") + "), identifier dropped")
    elif SIRET_CLEANED in flags:
        row.warn("idBeneficiaire", siret_text, SIRET_CLEANED, f"read as {siret}")
    out["beneficiaire_id"] = siret

    # --- non-blocking fields
    out["attribuant_nom"] = _value(cells, "nomAttribuant")
    att_text = _value(cells, "idAttribuant")
    att, flags = clean_siret(att_text)
    if att_text is not None and att is None:
        row.warn("idAttribuant", att_text, "attribuant_id_invalid", "not a valid SIRET (" + flags[-1] + ")")
    elif SIRET_CLEANED in flags:
        row.warn("idAttribuant", att_text, SIRET_CLEANED, f"read as {att}")
    elif "idAttribuant" in present and att_text is None:
        row.warn("idAttribuant", raw.get("idAttribuant"), "missing_value", "required by SCDL, empty")
    out["attribuant_id"] = att

    out["reference_decision"] = _value(cells, "referenceDecision")
    rna = _value(cells, "rnaBeneficiaire")
    if rna is not None and not re.fullmatch(r"W\d{9}", rna.upper()):
        row.warn("rnaBeneficiaire", rna, "rna_invalid", "expected W followed by 9 digits")
        rna = None
    out["rna_beneficiaire"] = rna and rna.upper()

    objet = _value(cells, "objet")
    if objet is not None and len(objet) > 256:
        row.warn("objet", objet[:60] + "…", "objet_too_long", f"{len(objet)} characters, SCDL allows 256")
    out["objet"] = objet

    nature = _value(cells, "nature")
    if nature is not None:
        nature, standard = parse_nature(nature)
        if not standard:
            row.warn("nature", cells["nature"], "nature_nonstandard",
                     "expected 'aide en numéraire' and/or 'aide en nature'" + (f", read as {nature!r}" if nature != cells["nature"].strip() else ""))
    out["nature"] = nature

    conditions = _value(cells, "conditionsVersement")
    if conditions is not None:
        conditions = _CONDITIONS.get(_fold(conditions), conditions)  # 'Unique' -> 'unique'; free text kept
    out["conditions_versement"] = conditions

    start = end = None
    period = _value(cells, "datesPeriodeVersement")
    if period is not None:
        start, end, flags, ok = parse_period(period)
        if not ok:
            row.warn("datesPeriodeVersement", period, "versement_invalid", "no valid date or period read")
            start = end = None
        elif flags:
            row.warn("datesPeriodeVersement", period, "versement_nonstandard",
                     f"expected YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD, read as {start}/{end}")
    for col, key in ((_VERSEMENT_DEBUT, "start"), (_VERSEMENT_FIN, "end")):
        text = _value(cells, col)
        if text is None:
            continue
        day_, _, flags = parse_date(text, spreadsheet=spreadsheet)
        if day_ is None:
            row.warn(col.lstrip("_"), text, "versement_invalid", "not a date")
        for code in flags:
            row.warn(col.lstrip("_"), text, code, _DATE_FLAG_TEXT[code])
        if key == "start":
            start = day_
        else:
            end = day_
    out["versement_debut"], out["versement_fin"] = start, end

    rae = _value(cells, "idRAE")
    if rae is not None and len(rae) > 5:
        row.warn("idRAE", rae, "id_rae_too_long", "SCDL allows 5 characters")
    out["id_rae"] = rae

    notif = _value(cells, "notificationUE")
    flag = None
    if notif is not None:
        folded = _fold(notif)
        if folded in ("oui", "non"):
            flag = folded == "oui"
        elif folded in _TRUE or folded in _FALSE:
            flag = folded in _TRUE
            row.warn("notificationUE", notif, "notification_nonstandard", f"expected oui/non, read as {flag}")
        else:
            row.warn("notificationUE", notif, "notification_invalid", "expected oui/non")
    out["notification_ue"] = flag

    pct_text = _value(cells, "pourcentageSubvention")
    pct = None
    if pct_text is not None:
        text = pct_text.rstrip().removesuffix("%")
        value, _ = parse_amount(text)
        if value is not None and (value > 1 or text != pct_text.rstrip()):
            value = value / 100
            row.warn("pourcentageSubvention", pct_text, "percent_0_100", f"read as {value}")
        if value is None or not (0 < value <= 1):
            row.warn("pourcentageSubvention", pct_text, "percent_invalid", "expected a number in (0, 1]")
            value = None
        pct = None if value is None else float(value)
    out["pourcentage_subvention"] = pct

    out["dispositif_aide"] = _value(cells, "dispositifAide")
    return out


_DATE_FLAG_TEXT = {
    "date_dmy": "DD/MM/YYYY date, expected YYYY-MM-DD",
    "date_year_only": "a year, not a date",
    "date_serial": "spreadsheet day number read as a date",
}


# ---------------------------------------------------------------------------
# The reader
# ---------------------------------------------------------------------------

def _is_spreadsheet(path: Path) -> bool:
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        return True
    with path.open("rb") as fh:
        magic = fh.read(8)
    # a zip (xlsx/ods) or OLE2 (xls) container behind a misleading .csv name
    return magic.startswith(b"PK\x03\x04") or magic.startswith(b"\xd0\xcf\x11\xe0")


def read_grants(path: str | Path) -> ReadResult:
    """Read one SCDL grants file into the `grants` table (see module docstring)."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise SourceError(name, "1", "file not found")
    spreadsheet = _is_spreadsheet(path)
    if spreadsheet:
        sheets = _sheet_records(path, name)
        found = next(((s, h) for s in sheets if (h := _find_header(s)) is not None), None)
        if found is None:
            raise _header_error(name, sheets[0] if sheets else [])
        records, header_index = found
        cp1252_lines = []
    else:
        records, cp1252_lines = _csv_records(path, name)
        header_index = _find_header(records)
        if header_index is None:
            raise _header_error(name, records)

    header_line, header = records[header_index]
    header = [h.strip() for h in header]
    columns: dict[str, int] = {}
    for i, cell in enumerate(header):
        canon = canonical_column(cell)
        if canon is None:
            continue
        if canon in columns:
            raise SourceError(name, str(header_line),
                              f"columns {columns[canon] + 1} and {i + 1} both give {canon} ('{header[columns[canon]]}', '{cell}')")
        columns[canon] = i
    extras = [(i, cell or f"column_{i + 1}") for i, cell in enumerate(header) if canonical_column(cell) is None]

    problems: list[Problem] = [
        Problem(name, str(header_line), col, None, "missing_column: SCDL-required column absent, left null", "warning")
        for col in SCDL_REQUIRED if col not in columns
    ]
    problems += [
        Problem(name, str(line), "_encoding", None,
                "encoding_mixed: this line is Windows-1252 in a UTF-8 file, read as Windows-1252", "warning")
        for line in cp1252_lines
    ]
    rows: list[dict] = []
    rows_read = 0
    width = len(header)
    for line, cells in records[header_index + 1:]:
        if _is_blank(cells):
            continue
        rows_read += 1
        row = _Row(name, line)
        if len(cells) > width and not _is_blank(cells[width:]):
            row.error("_row", None, f"{len(cells)} cells for {width} header columns")
        elif len(cells) < width:
            row.warn("_row", None, "short_row", f"{len(cells)} cells for {width} header columns")
        by_name = {col: cells[i] for col, i in columns.items() if i < len(cells)}
        out = _validate(by_name, set(columns), row, spreadsheet)
        extra = {label: cells[i].strip() for i, label in extras if i < len(cells) and cells[i].strip()}
        problems.extend(row.problems)
        if row.failed:
            continue
        out.update(
            source_file=name,
            source_row=line,
            extra=json.dumps(extra, ensure_ascii=False) if extra else None,
            flags=";".join(row.flags) or None,
        )
        rows.append(out)

    grants = pl.DataFrame(rows, schema=GRANT_SCHEMA) if rows else pl.DataFrame(schema=GRANT_SCHEMA)
    return ReadResult(source_file=name, rows_read=rows_read, tables={"grants": grants.select(GRANT_COLUMNS)},
                      problems=problems)
