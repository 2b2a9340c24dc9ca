-- By sector (5-digit codes, categories and 'unallocated') = total committed and disbursed, per year.
{{ config(meta={'dagster': {'ref': {'name': 'funding_by_sector'}}}) }}
with by_sector as (
    select year, sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur
    from {{ ref('funding_by_sector') }}
    group by year
),

total as (
    select year, sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur
    from {{ ref('funding') }}
    group by year
)

select t.year, t.committed_eur, s.committed_eur as by_sector_committed_eur,
       t.disbursed_eur, s.disbursed_eur as by_sector_disbursed_eur
from total as t
left join by_sector as s using (year)
where t.committed_eur <> coalesce(s.committed_eur, 0)
    or t.disbursed_eur <> coalesce(s.disbursed_eur, 0)
