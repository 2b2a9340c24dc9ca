"""A page's filters as SQL: the where clauses over the snapshot's tables, and the name columns.

Every value is bound as a parameter; only fixed column names become SQL text.
"""

from __future__ import annotations


def funding_where(filters, alias: str = "f", place: str = "location_code") -> tuple[str, dict]:
    """A where clause over `funding`-shaped tables (year, programme, place, category/sector);
    `place` names the place column (`country_code` in marts.funding_by_country)."""
    clauses, params = ["true"], {}
    if filters.year_from is not None:
        clauses.append(f"{alias}.year between $year_from and $year_to")
        params.update(year_from=filters.year_from, year_to=filters.year_to)
    if filters.programme:
        clauses.append(f"{alias}.programme = $programme")
        params["programme"] = filters.programme
    if filters.country:
        clauses.append(f"{alias}.{place} = $country")
        params["country"] = filters.country
    if filters.sector:
        column = "category_code" if len(filters.sector) == 3 else "sector_code"
        clauses.append(f"{alias}.{column} = $sector")
        params["sector"] = filters.sector
    return " and ".join(clauses), params


def name_column(lang: str) -> str:
    # an identifier picked from two fixed names, never a user value
    return "name_en" if lang == "en" else "name_fr"


def local_where(filters) -> tuple[str, dict]:
    """A where clause over the local tables (year, departement_code): jobs and the festival."""
    clauses, params = ["true"], {}
    if filters.year_from is not None:
        clauses.append("year between $year_from and $year_to")
        params.update(year_from=filters.year_from, year_to=filters.year_to)
    if filters.departement:
        clauses.append("departement_code = $departement")
        params["departement"] = filters.departement
    return " and ".join(clauses), params
