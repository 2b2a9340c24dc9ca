"""Constant euros (issue 15): the one place a money column is turned into euros of the base year.

Every money query of the dashboard reads its table through `money_source`: itself in
current euros, or deflated by the consumer price index with `euros=constant`.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.snapshot import query

# Per year with an index: the latest index over the year's, as DECIMAL(18, 12) (the ratio to 10⁻¹²:
# under a thousandth of a cent on 100 M€; the base year's is exactly 1). A DECIMAL money column
# times it stays DECIMAL (38, scale + 12), exact, and the base year's amounts are unchanged to
# the last digit; a DOUBLE one stays DOUBLE. Rounded for display only (pages, files), never here.
_DEFLATORS = ("(select year, cast((select max_by(cpi, year) from consumer_prices) / cpi as decimal(18, 12)) "
              "as factor from consumer_prices)")
# table -> (money column -> which year's index deflates it, as an offset from the row's year;
# the condition that says the row is money). A KPI's previous value is last year's money.
_MONEY_COLUMNS = {
    "funding": ({"committed_eur": 0, "disbursed_eur": 0}, "true"),
    "funding_by_programme": ({"committed_eur": 0, "disbursed_eur": 0}, "true"),
    # a country's euros per inhabitant are money too: deflated as the money they divide
    "funding_by_country": ({"committed_eur": 0, "disbursed_eur": 0, "committed_eur_per_capita": 0,
                            "disbursed_eur_per_capita": 0}, "true"),
    "funding_by_sector": ({"committed_eur": 0, "disbursed_eur": 0}, "true"),
    "flows": ({"committed_eur": 0}, "true"),
    "funding_reconciliation": ({"committed_eur": 0, "disbursed_eur": 0}, "true"),
    # a grant's paid total is deflated with its grant year's index (the grid's one figure); its
    # payments one by one (grant_payments) each with its own year's
    "grants_public": ({"amount_eur": 0, "paid_eur": 0}, "true"),
    "grant_payments": ({"amount_eur": 0}, "true"),
    "kpis": ({"value": 0, "previous_value": -1, "target": 0}, "t.unit = 'EUR'"),
}


def money_source(table: str, filters=None) -> str:
    """`table` as a query reads it: itself in current euros; with `euros=constant`, the same
    columns with every money column × (latest index / its year's index). A year without an
    index (not yet published) keeps its nominal amount: `unindexed_years` names those years,
    and the pages say so. `table` is one of `_MONEY_COLUMNS`' fixed names, never a user value."""
    columns, is_money = _MONEY_COLUMNS[table]
    if filters is None or not getattr(filters, "constant_euros", False):
        return table
    offsets = sorted(set(columns.values()))
    joins = " ".join(f"left join {_DEFLATORS} as d{i} on d{i}.year = t.year + ({offset})"
                     for i, offset in enumerate(offsets))
    replaced = ", ".join(
        f"case when {is_money} then t.{column} * coalesce(d{offsets.index(offset)}.factor, 1) "
        f"else t.{column} end as {column}" for column, offset in columns.items())
    return f"(select t.* replace ({replaced}) from {table} as t {joins})"


def price_base(path: Path | None = None) -> int | None:
    """The constant euros' base: the latest year with a consumer price index in the snapshot
    (None when the snapshot has no index table, e.g. one built before it existed)."""
    has = query("select count(*) as n from information_schema.tables where table_name = 'consumer_prices'",
                path=path)
    if not has["n"][0]:
        return None
    return query("select max(year) as year from consumer_prices", path=path)["year"][0]


def unindexed_years(path: Path | None = None) -> list[int]:
    """Years with money but no consumer price index yet: their amounts stay in current euros."""
    return query(
        "select distinct year from (select year from funding union all select year from grants_public "
        "union all select year from kpis where unit = 'EUR') where year is not null "
        "and year not in (select year from consumer_prices) order by year", path=path)["year"].to_list()
