"""The officials' pages' queries (issue 6): KPIs, money by year, place, sector and flow, the
local pages (jobs, festival), the filters' allowed values and names, a place's and a project's rows.

One function per view, filters bound as parameters, read through `dashboard.snapshot.query`.
Their neighbours: `grants_data` (grants and payments), `outcomes_data` (results),
`reconcile_data` (totals as sums of parts), `quality_data` (data quality, analysts' lists),
`constant_euros` (money in euros of the base year), `selection` (filters as SQL).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dashboard.constant_euros import money_source, price_base
from dashboard.names import readable_names
from dashboard.selection import funding_where, local_where, name_column
from dashboard.snapshot import query


def years(path: Path | None = None) -> list[int]:
    frame = query("select distinct year from kpis where year is not null order by year", path=path)
    return frame["year"].to_list()


def kpis(year: int, path: Path | None = None, filters=None) -> pl.DataFrame:
    return query(
        f"select indicator, value, previous_value, target, unit from {money_source('kpis', filters)} as k "
        f"where year = $year order by indicator",
        {"year": year},
        path=path,
    )


def indicator_by_year(indicator: str = "committed_eur", filters=None, path: Path | None = None) -> pl.DataFrame:
    """One KPI across the years with its target (the overview's chart): year, value, target."""
    return query(
        f"select year, value, target from {money_source('kpis', filters)} as k "
        f"where indicator = $indicator and value is not null order by year",
        {"indicator": indicator},
        path=path,
    )


def filter_allowlists(path: Path | None = None):
    """The values a URL filter may take, from the snapshot itself: the pages' and the embeds' one
    allowlist (an embed's year is one of its chart's mart, `years_of`)."""
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

    return Allowed(tuple(years["year"].to_list()), of("p"), of("c"), of("s"), of("d"), price_base(path),
                   years_by_table=tuple((table, years_of(table, path)) for table in YEAR_TABLES),
                   indicators=tuple(query("select distinct indicator from kpis order by indicator",
                                          path=path)["indicator"].to_list()))


# the marts a chart may take its one year from (an embed's `years`)
YEAR_TABLES = ("funding", "jobs_by_departement", "campaign_reach", "kpis")


def years_of(table: str, path: Path | None = None) -> tuple[int, ...]:
    if table not in YEAR_TABLES:  # a fixed name, never a request's value
        raise ValueError(f"not a public year table: {table}")
    frame = query(f"select distinct year from {table} where year is not null order by year", path=path)
    return tuple(frame["year"].to_list())


def funding_by_year(filters, path: Path | None = None) -> pl.DataFrame:
    """Committed and disbursed per year, summed from a mart at the selection's grain: the one of
    money by year and programme (`funding_by_programme`) when the selection filters on years and a
    programme at most; a country or a sector needs the places' mart (`funding_by_country`, which
    holds every filter's column), so the year chart and the map of one country add up alike."""
    by_place = bool(filters.country or filters.sector)
    table = "funding_by_country" if by_place else "funding_by_programme"
    where, params = funding_where(filters, place="country_code")
    return query(
        f"select f.year, sum(f.committed_eur) as committed_eur, sum(f.disbursed_eur) as disbursed_eur "
        f"from {money_source(table, filters)} as f where {where} group by f.year order by f.year",
        params, path=path,
    )


def funding_by_place(filters, path: Path | None = None) -> pl.DataFrame:
    """Every destination: countries (ISO-3), IATI regions and 'unallocated', with names, and
    for countries their population and the amounts per inhabitant (null where unknown). The
    money is the selection's rows of `funding_by_country` summed, its amounts per inhabitant
    too: the mart's, each row's money over the country's one population with the one exact rule
    (`money_per_person`, docs/money-rules.md), so their sum is the selection's money over that
    population, never divided again here. Names come from the reference tables, as on every page."""
    from dashboard.i18n import t

    where, params = funding_where(filters, place="country_code")
    frame = query(
        f"select f.country_code, f.location_kind, "
        # a region is named from the IATI Region codelist (ref table iati_regions)
        f"coalesce(c.name_fr, r.name_fr, f.country_code) as name_fr, "
        f"coalesce(c.name_en, r.name_en, f.country_code) as name_en, f.population, "
        f"sum(f.committed_eur) as committed_eur, sum(f.disbursed_eur) as disbursed_eur, "
        f"sum(f.committed_eur_per_capita) as committed_eur_per_capita, "
        f"sum(f.disbursed_eur_per_capita) as disbursed_eur_per_capita "
        f"from {money_source('funding_by_country', filters)} as f left join countries as c on c.alpha3 = f.country_code "
        f"left join iati_regions as r on r.code = f.country_code and f.location_kind = 'region' "
        f"where {where} group by all order by committed_eur desc, f.country_code",
        params, path=path,
    )
    # the money no country is known for is named so, in both name columns' languages
    return frame.with_columns(pl.when(pl.col("location_kind") == "unallocated").then(pl.lit(t("unknown_place", lang)))
                              .otherwise(pl.col(f"name_{lang}")).alias(f"name_{lang}") for lang in ("fr", "en"))


def flows(filters, lang: str, path: Path | None = None) -> pl.DataFrame:
    """The Sankey's links: the selection's rows of `flows` summed per programme, organisation
    type, DAC category and place; names from the reference tables."""
    where, params = funding_where(filters)
    name = name_column(lang)
    return readable_names(query(
        f"select f.programme, f.beneficiary_type, f.category_code, "
        f"coalesce(k.{name}, f.category_code) as category_name, f.location_code, "
        f"coalesce(c.{name}, r.{name}, f.location_code) as location_name, sum(f.committed_eur) as committed_eur "
        f"from {money_source('flows', filters)} as f left join dac_categories as k on k.code3 = f.category_code "
        f"left join countries as c on c.alpha3 = f.location_code "
        f"left join iati_regions as r on r.code = f.location_code and f.location_kind = 'region' "
        # a full order (cents, then the keys): equal amounts come out the same way every build
        f"where {where} group by all order by round(sum(f.committed_eur), 2) desc, f.programme, f.beneficiary_type, "
        f"f.category_code, f.location_code",
        params, path=path,
    ), lang)


def sectors(filters, lang: str, path: Path | None = None) -> pl.DataFrame:
    """Money per DAC category and sector: the selection's rows of `funding_by_sector` summed;
    names from the reference tables."""
    where, params = funding_where(filters)
    name = name_column(lang)
    return readable_names(query(
        f"select f.category_code, coalesce(k.{name}, f.category_code) as category_name, f.sector_code, "
        f"coalesce(s.{name}, f.sector_code) as sector_name, sum(f.committed_eur) as committed_eur, "
        f"sum(f.disbursed_eur) as disbursed_eur "
        f"from {money_source('funding_by_sector', filters)} as f "
        f"left join dac_categories as k on k.code3 = f.category_code "
        f"left join dac_sectors as s on s.code5 = f.sector_code "
        f"where {where} group by all order by f.category_code, f.sector_code",
        params, path=path,
    ), lang)


def jobs_by_departement(filters, path: Path | None = None) -> pl.DataFrame:
    """Jobs in the latest year of the selection (jobs are a stock, never summed over years)."""
    where, params = local_where(filters)
    return query(
        f"with chosen as (select * from jobs_by_departement where {where}), "
        f"latest as (select max(year) as year from chosen) "
        f"select c.year, c.departement_code, c.name, c.organisations, c.headcount, c.fte, c.volunteers "
        f"from chosen as c join latest using (year) order by c.departement_code",
        params, path=path,
    )


def campaign_reach(filters, path: Path | None = None) -> pl.DataFrame:
    where, params = local_where(filters)
    return query(
        f"select year, departement_code, name, sum(events) as events, sum(participants) as participants, "
        f"sum(young_participants) as young_participants from campaign_reach where {where} "
        f"group by all order by year, departement_code",
        params, path=path,
    )


def campaign_events_of_type(filters, event_type: str, path: Path | None = None) -> dict:
    """Festival events of one type (e.g. 'marche_equitable') and their participants."""
    where, params = local_where(filters)
    frame = query(f"select coalesce(sum(events), 0) as events, coalesce(sum(participants), 0) as participants "
                  f"from campaign_reach where {where} and event_type = $event_type",
                  {**params, "event_type": event_type}, path=path)
    return {k: int(v) for k, v in frame.row(0, named=True).items()}


# --- names, never codes (issue 15): what a filter's code is called on screen ----------------

def place_name(code: str, lang: str, path: Path | None = None) -> str | None:
    """A country's (ISO-3) or an IATI region's name in the language; None when neither list has it."""
    name = name_column(lang)
    frame = query(f"select coalesce((select {name} from countries where alpha3 = $code), "
                  f"(select {name} from iati_regions where code = $code)) as name", {"code": code}, path=path)
    return frame["name"][0]


def sector_name(code: str, lang: str, path: Path | None = None) -> str | None:
    """A DAC category's (3 digits) or sector's (5 digits) name in the language, as a sentence."""
    from dashboard.i18n import sentence_case

    name = name_column(lang)
    table, key = ("dac_categories", "code3") if len(code) == 3 else ("dac_sectors", "code5")
    frame = query(f"select {name} as name from {table} where {key} = $code", {"code": code}, path=path)
    return sentence_case(frame["name"][0]) if frame.height else None


def departement_name(code: str, path: Path | None = None) -> str | None:
    frame = query("select name from departements where code = $code", {"code": code}, path=path)
    return frame["name"][0] if frame.height else None


def filter_labels(filters, path: Path | None = None) -> dict[str, str]:
    """The active filters' names for the filter chips: 'Burkina Faso', not 'BFA'; 'Éducation
    de base', not '112'; 'Isère (38)', as départements are written in France. A code no list
    names stays as it is."""
    lang, labels = filters.lang, {}
    if filters.country:
        labels["country"] = place_name(filters.country, lang, path) or filters.country
    if filters.sector:  # a code newer than the shipped DAC list is said with what it is
        from dashboard.i18n import t

        unnamed = "unnamed_category" if len(filters.sector) == 3 else "unnamed_sector"
        labels["sector"] = sector_name(filters.sector, lang, path) or t(unnamed, lang, code=filters.sector)
    if filters.departement:
        name = departement_name(filters.departement, path)
        labels["departement"] = f"{name} ({filters.departement})" if name else filters.departement
    return labels


# --- country profiles and project pages (issue 16) -------------------------------------------

def place(code: str, path: Path | None = None) -> dict | None:
    """A country's (ISO-3) or an IATI region's reference row: `kind` ('country' or 'region'),
    names, and for a country its LDC status, DAC region and population (GeoNames' single
    figure, docs/reference-data.md); None when neither list has the code."""
    frame = query(
        "select 'country' as kind, name_fr, name_en, ldc, dac_region_fr, dac_region_en, population "
        "from countries where alpha3 = $code union all "
        "select 'region', name_fr, name_en, cast(null as boolean), cast(null as varchar), cast(null as varchar), "
        "cast(null as bigint) from iati_regions where code = $code",
        {"code": code}, path=path)
    return frame.row(0, named=True) if frame.height else None


def project_activity(key: str, path: Path | None = None) -> dict | None:
    """A grant's linked IATI activity (marts.project_activities): identifier, title, how it was
    linked, its places, sectors (lists of {code, share}) and transactions; None when no activity
    is linked (or the snapshot predates the table)."""
    has = query("select count(*) as n from information_schema.tables where table_name = 'project_activities'",
                path=path)
    if not has["n"][0]:
        return None
    frame = query("select * from project_activities where grant_key = $key", {"key": key}, path=path)
    return frame.row(0, named=True) if frame.height else None
