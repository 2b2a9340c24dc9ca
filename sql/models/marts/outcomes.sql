with results as (
    select * from {{ source('iati', 'results') }}
),

main_place as (
    -- ties broken by code, so a rebuild picks the same main place and sector
    select iati_identifier, arg_min(location_code, (-share, location_code)) as location_code
    from {{ ref('location_shares') }}
    group by iati_identifier
),

main_sector as (
    select
        iati_identifier,
        arg_min(sector_code, (-share, sector_code, category_code)) as sector_code,
        -- the category of that same sector row, not a separately chosen one
        arg_min(category_code, (-share, sector_code, category_code)) as category_code,
    from {{ ref('sector_shares') }}
    group by iati_identifier
),

activities as (
    select iati_identifier, title from {{ source('iati', 'activities') }}
),

grant_of_activity as (
    select ga.iati_identifier, min(g.reference_decision) as reference_decision, min(g.programme) as programme
    from {{ ref('grant_activities') }} as ga
    inner join {{ ref('grants') }} as g on g.grant_key = ga.grant_key
    group by ga.iati_identifier
)

select
    r.iati_identifier,
    a.title as activity_title,
    r.result_index,
    r.indicator_index,
    r.result_title,
    r.indicator_title,
    r.measure,
    r.ascending,
    r.baseline_year,
    r.baseline_value,
    r.period_start,
    r.period_end,
    cast(year(coalesce(r.period_end, r.period_start)) as integer) as year,
    r.target_value,
    r.actual_value,
    case when r.target_value is not null and r.target_value <> coalesce(r.baseline_value, 0)
         then (r.actual_value - coalesce(r.baseline_value, 0)) / (r.target_value - coalesce(r.baseline_value, 0))
    end as achievement,
    coalesce(p.location_code, 'unallocated') as location_code,
    coalesce(s.sector_code, 'unallocated') as sector_code,
    coalesce(s.category_code, 'unallocated') as category_code,
    g.reference_decision,
    g.programme,
from results as r
left join activities as a on a.iati_identifier = r.iati_identifier
left join main_place as p on p.iati_identifier = r.iati_identifier
left join main_sector as s on s.iati_identifier = r.iati_identifier
left join grant_of_activity as g on g.iati_identifier = r.iati_identifier
