"""The checks of the IATI 2.03 export (tests/test_export_iati_*.py), each computed another way than the
export: lxml against the official XSD where it lies in the shared reference folder (not the copy the
project ships); the file re-read with the project's own IATI reader, its transactions summed here with
Decimal by year and type, split by the re-read places and sectors (docs/money-rules.md applied by hand),
and compared with the serving snapshot's marts to the cent.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
from lxml import etree

from pipelines.sources.iati import read_activities


SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
XSD = SHARED_REFERENCE / "iati" / "schema_v2.03" / "iati-activities-schema.xsd"
CENT = Decimal("0.005")
REGION_SIRET = "20005376700014"
REGION_REF = f"FR-SIRET-{REGION_SIRET}"


# ------------------------------------------------------------------------------ helpers

def xsd_errors(path: Path) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    schema.validate(doc)
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def snapshot(serving: Path, sql: str) -> dict[tuple, list[Decimal]]:
    """{key columns: [committed, disbursed]} of a query whose last two columns are money."""
    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql(sql).fetchall()
    out: dict[tuple, list[Decimal]] = {}
    for *key, committed, disbursed in rows:
        out[tuple(key)] = [Decimal(committed or 0), Decimal(disbursed or 0)]
    return out


def assert_same_money(expected: dict, actual: dict) -> None:
    def nonzero(d):
        return {k for k, (c, s) in d.items() if abs(c) >= CENT or abs(s) >= CENT}

    zero = [Decimal(0), Decimal(0)]
    keys = nonzero(expected) | nonzero(actual)
    diff = {k: (expected.get(k, zero), actual.get(k, zero)) for k in sorted(keys, key=str)
            if any(abs(a - b) >= CENT for a, b in zip(expected.get(k, zero), actual.get(k, zero)))}
    assert diff == {}
    assert keys, "no money compared"


def _shares(items: list[tuple[tuple, float | None]]) -> dict[tuple, float]:
    """Percentages scaled to sum 1; equal split when any is missing or they sum to 0."""
    out: dict[tuple, float] = defaultdict(float)
    pcts = [p for _, p in items]
    total = sum(p for p in pcts if p is not None)
    for key, pct in items:
        out[key] += pct / total if None not in pcts and total > 0 else 1 / len(items)
    return out


class Reread:
    """The exported file read back with `pipelines.sources.iati.read_activities`, its money
    summed and split here by docs/money-rules.md (countries ISO alpha-3 through the
    snapshot's `countries`, DAC categories through its `dac_categories`)."""

    def __init__(self, path: Path, serving: Path):
        self.result = read_activities(path)
        with duckdb.connect(str(serving), read_only=True) as conn:
            self.alpha3 = dict(conn.sql("select alpha2, alpha3 from countries").fetchall())
            self.categories = {c for (c,) in conn.sql("select code3 from dac_categories").fetchall()}
        t = self.result.tables
        self.activities = t["activities"].to_dicts()
        self.places: dict[str, list] = defaultdict(list)
        for row in t["activity_locations"].iter_rows(named=True):
            code = (self.alpha3.get(row["code"], "unallocated") if row["kind"] == "country" else row["code"])
            self.places[row["iati_identifier"]].append(((code,), row["percentage"]))
        self.sectors: dict[str, list] = defaultdict(list)
        for row in t["activity_sectors"].iter_rows(named=True):
            self.sectors[row["iati_identifier"]].append(row)
        self.transactions = t["transactions"].to_dicts()

    def sector_of(self, vocabulary: str | None, code: str | None) -> tuple[str, str]:
        vocabulary = vocabulary or "1"
        category = (code or "")[:3] if vocabulary == "1" else (code or "")
        if category not in self.categories:
            return ("unallocated", "unallocated")
        return (code if vocabulary == "1" else "unallocated", category)

    def activity_sectors(self, identifier: str) -> dict[tuple, float]:
        rows = [r for r in self.sectors.get(identifier, []) if (r["vocabulary"] or "1") in ("1", "2")]
        if not rows:
            return {("unallocated", "unallocated"): 1.0}
        chosen = min(r["vocabulary"] or "1" for r in rows)
        return _shares([(self.sector_of(chosen, r["code"]), r["percentage"])
                        for r in rows if (r["vocabulary"] or "1") == chosen])

    def money(self, key) -> dict[tuple, list[Decimal]]:
        """{(year, *key(place, sector)): [committed, disbursed]} split by places and sectors."""
        out: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for tx in self.transactions:
            assert tx["currency"] == "EUR", tx
            assert tx["transaction_type"] in ("2", "3", "4"), tx
            column = 0 if tx["transaction_type"] == "2" else 1
            value = Decimal(tx["value"])
            identifier = tx["iati_identifier"]
            if tx["recipient_country"]:
                places = {(self.alpha3.get(tx["recipient_country"], "unallocated"),): 1.0}
            elif tx["recipient_region"]:
                places = {(tx["recipient_region"],): 1.0}
            elif self.places.get(identifier):
                places = _shares(self.places[identifier])
            else:
                places = {("unallocated",): 1.0}
            if tx["sector_code"] and (tx["sector_vocabulary"] or "1") in ("1", "2"):
                sectors = {self.sector_of(tx["sector_vocabulary"], tx["sector_code"]): 1.0}
            else:
                sectors = self.activity_sectors(identifier)
            for place, p_share in places.items():
                for sector, s_share in sectors.items():
                    out[(tx["transaction_date"].year, *key(place, sector))][column] += (
                        value * Decimal(p_share) * Decimal(s_share))
        return dict(out)

    def by_year(self) -> dict[tuple, list[Decimal]]:
        """Per year and type, no split: exact Decimal sums of the values as written."""
        out: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for tx in self.transactions:
            out[(tx["transaction_date"].year,)][0 if tx["transaction_type"] == "2" else 1] += Decimal(tx["value"])
        return dict(out)


def check_same_money_as_the_snapshot(path: Path, serving: Path) -> Reread:
    reread = Reread(path, serving)
    assert reread.result.rows_rejected == 0
    assert [p for p in reread.result.problems if p.severity == "error"] == []
    assert_same_money(
        snapshot(serving, "select year, sum(committed_eur), sum(disbursed_eur) from funding group by year"),
        reread.by_year(),
    )
    assert_same_money(
        snapshot(serving, "select year, country_code, sum(committed_eur), sum(disbursed_eur) "
                          "from funding_by_country group by all"),
        reread.money(lambda place, sector: place),
    )
    assert_same_money(
        snapshot(serving, "select year, sector_code, category_code, sum(committed_eur), sum(disbursed_eur) "
                          "from funding_by_sector group by all"),
        reread.money(lambda place, sector: sector),
    )
    return reread
