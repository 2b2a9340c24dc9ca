"""Helpers of the context-layer tests: an independent reading of a dump (ElementTree + Decimal)
and the same figures read back from the Parquet the context layer wrote (DuckDB)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb

# transactions are partitioned by publisher and year, the activity tables by publisher
TRANSACTIONS_HIVE = "hive_partitioning=true, hive_types={'publisher': 'VARCHAR', 'year': 'INTEGER'}"
ACTIVITY_HIVE = "hive_partitioning=true, hive_types={'publisher': 'VARCHAR'}"


def scan(out: Path, table: str) -> str:
    hive = TRANSACTIONS_HIVE if table == "transactions" else ACTIVITY_HIVE
    return f"read_parquet('{out / table}/**/*.parquet', {hive})"


def xml_figures(dump: Path) -> dict:
    """Per publisher: activities, recipient-country and sector elements, and transaction values
    summed per currency (the value's own currency, else the activity's default), from the XML."""
    activities, countries, sectors, values = Counter(), Counter(), Counter(), Counter()
    for path in sorted(dump.glob("data/*/*")):
        root = ET.parse(path).getroot()
        if root.tag != "iati-activities":
            continue
        publisher = path.parent.name
        for act in root.iter("iati-activity"):
            activities[publisher] += 1
            countries[publisher] += len(act.findall("recipient-country"))
            sectors[publisher] += len(act.findall("sector"))
            for value in act.iterfind("transaction/value"):
                currency = value.get("currency") or act.get("default-currency")
                values[(publisher, currency)] += Decimal(value.text.strip())
    return {"activities": dict(activities), "countries": dict(countries), "sectors": dict(sectors),
            "values": {k: v for k, v in values.items()}}


def parquet_figures(out: Path) -> dict:
    def table(name: str) -> str:
        return scan(out, name)

    con = duckdb.connect()
    count = lambda sql: dict(con.sql(sql).fetchall())  # noqa: E731
    return {
        "activities": count(f"select publisher, count(*) from {table('activities')} group by 1"),
        "countries": count(f"select publisher, count(*) from {table('activity_locations')} "
                           "where kind = 'country' group by 1"),
        "sectors": count(f"select publisher, count(*) from {table('activity_sectors')} group by 1"),
        "values": {(p, c): v for p, c, v in con.sql(
            f"select publisher, currency, sum(value) from {table('transactions')} group by 1, 2").fetchall()},
    }


def value_types(out: Path) -> set[str]:
    con = duckdb.connect()
    return {r[0] for r in con.sql(
        f"select distinct typeof(value) from {scan(out, 'transactions')}").fetchall()}
