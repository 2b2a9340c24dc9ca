-- By country + regions + unallocated = total committed and disbursed, per year.
{{ config(meta={'dagster': {'ref': {'name': 'funding_by_country'}}}) }}
with by_country as (
    select year, sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur
    from {{ ref('funding_by_country') }}
    group by year
),

total as (
    select year, sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur
    from {{ ref('funding') }}
    group by year
)

select t.year, t.committed_eur, c.committed_eur as by_country_committed_eur,
       t.disbursed_eur, c.disbursed_eur as by_country_disbursed_eur
from total as t
left join by_country as c using (year)
where t.committed_eur <> coalesce(c.committed_eur, 0)
    or t.disbursed_eur <> coalesce(c.disbursed_eur, 0)
