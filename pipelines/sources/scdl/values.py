"""SCDL cell values: null placeholders, amounts, dates, periods, natures (pure functions).

Each parser takes one cell's text. `pipelines.sources.scdl.validate` calls them once per
distinct value of a column, so they may stay simple, exact Python.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

# Placeholders publishers write for "no value".
_NULL_TOKENS = {"", "nc", "n/c", "na", "n/a", "nr", "-", "--", "/", "null", "none", "ne rien indiquer",
                "non renseigne", "non renseignee", "sans objet"}

_NATURES = ("aide en numéraire", "aide en nature", "aide en numéraire;aide en nature",
            "aide en nature;aide en numéraire")
_CONDITIONS = {"unique": "unique", "echelonne": "échelonné", "autre": "autre"}
_TRUE = {"oui", "true", "vrai", "yes", "o", "y", "1"}
_FALSE = {"non", "false", "faux", "no", "n", "0", "non concerne", "non concernee"}

_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive key (underscores kept on purpose)."""
    text = unicodedata.normalize("NFKD", text.replace("’", "'").replace("‘", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.casefold().split())



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
# An ISO date-time with a real time and/or a zone (2018-01-30T14:05:00+01:00): the date as written.
_ISO_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_YMD_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$")
_YEAR = re.compile(r"^(\d{4})(?:\.0)?$")
_SERIAL = re.compile(r"^(\d{5})(?:\.0+)?$")


def parse_date(raw: str, *, spreadsheet: bool = False) -> tuple[dt.date | None, int | None, list[str]]:
    """Return (date, year, flags). A bare year gives (None, year, ['date_year_only']).

    Shapes read, as real files write them: YYYY-MM-DD (the standard), an ISO date-time
    (`date_time`), YYYY/MM/DD (`date_ymd_slash`), DD/MM/YYYY, DD-MM-YYYY, DD.MM.YYYY or
    DD/MM/YY (`date_dmy`), a bare year, and in a spreadsheet a day number (`date_serial`).
    MM/DD/YYYY is never guessed: 02/03/2018 is 2 March, as in France."""
    text = raw.strip()
    try:
        if m := _ISO_DATE.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), int(m[1]), []
        if m := _ISO_DATETIME.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), int(m[1]), ["date_time"]
        if m := _YMD_SLASH.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3])), int(m[1]), ["date_ymd_slash"]
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


_DATE_FLAG_TEXT = {
    "date_dmy": "DD/MM/YYYY date, expected YYYY-MM-DD",
    "date_time": "a date-time, its date kept",
    "date_ymd_slash": "YYYY/MM/DD date, expected YYYY-MM-DD",
    "date_year_only": "a year, not a date",
    "date_serial": "spreadsheet day number read as a date",
}

