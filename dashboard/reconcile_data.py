"""Each page's total as the sum of its parts (issue 15): the queries behind `dashboard.reconcile`,
and the committed money whose payments are tracked (what tells a 0 paid from a payment never recorded).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dashboard.constant_euros import money_source
from dashboard.names import readable_names
from dashboard.selection import funding_where, local_where, name_column
from dashboard.snapshot import query


def funding_parts(filters, path: Path | None = None) -> dict:
    """The selection's money split the ways the pages' totals differ (marts.funding_reconciliation):
    committed = grants + IATI co-financing = countries + regions + no known country
    = known DAC category + none; disbursed split by place alike; and the committed money whose
    payments are not tracked (no IATI activity records them). Same filters as `funding`."""
    where, params = funding_where(filters, alias="r")
    parts = (  # (name, summed column, condition)
        ("committed_eur", "committed_eur", None),
        ("grant_eur", "committed_eur", "r.origin = 'grant'"),
        ("cofinancing_eur", "committed_eur", "r.origin = 'cofinancing'"),
        ("country_eur", "committed_eur", "r.location_kind = 'country'"),
        ("region_eur", "committed_eur", "r.location_kind = 'region'"),
        ("unknown_place_eur", "committed_eur", "r.location_kind = 'unallocated'"),
        ("known_category_eur", "committed_eur", "r.category_code <> 'unallocated'"),
        ("unknown_category_eur", "committed_eur", "r.category_code = 'unallocated'"),
        ("tracked_eur", "committed_eur", "r.payments_tracked"),
        ("untracked_eur", "committed_eur", "not r.payments_tracked"),
        ("disbursed_eur", "disbursed_eur", None),
        ("disbursed_country_eur", "disbursed_eur", "r.location_kind = 'country'"),
        ("disbursed_region_eur", "disbursed_eur", "r.location_kind = 'region'"),
        ("disbursed_unknown_place_eur", "disbursed_eur", "r.location_kind = 'unallocated'"),
        ("disbursed_known_category_eur", "disbursed_eur", "r.category_code <> 'unallocated'"),
        ("disbursed_unknown_category_eur", "disbursed_eur", "r.category_code = 'unallocated'"),
    )
    columns = ", ".join(
        f"coalesce(sum(r.{column})" + (f" filter (where {condition})" if condition else "") + f", 0) as {name}"
        for name, column, condition in parts)
    frame = query(
        f"select {columns}, count(distinct r.location_code) filter (where r.location_kind = 'country') as countries "
        f"from {money_source('funding_reconciliation', filters)} as r where {where}",
        params, path=path,
    )
    return frame.row(0, named=True)


def untracked_by_programme(filters, path: Path | None = None) -> pl.DataFrame:
    """Per programme of the selection, committed money and the part whose payments are not
    tracked (no IATI activity), largest first; programmes with none left out."""
    where, params = funding_where(filters, alias="r")
    return query(
        f"select r.programme, sum(r.committed_eur) as committed_eur, "
        f"sum(r.committed_eur) filter (where not r.payments_tracked) as untracked_eur "
        f"from {money_source('funding_reconciliation', filters)} as r where {where} group by r.programme "
        f"having sum(r.committed_eur) filter (where not r.payments_tracked) <> 0 "
        f"order by untracked_eur desc, r.programme",
        params, path=path,
    )


def funding_tracking_by_year(filters, path: Path | None = None) -> pl.DataFrame:
    """Per year: committed, the committed money whose payments are tracked, and disbursed."""
    where, params = funding_where(filters, alias="r")
    return query(
        f"select r.year, sum(r.committed_eur) as committed_eur, "
        f"coalesce(sum(r.committed_eur) filter (where r.payments_tracked), 0) as tracked_eur, "
        f"sum(r.disbursed_eur) as disbursed_eur "
        f"from {money_source('funding_reconciliation', filters)} as r where {where} group by r.year order by r.year",
        params, path=path,
    )


def reach_parts(filters, path: Path | None = None) -> dict:
    """Festival participants of the selection: all of them, and those of a known département
    (the map) or none ('inconnu')."""
    where, params = local_where(filters)
    frame = query(
        f"select coalesce(sum(participants), 0) as participants, "
        f"coalesce(sum(participants) filter (where departement_code <> 'inconnu'), 0) as known, "
        f"coalesce(sum(participants) filter (where departement_code = 'inconnu'), 0) as unknown "
        f"from campaign_reach where {where}",
        params, path=path,
    )
    return {k: int(v) for k, v in frame.row(0, named=True).items()}


_TRACKED_KEYS = ("year", "programme", "location_code", "category_code", "sector_code")


def tracked_by(filters, keys: tuple[str, ...], path: Path | None = None) -> pl.DataFrame:
    """Committed money whose payments are tracked (it has an IATI activity), per `keys` (columns
    of `funding`, from a fixed list): what tells a 0 paid from a payment never recorded."""
    if not keys or any(k not in _TRACKED_KEYS for k in keys):
        raise ValueError(f"tracked_by keys must be among {_TRACKED_KEYS}")
    where, params = funding_where(filters, alias="r")
    columns = ", ".join(f"r.{k}" for k in keys)
    return query(
        f"select {columns}, coalesce(sum(r.committed_eur) filter (where r.payments_tracked), 0) as tracked_eur "
        f"from {money_source('funding_reconciliation', filters)} as r where {where} group by {columns} order by {columns}",
        params, path=path,
    )

_MONEY_BY = ("year", "programme", "category_code")


def money_by(filters, key: str, lang: str, path: Path | None = None) -> pl.DataFrame:
    """The selection's money per `key` (year, programme or DAC category, from a fixed list):
    committed, the committed part whose payments are tracked, disbursed — what a table needs
    to say 'non suivi' (reconcile.with_disbursed_text). Largest first; years in order."""
    if key not in _MONEY_BY:
        raise ValueError(f"money_by key must be among {_MONEY_BY}")
    where, params = funding_where(filters, alias="r")
    name = name_column(lang)
    named = key == "category_code"
    frame = query(
        f"select r.{key}" + (f", coalesce(k.{name}, r.category_code) as category_name" if named else "")
        + ", sum(r.committed_eur) as committed_eur, "
        "coalesce(sum(r.committed_eur) filter (where r.payments_tracked), 0) as tracked_eur, "
        f"sum(r.disbursed_eur) as disbursed_eur from {money_source('funding_reconciliation', filters)} as r "
        + ("left join dac_categories as k on k.code3 = r.category_code " if named else "")
        + f"where {where} group by all order by "
        + ("r.year" if key == "year" else f"round(sum(r.committed_eur), 2) desc, r.{key}"),
        params, path=path)
    return readable_names(frame, lang) if named else frame
