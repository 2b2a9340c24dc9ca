"""The only place the app reads data: the serving snapshot, read-only.

Every query opens a short-lived read-only connection (DuckDB caches a database per
path inside a process until its last connection closes, so a swapped-in snapshot is
seen by the next request), binds its values as parameters, and returns a polars
frame. Results are cached per snapshot version: a new snapshot is seen at once,
repeats are cheap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import flask
import polars as pl

CONFIG_KEY = "SOLIDARITY_SERVING"


@dataclass(frozen=True)
class SnapshotInfo:
    version: str
    built_at: str
    code_version: str
    is_sample: bool


def serving_path() -> Path:
    try:
        return Path(flask.current_app.config[CONFIG_KEY])
    except RuntimeError:  # outside a request (tests, scripts)
        from pipelines.settings import serving_path as default

        return default()


def _stamp(path: Path) -> tuple[str, int, int]:
    # inode + mtime change on every atomic replace: the cache key of "this snapshot"
    st = os.stat(path)
    return (str(path), st.st_ino, st.st_mtime_ns)


def query(sql: str, params: dict | None = None, path: Path | None = None) -> pl.DataFrame:
    """Run one parameterised read-only query against the snapshot (cached per snapshot)."""
    path = path or serving_path()
    return _cached_query(_stamp(path), sql, tuple(sorted((params or {}).items())))


@lru_cache(maxsize=512)
def _cached_query(stamp: tuple[str, int, int], sql: str, params: tuple) -> pl.DataFrame:
    conn = duckdb.connect(stamp[0], read_only=True)
    try:
        return conn.sql(sql, params=dict(params) or None).pl()
    finally:
        conn.close()


def snapshot_info(path: Path | None = None) -> SnapshotInfo:
    frame = query(
        "select snapshot_version, cast(built_at as varchar) as built_at, code_version, is_sample "
        "from manifest limit 1",
        path=path,
    )
    row = frame.row(0, named=True)
    return SnapshotInfo(row["snapshot_version"], row["built_at"], row["code_version"], bool(row["is_sample"]))


def years(path: Path | None = None) -> list[int]:
    frame = query("select distinct year from kpis where year is not null order by year", path=path)
    return frame["year"].to_list()


def kpis(year: int, path: Path | None = None) -> pl.DataFrame:
    return query(
        "select indicator, value, previous_value, target, unit from kpis where year = $year order by indicator",
        {"year": year},
        path=path,
    )


# --- officials' pages (issue 6): one function per view, filters bound as parameters ---------

def filter_allowlists(path: Path | None = None):
    """The values a URL filter may take, from the snapshot itself."""
    from dashboard.filters import Allowed

    years = query("select distinct year from funding where year is not null order by year", path=path)
    codes = query(
        "select distinct 'p' as kind, programme as code from funding where programme is not null "
        "union all select distinct 'c', location_code from funding where location_code <> 'unallocated' "
        "union all select distinct 's', category_code from funding where category_code <> 'unallocated' "
        "union all select distinct 's', sector_code from funding where sector_code <> 'unallocated' "
        "union all select 'd', code from departements",
        path=path,
    )

    def of(kind: str) -> frozenset[str]:
        return frozenset(codes.filter(pl.col("kind") == kind)["code"].drop_nulls().to_list())

    return Allowed(tuple(years["year"].to_list()), of("p"), of("c"), of("s"), of("d"))


def _funding_where(filters, alias: str = "f") -> tuple[str, dict]:
    """A where clause over `funding`-shaped tables (year, programme, location_code, category/sector)."""
    clauses, params = ["true"], {}
    if filters.year_from is not None:
        clauses.append(f"{alias}.year between $year_from and $year_to")
        params.update(year_from=filters.year_from, year_to=filters.year_to)
    if filters.programme:
        clauses.append(f"{alias}.programme = $programme")
        params["programme"] = filters.programme
    if filters.country:
        clauses.append(f"{alias}.location_code = $country")
        params["country"] = filters.country
    if filters.sector:
        column = "category_code" if len(filters.sector) == 3 else "sector_code"
        clauses.append(f"{alias}.{column} = $sector")
        params["sector"] = filters.sector
    return " and ".join(clauses), params


def _name(lang: str) -> str:
    # an identifier picked from two fixed names, never a user value
    return "name_en" if lang == "en" else "name_fr"


def funding_by_year(filters, path: Path | None = None) -> pl.DataFrame:
    where, params = _funding_where(filters)
    return query(
        f"select f.year, sum(f.committed_eur) as committed_eur, sum(f.disbursed_eur) as disbursed_eur "
        f"from funding as f where {where} group by f.year order by f.year",
        params, path=path,
    )


def funding_by_place(filters, path: Path | None = None) -> pl.DataFrame:
    """Every destination: countries (ISO-3), IATI regions and 'unallocated', with names."""
    where, params = _funding_where(filters)
    return query(
        f"select f.location_code as country_code, f.location_kind, "
        f"coalesce(c.name_fr, f.location_code) as name_fr, coalesce(c.name_en, f.location_code) as name_en, "
        f"sum(f.committed_eur) as committed_eur, sum(f.disbursed_eur) as disbursed_eur "
        f"from funding as f left join countries as c on c.alpha3 = f.location_code "
        f"where {where} group by all order by committed_eur desc, country_code",
        params, path=path,
    )


def flows(filters, lang: str, path: Path | None = None) -> pl.DataFrame:
    where, params = _funding_where(filters)
    name = _name(lang)
    return query(
        f"select f.programme, f.beneficiary_type, f.category_code, "
        f"coalesce(k.{name}, f.category_code) as category_name, f.location_code, "
        f"coalesce(c.{name}, f.location_code) as location_name, sum(f.committed_eur) as committed_eur "
        f"from funding as f left join dac_categories as k on k.code3 = f.category_code "
        f"left join countries as c on c.alpha3 = f.location_code "
        f"where {where} group by all order by committed_eur desc",
        params, path=path,
    )


def sectors(filters, lang: str, path: Path | None = None) -> pl.DataFrame:
    where, params = _funding_where(filters)
    name = _name(lang)
    return query(
        f"select f.category_code, coalesce(k.{name}, f.category_code) as category_name, f.sector_code, "
        f"coalesce(s.{name}, f.sector_code) as sector_name, sum(f.committed_eur) as committed_eur, "
        f"sum(f.disbursed_eur) as disbursed_eur "
        f"from funding as f left join dac_categories as k on k.code3 = f.category_code "
        f"left join dac_sectors as s on s.code5 = f.sector_code "
        f"where {where} group by all order by f.category_code, f.sector_code",
        params, path=path,
    )


def outcomes(filters, path: Path | None = None) -> pl.DataFrame:
    where, params = _funding_where(filters, alias="o")
    return query(
        f"select o.year, o.location_code, o.category_code, o.sector_code, o.programme, o.reference_decision, "
        f"o.activity_title, o.indicator_title, o.baseline_value, o.target_value, o.actual_value, o.achievement "
        f"from outcomes as o where {where} order by o.year desc, o.location_code, o.activity_title",
        params, path=path,
    )


def grants(filters, path: Path | None = None) -> pl.DataFrame:
    """Public grants (natural persons already anonymised in the mart); sector has no grant-level key."""
    clauses, params = ["true"], {}
    if filters.year_from is not None:
        clauses.append("g.year between $year_from and $year_to")
        params.update(year_from=filters.year_from, year_to=filters.year_to)
    if filters.programme:
        clauses.append("g.programme = $programme")
        params["programme"] = filters.programme
    if filters.country:
        clauses.append("g.main_location_code = $country")
        params["country"] = filters.country
    return query(
        "select g.year, g.date_convention, g.reference_decision, g.programme, g.beneficiary_name, "
        "g.beneficiary_type, g.purpose, g.main_location_code, g.amount_eur "
        f"from grants_public as g where {' and '.join(clauses)} order by g.date_convention desc, g.reference_decision",
        params, path=path,
    )


def _local_where(filters) -> tuple[str, dict]:
    clauses, params = ["true"], {}
    if filters.year_from is not None:
        clauses.append("year between $year_from and $year_to")
        params.update(year_from=filters.year_from, year_to=filters.year_to)
    if filters.departement:
        clauses.append("departement_code = $departement")
        params["departement"] = filters.departement
    return " and ".join(clauses), params


def jobs_by_departement(filters, path: Path | None = None) -> pl.DataFrame:
    """Jobs in the latest year of the selection (jobs are a stock, never summed over years)."""
    where, params = _local_where(filters)
    return query(
        f"with chosen as (select * from jobs_by_departement where {where}), "
        f"latest as (select max(year) as year from chosen) "
        f"select c.year, c.departement_code, c.name, c.organisations, c.headcount, c.fte, c.volunteers "
        f"from chosen as c join latest using (year) order by c.departement_code",
        params, path=path,
    )


def campaign_reach(filters, path: Path | None = None) -> pl.DataFrame:
    where, params = _local_where(filters)
    return query(
        f"select year, departement_code, name, sum(events) as events, sum(participants) as participants, "
        f"sum(young_participants) as young_participants from campaign_reach where {where} "
        f"group by all order by year, departement_code",
        params, path=path,
    )


def data_quality(path: Path | None = None) -> pl.DataFrame:
    return query("select source, metric, value, latest_file_at from data_quality order by source, metric", path=path)


def rejected_counts(path: Path | None = None) -> pl.DataFrame:
    """Public: how many rows were rejected or flagged, by source and reason code (no values)."""
    return query(
        "select source, severity, split_part(reason, ':', 1) as reason, count(*) as rows "
        "from rejected_rows group by all order by source, rows desc, reason",
        path=path,
    )


def rejected_rows(path: Path | None = None) -> pl.DataFrame:
    """Analysts only (behind a login): row-level detail, identifying values already masked."""
    return query(
        "select source, source_file, source_row, field, value, reason, severity from rejected_rows "
        "order by source, source_file, source_row",
        path=path,
    )
