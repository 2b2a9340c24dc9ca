"""Reference tables shipped in `data/reference/`, and the small rules built on them.

Everything here reads files that ship with the project (see data/reference/SOURCES.md);
nothing is fetched at run time. Each loader takes an optional `ref_dir` so tests and
callers can point at another copy. The files are written elsewhere: the IATI codelists'
CSVs by `pipelines.reference_codelists`, the euro reference rates by
`pipelines.reference_rates.refresh_rates` (which also holds the conversion policy,
`rate_on` / `with_eur_rate`); docs/reference-data.md gives the refresh procedures.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import polars as pl

from pipelines.settings import REFERENCE_DIR

_BOOL = {"true": True, "false": False}


def reference_dir(ref_dir: str | Path | None) -> Path:
    """`ref_dir`, or the shipped `data/reference/`."""
    return Path(ref_dir) if ref_dir is not None else REFERENCE_DIR


def read_strings(path: Path) -> pl.DataFrame:
    """Read a shipped CSV with every column as text, so codes keep their leading zeros."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: reference file missing (see docs/reference-data.md)")
    return pl.read_csv(path, infer_schema=False)


def _as_bool(*cols: str) -> list[pl.Expr]:
    return [pl.col(c).replace_strict(_BOOL, return_dtype=pl.Boolean) for c in cols]


# ----------------------------------------------------------------------- countries


