"""Who else funds there (issue 19): the IATI registry's money beside the region's, read from the
context marts the snapshot carries when the `context_marts` job built them (docs/context.md).

- `region_share`: the region's money against every other registry publisher's, per place, over the
  selected years; share = region ÷ (region + registry), the marts' rule, in current euros.
- `top_funders`: the registry's publishers in a place, largest commitment first.
- `by_category`: the registry's money per DAC category in a place, beside the region's, for the
  categories the region funds there.

Every function answers an empty frame (the same columns) when the snapshot has no context, so pages,
downloads and their tests never meet a missing table. The registry is in current euros only (its
marts have no constant-euro twin): the pages say so when `euros=constant` is asked.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl

from dashboard import reconcile_data
from dashboard.i18n import t
from dashboard.names import readable_names
from dashboard.selection import funding_where
from dashboard.snapshot import query
from pipelines.settings import CONTEXT_MARTS, CONTEXT_SOURCE

CONTEXT_TABLES = (*CONTEXT_MARTS, CONTEXT_SOURCE)
MONEY = {"committed_eur": pl.Decimal(38, 10), "disbursed_eur": pl.Decimal(38, 10)}
SHARE_SCHEMA = {"country_code": pl.String, "name_fr": pl.String, "name_en": pl.String,
                "region_committed_eur": pl.Decimal(38, 10), "registry_committed_eur": pl.Decimal(38, 10),
                "region_disbursed_eur": pl.Decimal(38, 10), "registry_disbursed_eur": pl.Decimal(38, 10),
                "region_committed_share": pl.Float64}
FUNDERS_SCHEMA = {"funder_rank": pl.Int64, "publisher": pl.String, "reporting_org_type": pl.String,
                  "org_type_name": pl.String, **MONEY, "categories": pl.Int64}
CATEGORY_SCHEMA = {"category_code": pl.String, "category_name": pl.String, "region_committed_eur": pl.Decimal(38, 10),
                   "registry_committed_eur": pl.Decimal(38, 10), "registry_disbursed_eur": pl.Decimal(38, 10),
                   "registry_publishers": pl.Int64, "region_committed_share": pl.Float64}


def has_context(path: Path | None = None) -> bool:
    """The snapshot holds the context marts and their source (published together or not at all)."""
    frame = query("select count(*) as n from information_schema.tables "
                  "where list_contains(string_split($names, ','), table_name)",
                  {"names": ",".join(CONTEXT_TABLES)}, path=path)
    return frame["n"][0] == len(CONTEXT_TABLES)


def source(path: Path | None = None) -> dict | None:
    """Where the context comes from: dump folder, files and publishers read, when, sample or not."""
    if not has_context(path):
        return None
    frame = query("select dump_dir, files, publishers, activities, read_at, is_sample "
                  "from context_source limit 1", path=path)
    return frame.row(0, named=True) if frame.height else None


def is_sample(path: Path | None = None) -> bool:
    """The context was read from a generated dump (`solidarity sample --registry`)."""
    read_from = source(path)
    return bool(read_from and read_from["is_sample"])


def registry_category(filters) -> str | None:
    """The DAC category the registry's money is filtered on: the registry's marts hold categories,
    so a 5-digit sector filter reads its category (the page says so)."""
    return filters.sector[:3] if filters.sector else None


def _context_where(filters, alias: str, category: bool = True) -> tuple[str, dict]:
    """A where clause over the context marts: years, place, DAC category (all bound as parameters):
    `funding_where`'s, with no programme (the registry has none) and the sector read at its category."""
    sector = registry_category(filters) if category else None
    return funding_where(replace(filters, programme=None, sector=sector), alias, place="country_code")


def region_share(filters, countries_only: bool = False, path: Path | None = None) -> pl.DataFrame:
    """Per place, over the selected years: the region's and the registry's money and the region's
    share of committed money (`countries_only`: the countries the region funds, for the world page). Read from `context_share_by_country` (the mart of that figure) when no
    programme or sector narrows the region's side; else both sides from their marts at that grain
    (`funding_by_country` for the region, `context_funding` for the registry), the same rule."""
    if not has_context(path):
        return pl.DataFrame(schema=SHARE_SCHEMA)
    kind = "and {a}.location_kind = 'country'" if countries_only else ""
    if not (filters.programme or filters.sector):
        where, params = _context_where(filters, "s")
        body = (f"select s.country_code, sum(s.region_committed_eur) as region_committed_eur, "
                f"sum(s.registry_committed_eur) as registry_committed_eur, "
                f"sum(s.region_disbursed_eur) as region_disbursed_eur, "
                f"sum(s.registry_disbursed_eur) as registry_disbursed_eur "
                f"from context_share_by_country as s where {where} {kind.format(a='s')} group by s.country_code")
    else:
        region = filters.with_(sector=registry_category(filters))  # both sides at the category's grain
        where_f, params = funding_where(region, place="country_code")
        where_g, params_g = _context_where(filters, "g")
        params |= params_g
        body = (f"with region as (select f.country_code, sum(f.committed_eur) as committed_eur, "
                f"sum(f.disbursed_eur) as disbursed_eur from funding_by_country as f "
                f"where {where_f} {kind.format(a='f')} group by f.country_code), "
                f"registry as (select g.country_code, sum(g.committed_eur) as committed_eur, "
                f"sum(g.disbursed_eur) as disbursed_eur from context_funding as g "
                f"where {where_g} {kind.format(a='g')} group by g.country_code) "
                f"select coalesce(r.country_code, g.country_code) as country_code, "
                f"coalesce(r.committed_eur, 0) as region_committed_eur, "
                f"coalesce(g.committed_eur, 0) as registry_committed_eur, "
                f"coalesce(r.disbursed_eur, 0) as region_disbursed_eur, "
                f"coalesce(g.disbursed_eur, 0) as registry_disbursed_eur "
                f"from region as r full join registry as g on g.country_code = r.country_code")
    frame = query(
        f"with shares as ({body}) "
        f"select x.country_code, coalesce(c.name_fr, i.name_fr, x.country_code) as name_fr, "
        f"coalesce(c.name_en, i.name_en, x.country_code) as name_en, "
        f"x.region_committed_eur, x.registry_committed_eur, x.region_disbursed_eur, x.registry_disbursed_eur "
        f"from shares as x left join countries as c on c.alpha3 = x.country_code "
        f"left join iati_regions as i on i.code = x.country_code "
        # the world's table: the countries the region funds (elsewhere it has no share to show)
        + ("where x.region_committed_eur <> 0 or x.region_disbursed_eur <> 0 " if countries_only else "")
        + "order by x.country_code",
        params, path=path)
    return with_share(frame, "region_committed_eur", "registry_committed_eur").select(list(SHARE_SCHEMA))


