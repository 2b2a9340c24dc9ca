-- Every level of the flows (programme, beneficiary type, DAC category, place) sums to
-- the same committed total per year, which is the funding mart's committed total.
{{ config(meta={'dagster': {'ref': {'name': 'flows'}}}) }}
with levels as (
    select year, 'programme' as level, sum(committed_eur) as total from {{ ref('flows') }} group by year
    union all
    select year, 'beneficiary_type', sum(s) from (
        select year, beneficiary_type, sum(committed_eur) as s from {{ ref('flows') }} group by all
    ) group by year
    union all
    select year, 'category', sum(s) from (
        select year, category_code, sum(committed_eur) as s from {{ ref('flows') }} group by all
    ) group by year
    union all
    select year, 'place', sum(s) from (
        select year, location_code, sum(committed_eur) as s from {{ ref('flows') }} group by all
    ) group by year
),

funding as (
    select year, sum(committed_eur) as total from {{ ref('funding') }} group by year
)

select l.year, l.level, l.total, f.total as funding_total
from levels as l
inner join funding as f using (year)
where l.total <> f.total
