"""Results (IATI outcomes): the outcomes page's table, totals, parts and bands, and one activity's results."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dashboard.selection import funding_where
from dashboard.snapshot import query

# An indicator is summed only when its measure is a unit count (IATI measure 1, or none given):
# percentages, nominal, ordinal and qualitative values do not add up.
_SUMMABLE = "coalesce(o.measure, '1') = '1'"
# a period is over when it ended before the snapshot was built (no end: its start)
_OVER = ("coalesce(o.period_end, o.period_start) < "
         "cast((select max(built_at) from manifest) as date)")


def outcome_totals(filters, path: Path | None = None) -> pl.DataFrame:
    """Results by indicator: the sum of the values reached, and the share of the target reached
    over the measurements that have both (sum of actuals / sum of targets), with how many
    measurements are counted and left out. Unit indicators only (see `outcome_parts`).

    Columns: indicator_title, ascending, measurements, actual_total (every measurement with a
    value reached), with_both, actual_with_target, target_with_actual, target_share (null
    for an indicator where lower is better), without_actual, without_target."""
    where, params = funding_where(filters, alias="o")
    return query(
        f"select o.indicator_title, bool_and(coalesce(o.ascending, true)) as ascending, "
        f"count(*) as measurements, sum(o.actual_value) as actual_total, "
        f"count(*) filter (where o.actual_value is not null and o.target_value is not null) as with_both, "
        f"sum(o.actual_value) filter (where o.target_value is not null) as actual_with_target, "
        f"sum(o.target_value) filter (where o.actual_value is not null) as target_with_actual, "
        f"case when bool_and(coalesce(o.ascending, true)) then "
        f"sum(o.actual_value) filter (where o.target_value is not null) "
        f"/ nullif(sum(o.target_value) filter (where o.actual_value is not null), 0) end as target_share, "
        f"count(*) filter (where o.actual_value is null) as without_actual, "
        f"count(*) filter (where o.actual_value is not null and o.target_value is null) as without_target "
        f"from outcomes as o where {where} and {_SUMMABLE} group by o.indicator_title "
        f"order by actual_total desc nulls last, o.indicator_title",
        params, path=path,
    )


def outcome_parts(filters, path: Path | None = None) -> dict:
    """The selection's result measurements, each in one part: counted (value reached and
    target), without a target (in the totals, not in the share of target), without a value
    reached (left out: its period ends after the snapshot was built, or it ended and nothing
    was reported), not a count (percentages and other measures: never summed)."""
    where, params = funding_where(filters, alias="o")
    frame = query(
        f"select count(*) as measurements, "
        f"count(*) filter (where {_SUMMABLE} and o.actual_value is not null and o.target_value is not null) "
        f"as counted, "
        f"count(*) filter (where {_SUMMABLE} and o.actual_value is not null and o.target_value is null) "
        f"as without_target, "
        f"count(*) filter (where {_SUMMABLE} and o.actual_value is null and not {_OVER}) as without_actual_not_due, "
        f"count(*) filter (where {_SUMMABLE} and o.actual_value is null and {_OVER}) as without_actual_overdue, "
        f"count(*) filter (where not {_SUMMABLE}) as not_summable "
        f"from outcomes as o where {where}",
        params, path=path,
    )
    return {k: int(v) for k, v in frame.row(0, named=True).items()}


def outcomes_by_band(filters, path: Path | None = None) -> pl.DataFrame:
    """Measurements per year by how much of their target was reached (the band chart's table)."""
    where, params = funding_where(filters, alias="o")
    return query(
        f"select o.year, count(*) filter (where o.achievement < 0.5) as below_half, "
        f"count(*) filter (where o.achievement >= 0.5 and o.achievement < 1) as half_or_more, "
        f"count(*) filter (where o.achievement >= 1) as reached, "
        f"count(*) filter (where o.achievement is null) as no_achievement "
        f"from outcomes as o where {where} group by o.year order by o.year",
        params, path=path,
    )


def outcomes(filters, path: Path | None = None) -> pl.DataFrame:
    where, params = funding_where(filters, alias="o")
    return query(
        f"select o.year, o.location_code, o.category_code, o.sector_code, o.programme, o.reference_decision, "
        f"o.activity_title, o.indicator_title, o.baseline_value, o.target_value, o.actual_value, o.achievement "
        f"from outcomes as o where {where} order by o.year desc, o.location_code, o.activity_title, "
        f"o.iati_identifier, o.result_index, o.indicator_index, o.period_start",
        params, path=path,
    )


def activity_outcomes(iati_identifier: str, path: Path | None = None) -> pl.DataFrame:
    """An IATI activity's results (`outcomes`): baseline, target and value reached per period."""
    return query(
        "select o.result_title, o.indicator_title, o.baseline_year, o.baseline_value, o.period_start, o.period_end, "
        "o.target_value, o.actual_value, o.achievement from outcomes as o where o.iati_identifier = $id "
        "order by o.result_index, o.indicator_index, o.period_start",
        {"id": iati_identifier}, path=path)
