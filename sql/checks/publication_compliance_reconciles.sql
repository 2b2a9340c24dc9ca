-- The 23,000 € rule adds up: per year, the grants above the threshold are staging's, the
-- complete ones are those without a listed gap, and each field's count is its gaps' count.
{{ config(meta={'dagster': {'ref': {'name': 'publication_compliance'}}}) }}
with over as (
    select year, count(*) as n from {{ ref('grants') }} where amount_eur > 23000 group by year
),

gaps as (
    select year, count(distinct grant_key) as incomplete from {{ ref('publication_gaps') }} group by year
),

shown as (
    select distinct year, grants_over_threshold, grants_complete from {{ ref('publication_compliance') }}
)

select s.year, s.grants_over_threshold, o.n as expected_over, s.grants_complete,
    o.n - coalesce(g.incomplete, 0) as expected_complete
from shown as s
full join over as o on o.year = s.year
left join gaps as g on g.year = coalesce(s.year, o.year)
where s.year is null or o.year is null
    or s.grants_over_threshold <> o.n
    or s.grants_complete <> o.n - coalesce(g.incomplete, 0)
union all
select c.year, null, null, c.grants_missing, count(distinct p.grant_key)
from {{ ref('publication_compliance') }} as c
left join {{ ref('publication_gaps') }} as p on p.year = c.year and p.missing_field = c.missing_field
where c.missing_field <> ''
group by c.year, c.grants_missing
having c.grants_missing <> count(distinct p.grant_key)
