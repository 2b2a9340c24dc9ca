"""French first, English second: words from gettext PO catalogs (`dashboard/locales/`),
numbers and dates in each locale's conventions (Babel's CLDR data)."""

from __future__ import annotations

import re

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

LANGS = ("fr", "en")
LOCALES = {"fr": "fr_FR", "en": "en_GB"}

LOCALE_DIR = Path(__file__).resolve().parent / "locales"


@lru_cache(maxsize=len(LANGS))
def catalog(lang: str) -> dict[str, str]:
    """The words of one language, from its gettext PO file (what translators edit)."""
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return {message.id: message.string for message in read_po(handle) if message.id}


def has_label(key: str) -> bool:
    return key in catalog("fr")


def lang_of(value: str | None) -> str:
    return value if value in LANGS else "fr"


def t(key: str, lang: str, **values: object) -> str:
    text = catalog(lang_of(lang))[key]
    return text.format(**values) if values else text


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale=LOCALES[lang_of(lang)])


def euros(value: float | None, lang: str) -> str:
    """`1 234 567 €` in French, `€1,234,567` in English."""
    if value is None:
        return "–"
    amount = number(round(value), lang)
    return f"{amount} €" if lang_of(lang) == "fr" else f"€{amount}"


def euros_short(value: float | None, lang: str) -> str:
    """`9,8 M€` / `€9.8M` for headline figures."""
    if value is None:
        return "–"
    if abs(value) >= 1_000_000:
        amount = format_decimal(value / 1_000_000, "#,##0.0", locale=LOCALES[lang_of(lang)])
        return f"{amount} M€" if lang_of(lang) == "fr" else f"€{amount}M"
    if abs(value) >= 1_000:
        amount = format_decimal(value / 1_000, "#,##0", locale=LOCALES[lang_of(lang)])
        return f"{amount} k€" if lang_of(lang) == "fr" else f"€{amount}k"
    return euros(value, lang)


def percent(share: float | None, lang: str, signed: bool = False) -> str:
    if share is None:
        return "–"
    pattern = "+#,##0%;-#,##0%" if signed else "#,##0%"
    text = format_percent(share, pattern, locale=LOCALES[lang_of(lang)])
    # French typography: a narrow no-break space before %, so "98 %" never wraps
    return text.replace("%", "\u202f%") if lang_of(lang) == "fr" else text


def day(value: date | datetime | str, lang: str) -> str:
    """`28 nov. 2026` / `28 Nov 2026`."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_date(value, "medium", locale=LOCALES[lang_of(lang)])


_WORD = re.compile(r"[^\W\d_]+")


def sentence_case(name: str | None) -> str | None:
    """A DAC name as a sentence. The OECD's lists write some names in capitals ('WATER AND
    SANITATION') and the current IATI copies many in title case ('Banques et Services
    Financiers'); every page, embed and download shows 'Water and sanitation', 'Banques et
    services financiers'. Only a capitalised word (one capital, then lower case) after the
    first is lowered: acronyms ('PME', 'NGOs', 'VIH/sida', 'COVID-19') stay as written. DAC
    purpose and category names hold no proper noun (tests/test_reference_sectors.py reads them all)."""
    if not name:
        return name
    if name.isupper():
        return name[0] + name[1:].lower()

    def lower(word: re.Match) -> str:
        text = word.group()
        title = len(text) > 1 and text[0].isupper() and text[1:].islower()
        return text.lower() if title and word.start() > 0 else text

    return _WORD.sub(lower, name)


def label(prefix: str, code: str | None, lang: str) -> str:
    """The catalog's name for a code (`source.grants` -> 'Subventions (SCDL)'); a code the
    catalog does not know yet is shown as it is rather than hidden."""
    if code is None or code == "":
        return ""
    key = f"{prefix}.{code}"
    return t(key, lang) if has_label(key) else code


def reason_id(reason: str | None) -> str:
    """The stable rule id of a stored reason: what the readers write before the ':'
    ('montant_format: read as 58000.00' -> 'montant_format'), else the whole constant text
    ('amount is not a number'). Reasons are stored in English in the warehouse; the pages
    translate them at display through `reason.<id>` in the catalogs, and nowhere else."""
    return (reason or "").split(":", 1)[0].strip()


def reason_label(reason: str | None, lang: str) -> str:
    return label("reason", reason_id(reason), lang)
