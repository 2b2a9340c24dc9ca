-- Jobs by département add up to the jobs accepted in staging, per year (placed or 'inconnu').
{{ config(meta={'dagster': {'ref': {'name': 'jobs_by_departement'}}}) }}
with mart as (
    select year, sum(headcount) as headcount, sum(fte) as fte from {{ ref('jobs_by_departement') }} group by year
),

staged as (
    select year, sum(headcount) as headcount, sum(fte) as fte from {{ ref('jobs') }} group by year
)

select s.year, s.headcount, m.headcount as mart_headcount, s.fte, m.fte as mart_fte
from staged as s
left join mart as m using (year)
where s.headcount is distinct from m.headcount or abs(s.fte - coalesce(m.fte, 0)) > 1e-6
