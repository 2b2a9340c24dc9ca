with grants as (
    select g.grant_key, g.year, g.programme, g.amount_eur, l.method
    from {{ ref('grants') }} as g
    left join {{ ref('grant_activities') }} as l on l.grant_key = g.grant_key
),

review as (
    select year, programme, count(distinct grant_key) filter (where review = 'ambiguous') as ambiguous,
        count(distinct grant_key) filter (where review = 'suggested') as suggested,
    from {{ ref('link_review') }}
    group by all
),

placed as (
    select year, programme,
        sum(amount_eur) filter (where flow_kind = 'committed') as committed_eur,
        sum(amount_eur) filter (where flow_kind = 'committed' and location_kind = 'unallocated')
            as committed_unknown_country_eur,
        sum(amount_eur) filter (where flow_kind = 'committed' and location_kind <> 'unallocated')
            as committed_known_country_eur,
        sum(amount_eur) filter (where flow_kind = 'committed' and category_code <> 'unallocated')
            as committed_known_sector_eur,
    from {{ ref('allocations') }}
    group by all
),

unfunded as (
    -- activities no grant links: their counted money (commitments and disbursements)
    select f.year, f.programme, count(distinct f.iati_identifier) as activities_without_grant,
        sum(f.amount_eur) as activities_without_grant_eur,
    from {{ ref('money_flows') }} as f
    where f.origin = 'iati' and f.iati_identifier not in (select iati_identifier from {{ ref('grant_activities') }})
    group by all
),

per_grant as (
    select year, programme,
        count(*) as grants,
        sum(amount_eur) as grants_eur,
        count(*) filter (where method is not null) as grants_linked,
        sum(amount_eur) filter (where method is not null) as grants_linked_eur,
        count(*) filter (where method like '%decision_reference%') as linked_by_decision_reference,
        count(*) filter (where method = 'identifier') as linked_by_identifier_only,
        count(*) filter (where method is null) as grants_without_activity,
        sum(amount_eur) filter (where method is null) as grants_without_activity_eur,
    from grants
    group by all
),

keys as (
    select year, programme from per_grant
    union
    select year, programme from placed
    union
    select year, programme from unfunded
)

select
    k.year,
    k.programme,
    coalesce(g.grants, 0) as grants,
    coalesce(g.grants_eur, 0) as grants_eur,
    coalesce(g.grants_linked, 0) as grants_linked,
    coalesce(g.grants_linked_eur, 0) as grants_linked_eur,
    coalesce(g.linked_by_decision_reference, 0) as linked_by_decision_reference,
    coalesce(g.linked_by_identifier_only, 0) as linked_by_identifier_only,
    coalesce(g.grants_without_activity, 0) as grants_without_activity,
    coalesce(g.grants_without_activity_eur, 0) as grants_without_activity_eur,
    coalesce(r.ambiguous, 0) as links_ambiguous,
    coalesce(r.suggested, 0) as links_suggested,
    coalesce(u.activities_without_grant, 0) as activities_without_grant,
    coalesce(u.activities_without_grant_eur, 0) as activities_without_grant_eur,
    coalesce(p.committed_eur, 0) as committed_eur,
    coalesce(p.committed_unknown_country_eur, 0) as committed_unknown_country_eur,
    -- shares of money, exact to 10 decimal places (money_div; null when nothing is committed)
    money_div(coalesce(p.committed_known_country_eur, 0), p.committed_eur) as committed_share_known_country,
    money_div(coalesce(p.committed_known_sector_eur, 0), p.committed_eur) as committed_share_known_sector,
from keys as k
left join per_grant as g on g.year = k.year and g.programme = k.programme
left join review as r on r.year = k.year and r.programme = k.programme
left join placed as p on p.year = k.year and p.programme = k.programme
left join unfunded as u on u.year = k.year and u.programme = k.programme
