"""Text written out for people to open is inert: no live formula in a spreadsheet.

Names, purposes and titles come from files the region does not write. A cell that
starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel, LibreOffice and Google Sheets when a CSV is opened (`=HYPERLINK(...)`,
`=WEBSERVICE(...)`, `cmd|' /C calc'!A0`). The OWASP rule ("CSV injection") is
applied to every text cell of every CSV we write — downloads, embed exports,
analysts' files, the open-data SCDL export: such a cell is prefixed with a single
quote, which spreadsheets show as text and do not evaluate. Numbers are numbers and
are left alone (a negative amount stays -12.50).

Excel files are written with strings as string cells (`strings_to_formulas` off),
so a text is never a formula there and keeps its exact value.
"""

from __future__ import annotations

import polars as pl

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# xlsxwriter: write every str as a string cell; never a formula, a URL or a number guessed from text
_FORMULA_PATTERN = r"^[=+\-@\t\r]"  # FORMULA_START as a regex
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def inert_cell(text: str | None) -> str | None:
    """One cell as a spreadsheet must receive it."""
    if text and text.startswith(FORMULA_START):
        return "'" + text
    return text


def _is_text(dtype: pl.DataType) -> bool:
    return dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)


def inert_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column with formula-like cells quoted; other columns untouched."""
    return frame.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.contains(_FORMULA_PATTERN))
        .then(pl.lit("'") + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name, dtype in frame.schema.items()
        if _is_text(dtype)
    )