def load_countries(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """ISO 3166-1 countries with French/English names and OECD DAC flags.

    Columns: alpha2, alpha3, numeric, name_fr, name_en, status ('official',
    'user-assigned' for XK, 'withdrawn' for AN), dac_code (OECD DAC recipient code or
    null), dac_recipient, ldc, france_priority (Boolean), dac_region_fr, dac_region_en,
    population (Int64, GeoNames; null where unknown).
    """
    return read_strings(reference_dir(ref_dir) / "countries.csv").with_columns(
        *_as_bool("dac_recipient", "ldc", "france_priority"),
        pl.col("population").cast(pl.Int64),
    )


# ------------------------------------------------------------------------- sectors


DAC_SECTORS_FILE = "dac_sectors.csv"
DAC_CATEGORIES_FILE = "dac_categories.csv"
def load_sectors(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """DAC 5-digit purpose codes: code5, category3, name_fr, name_en, status.

    status is 'withdrawn' for codes the OECD retired: they stay so that old data keeps a
    name. Where the IATI codelist has no French name (a few withdrawn codes) name_fr is
    its English one (`write_dac_sectors`)."""
    return read_strings(reference_dir(ref_dir) / DAC_SECTORS_FILE)


def load_sector_categories(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """DAC 3-digit sector categories: code3, name_fr, name_en, status (as `load_sectors`)."""
    return read_strings(reference_dir(ref_dir) / DAC_CATEGORIES_FILE)


def category_of_sector(code: str | None) -> str | None:
    """The DAC 3-digit category of a 5-digit purpose code: its first three digits, as
    the OECD allocates purpose codes inside their category (11110..11182 are in 111)."""
    code = (code or "").strip()
    return code[:3] if len(code) == 5 and code.isdigit() else None


# ------------------------------------------------------------------ IATI regions

IATI_REGIONS_FILE = "iati_regions.csv"
def load_iati_regions(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """IATI Region codelist (OECD DAC regional recipient codes: 289 'South of Sahara,
    regional'...): code, name_fr, name_en, status ('active' or 'withdrawn'). Names are
    the codelist's own, French included; the dashboard names a region with them."""
    return read_strings(reference_dir(ref_dir) / IATI_REGIONS_FILE)


# ---------------------------------------------------------------- France: communes


def load_regions(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """French régions (INSEE COG): code, name."""
    return read_strings(reference_dir(ref_dir) / "regions.csv")


def load_departements(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """French départements incl. 2A/2B and overseas (INSEE COG): code, name, region_code."""
    return read_strings(reference_dir(ref_dir) / "departements.csv")


def load_communes(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """French communes and the Paris/Lyon/Marseille arrondissements (INSEE COG), one row
    per (commune, postcode): a commune with several postcodes repeats, and a postcode
    serving several communes appears under each.

    Columns: commune_code, name, departement_code, region_code, kind ('commune' |
    'arrondissement'), parent_commune (for arrondissements), postcode (La Poste; null for
    the few communes without one), former_codes (';'-joined INSEE codes merged into it).
    """
    return read_strings(reference_dir(ref_dir) / "communes.csv")


def departement_of_commune(code: str | None) -> str | None:
    """The département of an INSEE commune code, by the COG's own rule: Corsica's codes
    start with 2A/2B, overseas ones (97x, 98x) carry a 3-character département, every
    other département is the first two digits. None for anything not shaped like a code."""
    code = (code or "").strip().upper()
    if len(code) != 5 or not code[2:].isdigit():
        return None
    if code[:2] in ("2A", "2B"):
        return code[:2]
    if not code[:2].isdigit():
        return None
    if code[:2] == "20":
        return None  # pre-1976 Corsican code: ambiguous between 2A and 2B
    if code[:2] in ("97", "98"):
        return code[:3]
    return code[:2]


def postcode_index(communes: pl.DataFrame) -> dict[str, frozenset[str]]:
    """postcode → départements of the communes it serves (a postcode may span several)."""
    index: dict[str, set[str]] = {}
    for pc, dep in communes.select("postcode", "departement_code").iter_rows():
        if pc:
            index.setdefault(pc, set()).add(dep)
    return {pc: frozenset(deps) for pc, deps in index.items()}


@lru_cache(maxsize=1)
def _shipped_postcode_index() -> dict[str, frozenset[str]]:
    return postcode_index(load_communes())


def departement_of_postcode(
    postcode: str | None, index: Mapping[str, frozenset[str]] | None = None
) -> str | None:
    """The département a French postcode belongs to.

    The communes table decides when the postcode serves communes of one département
    only (this is how Corsica's 20xxx split into 2A/2B, and 97133 goes to 977). Otherwise
    (CEDEX or unknown codes, postcodes spanning départements) the La Poste prefix rule
    applies: overseas 97x/98x → 3 characters, Corsica 200xx–201xx → 2A and 202xx → 2B,
    else the first two digits. `index` defaults to the shipped communes table.
    """
    postcode = (postcode or "").strip()
    if len(postcode) != 5 or not postcode.isdigit():
        return None
    deps = (index if index is not None else _shipped_postcode_index()).get(postcode)
    if deps and len(deps) == 1:
        return next(iter(deps))
    if postcode.startswith(("97", "98")):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if postcode[2] in "01" else "2B"
    return postcode[:2]


# ---------------------------------------------------------------- consumer prices


CONSUMER_PRICES_FILE = "consumer_prices.csv"


def load_consumer_prices(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """INSEE's annual consumer price index, all households, France, base 2015 = 100
    (BDM series 001764363): year (Int32), cpi (Decimal(7, 2), as published).

    The dashboard's constant euros divide by it (docs/money-rules.md); a year missing
    here has no index yet and its amounts stay in current euros. Decimal, not float:
    the index is published to the hundredth and kept exactly as published."""
    return read_strings(reference_dir(ref_dir) / CONSUMER_PRICES_FILE).select(
        pl.col("year").cast(pl.Int32), pl.col("cpi").cast(pl.Decimal(7, 2)))


# --------------------------------------------------------------------------- rates

RATES_FILE = "ecb_rates.csv.gz"  # written by pipelines.reference_rates.refresh_rates


def load_rates(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """ECB euro reference rates: date (Date), currency, eur_rate (units of currency per 1 EUR)."""
    path = reference_dir(ref_dir) / RATES_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: reference file missing (run pipelines.reference_rates.refresh_rates)")
    with gzip.open(path, "rb") as fh:
        return pl.read_csv(
            fh.read(),
            schema={"date": pl.Date, "currency": pl.String, "eur_rate": pl.Float64},
        )


def load_pegged_currencies(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """Currencies with a legal fixed parity to the euro, which the ECB does not publish:
    currency, eur_rate (units per 1 EUR), valid_from (Date), name, legal_source."""
    return read_strings(reference_dir(ref_dir) / "pegged_currencies.csv").with_columns(
        pl.col("eur_rate").cast(pl.Float64), pl.col("valid_from").str.to_date("%Y-%m-%d")
    )
