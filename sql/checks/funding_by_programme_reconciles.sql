-- By programme = total committed and disbursed, per year; and every grant is counted once.
{{ config(meta={'dagster': {'ref': {'name': 'funding_by_programme'}}}) }}
with by_programme as (
    select year, sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur, sum(grants) as grants
    from {{ ref('funding_by_programme') }}
    group by year
),

total as (
    select year, sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur
    from {{ ref('funding') }}
    group by year
),

grants as (
    select year, count(*) as grants from {{ ref('grants') }} group by year
)

select t.year, t.committed_eur, p.committed_eur as by_programme_committed_eur,
       t.disbursed_eur, p.disbursed_eur as by_programme_disbursed_eur, g.grants, p.grants as by_programme_grants
from total as t
left join by_programme as p using (year)
left join grants as g using (year)
where t.committed_eur <> coalesce(p.committed_eur, 0)
    or t.disbursed_eur <> coalesce(p.disbursed_eur, 0)
    or coalesce(g.grants, 0) <> coalesce(p.grants, 0)
