with grants as (
    select * from {{ ref('grants') }}
),

matched as (
    select p.grant_key, g.programme, p.year
    from {{ ref('payments') }} as p
    inner join grants as g on g.grant_key = p.grant_key
),

coverage as (
    select programme, min(year) as first_year from matched group by programme
),

paid as (
    select distinct grant_key from matched
),

described as (
    select distinct grant_key from {{ ref('grant_activities') }}
)

select
    g.grant_key,
    g.programme,
    g.year,
    case
        when p.grant_key is not null or g.year >= c.first_year then 'accounting'
        when d.grant_key is not null then 'iati'
    end as payments_source,
from grants as g
left join paid as p on p.grant_key = g.grant_key
left join coverage as c on c.programme = g.programme
left join described as d on d.grant_key = g.grant_key