def with_share(frame: pl.DataFrame, region: str, registry: str) -> pl.DataFrame:
    """`region_committed_share` = region ÷ (region + registry), null where both are 0; computed from
    the exact sums (a ratio, not money: a float is enough to show it to a tenth of a percent)."""
    total = pl.col(region) + pl.col(registry)
    return frame.with_columns(
        pl.when(total != 0).then(pl.col(region).cast(pl.Float64) / total.cast(pl.Float64))
        .otherwise(None).alias("region_committed_share"))


def top_funders(filters, path: Path | None = None) -> pl.DataFrame:
    """The registry's publishers where the filters say (place, years, category), each with its
    organisation type, committed and disbursed euros, and how many DAC categories it funds there;
    largest commitment first (ranked anew over the selection: the mart ranks per year and category)."""
    if not has_context(path):
        return pl.DataFrame(schema=FUNDERS_SCHEMA)
    where, params = _context_where(filters, "f")
    frame = query(
        f"select f.publisher, min(f.reporting_org_type) as reporting_org_type, "
        f"sum(f.committed_eur) as committed_eur, sum(f.disbursed_eur) as disbursed_eur, "
        f"count(distinct f.category_code) as categories "
        f"from context_top_funders as f where {where} group by f.publisher "
        f"order by round(sum(f.committed_eur), 2) desc, round(sum(f.disbursed_eur), 2) desc, f.publisher",
        params, path=path)
    return frame.with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("funder_rank"),
        pl.col("reporting_org_type").map_elements(lambda code: org_type_name(code, filters.lang),
                                                  return_dtype=pl.String).alias("org_type_name"),
        pl.col("categories").cast(pl.Int64),
    ).select(list(FUNDERS_SCHEMA))


def org_type_name(code: str | None, lang: str) -> str:
    """An IATI OrganisationType's name (codelist OrganisationType); an unknown code stays itself."""
    if code is None:
        return t("others.org_type_unknown", lang)
    try:
        return t(f"others.org_type_{code}", lang)
    except KeyError:
        return code


def by_category(filters, path: Path | None = None) -> pl.DataFrame:
    """Per DAC category the region funds in the place (its money as the page's own category table
    reads it, in current euros): the registry's committed and disbursed euros there and its number
    of publishers, and the region's share of the committed money."""
    if not has_context(path):
        return pl.DataFrame(schema=CATEGORY_SCHEMA)
    lang = filters.lang
    # the region's side at the registry's grain: a 5-digit sector filter reads its whole category
    region_filters = filters.with_(euros="current", sector=registry_category(filters))
    region = reconcile_data.money_by(region_filters, "category_code", lang, path=path).select(
        "category_code", "category_name", pl.col("committed_eur").alias("region_committed_eur"))
    where, params = _context_where(filters, "g", category=False)
    if registry_category(filters):
        where += " and g.category_code = $category"
        params["category"] = registry_category(filters)
    registry = query(
        f"select g.category_code, sum(g.committed_eur) as registry_committed_eur, "
        f"sum(g.disbursed_eur) as registry_disbursed_eur, count(distinct g.publisher) as registry_publishers "
        f"from context_top_funders as g where {where} group by g.category_code order by g.category_code",
        params, path=path)
    frame = region.join(registry, on="category_code", how="left").with_columns(
        pl.col("registry_committed_eur").fill_null(0), pl.col("registry_disbursed_eur").fill_null(0),
        pl.col("registry_publishers").fill_null(0).cast(pl.Int64))
    frame = with_share(frame.with_columns(pl.col("region_committed_eur").cast(pl.Decimal(38, 10)),
                                          pl.col("registry_committed_eur").cast(pl.Decimal(38, 10)),
                                          pl.col("registry_disbursed_eur").cast(pl.Decimal(38, 10))),
                       "region_committed_eur", "registry_committed_eur")
    return readable_names(frame, lang).select(list(CATEGORY_SCHEMA))
