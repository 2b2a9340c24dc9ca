"""How the dashboard names a code: an organisation type, a country or region, a DAC category or
sector, and what is not known. One wording for every page, chart, table and embed.
"""

from __future__ import annotations

import polars as pl

from dashboard.i18n import sentence_case, t

UNKNOWN = ("unallocated", "non_renseigne")  # codes that say "not known" (a place, a category, a type)


def beneficiary_label(code: str | None, lang: str) -> str:
    """An organisation type's name; a type the catalogs lack stays its code, none is "not known"."""
    key = f"beneficiary_{code}"
    try:
        return t(key, lang)
    except KeyError:
        return code or t("beneficiary_non_renseigne", lang)


# What 'unallocated' means in each column: no known country, or no known DAC category (a grant
# or an activity without a sector has neither a category nor a sector). One wording per meaning.
UNKNOWN_KEYS = {"location_code": "unknown_place", "category_code": "unknown_category",
                "sector_code": "unknown_category"}
# A name the reference lists lack comes back as its code: said with what the code is
UNNAMED_KEYS = {"location_code": "unnamed_place", "category_code": "unnamed_category",
                "sector_code": "unnamed_sector"}


def _unnamed(column: str, code: str, lang: str) -> str:
    # a region code the IATI codelist shipped lacks (a newer one) is still said to be a region
    key = "iati_region" if column == "location_code" and code.isdigit() else UNNAMED_KEYS[column]
    return t(key, lang, code=code)


def _readable(code: str, name: str, lang: str) -> pl.Expr:
    """'unallocated' in the reader's language (what is not known), DAC names as sentences,
    a code no list names said with what it is ('Secteur CAD 12264'), never alone."""
    unnamed = pl.col(code).map_elements(lambda c: _unnamed(code, c, lang), return_dtype=pl.String)
    return (pl.when(pl.col(code) == "unallocated").then(pl.lit(t(UNKNOWN_KEYS[code], lang)))
            .when(pl.col(name).is_null() | (pl.col(name) == pl.col(code))).then(unnamed)
            # sentence case is a rule for DAC names only: places keep their proper nouns ("Amérique du Sud")
            .otherwise(pl.col(name).map_elements(sentence_case, return_dtype=pl.String) if code != "location_code"
                       else pl.col(name))
            .alias(name))


def readable_names(df: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Names as a reader wants them: 'unallocated' translated, capitals as sentences, a code when unnamed."""
    pairs = [(c, n) for c, n in (("category_code", "category_name"), ("sector_code", "sector_name"),
                                 ("location_code", "location_name")) if c in df.columns and n in df.columns]
    return df.with_columns(*(_readable(c, n, lang) for c, n in pairs)) if pairs else df
