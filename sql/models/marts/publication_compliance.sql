with over as (
    select year, grant_key, amount_eur from {{ ref('grants') }} where amount_eur > 23000
),

gaps as (
    select year, grant_key, missing_field from {{ ref('publication_gaps') }}
),

per_year as (
    select o.year,
        count(*) as grants_over_threshold,
        sum(o.amount_eur) as amount_over_threshold_eur,
        count(*) filter (where not exists (select 1 from gaps as g where g.grant_key = o.grant_key))
            as grants_complete,
    from over as o
    group by o.year
),

missing as (
    select year, missing_field, count(distinct grant_key) as grants_missing
    from gaps
    group by all
)

select
    p.year,
    p.grants_over_threshold,
    p.amount_over_threshold_eur,
    p.grants_complete,
    p.grants_complete / p.grants_over_threshold as compliance_rate,
    coalesce(m.missing_field, '') as missing_field,
    coalesce(m.grants_missing, 0) as grants_missing,
from per_year as p
left join missing as m on m.year = p.year
