-- One outcome row per IATI result indicator period read, each once: the joins that add
-- place, sector and grant neither drop nor repeat an indicator.
{{ config(meta={'dagster': {'ref': {'name': 'outcomes'}}}) }}
with expected as (
    select iati_identifier, result_index, indicator_index, period_start, count(*) as n
    from {{ source('iati', 'results') }}
    group by all
),

published as (
    select iati_identifier, result_index, indicator_index, period_start, count(*) as n
    from {{ ref('outcomes') }}
    group by all
)

select coalesce(e.iati_identifier, p.iati_identifier) as iati_identifier,
       coalesce(e.result_index, p.result_index) as result_index,
       coalesce(e.indicator_index, p.indicator_index) as indicator_index,
       e.n as results_read, p.n as outcomes_rows
from expected as e
full join published as p
    on p.iati_identifier = e.iati_identifier
    and p.result_index = e.result_index
    and p.indicator_index = e.indicator_index
    and p.period_start is not distinct from e.period_start
where e.n is distinct from p.n
