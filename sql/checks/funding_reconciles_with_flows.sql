-- Placed + unallocated = total: for every year and kind, the funding mart holds exactly
-- the money of staging.money_flows (exact decimals: to the last decimal place). Returns the years that differ.
{{ config(meta={'dagster': {'ref': {'name': 'funding'}}}) }}
with expected as (
    select year, flow_kind, sum(amount_eur) as amount_eur
    from {{ ref('money_flows') }}
    group by all
),

placed as (
    select year, 'committed' as flow_kind, sum(committed_eur) as amount_eur from {{ ref('funding') }} group by year
    union all
    select year, 'disbursed', sum(disbursed_eur) from {{ ref('funding') }} group by year
)

select e.year, e.flow_kind, e.amount_eur as expected_eur, coalesce(p.amount_eur, 0) as placed_eur
from expected as e
left join placed as p on p.year = e.year and p.flow_kind = e.flow_kind
where e.amount_eur <> coalesce(p.amount_eur, 0)
