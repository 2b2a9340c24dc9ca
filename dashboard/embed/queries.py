"""What the embeds read beyond the officials' per-view queries in `dashboard.data`.

The charts' frames come from `dashboard.data` (the same SQL the dashboard pages run, so
an embed and a page never disagree). This module only adds the allowlists an embed
request is checked against and a country's name for titles. Values are bound as
parameters; a table name comes from the catalogue's constants, never from a request.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.snapshot import query

# the marts a chart may take its years from
YEAR_TABLES = ("funding", "jobs_by_departement", "campaign_reach", "kpis")


def years_of(table: str, path: Path | None = None) -> tuple[int, ...]:
    if table not in YEAR_TABLES:
        raise ValueError(f"not a public year table: {table}")
    frame = query(f"select distinct year from {table} where year is not null order by year", path=path)
    return tuple(frame["year"].to_list())


def funded_countries(path: Path | None = None) -> frozenset[str]:
    """ISO-3 codes of the countries that received money in some year (regions excluded)."""
    frame = query(
        "select distinct country_code as location_code from funding_by_country "
        "where location_kind = 'country' and regexp_full_match(country_code, '[A-Z]{3}')",
        path=path,
    )
    return frozenset(frame["location_code"].to_list())


def country_name(code: str, lang: str, path: Path | None = None) -> str:
    frame = query("select name_fr, name_en from countries where alpha3 = $code", {"code": code}, path=path)
    if frame.is_empty():
        return code
    return frame["name_en" if lang == "en" else "name_fr"][0] or code


def indicators(path: Path | None = None) -> tuple[str, ...]:
    frame = query("select distinct indicator from kpis order by indicator", path=path)
    return tuple(frame["indicator"].to_list())
