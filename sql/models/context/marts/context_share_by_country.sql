-- The region's share of the money every IATI publisher reports, per year and recipient place: its own
-- commitments and disbursements (marts.funding_by_country) against the registry's (context_funding),
-- both in euros by the same currency rule. A drop or a keystone: the share is the region's money over
-- the sum of both (the region's own registry file, if in the dump, is left out of the registry's:
-- dbt var region_publishers).
with region as (
    select year, country_code, location_kind,
        sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur,
    from {{ ref('funding_by_country') }}
    group by year, country_code, location_kind
),

registry as (
    select year, country_code, location_kind,
        sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur,
    from {{ ref('context_funding') }}
    group by year, country_code, location_kind
),

both_sides as (
    select
        coalesce(r.year, g.year) as year,
        coalesce(r.country_code, g.country_code) as country_code,
        coalesce(r.location_kind, g.location_kind) as location_kind,
        coalesce(r.committed_eur, 0) as region_committed_eur,
        coalesce(r.disbursed_eur, 0) as region_disbursed_eur,
        coalesce(g.committed_eur, 0) as registry_committed_eur,
        coalesce(g.disbursed_eur, 0) as registry_disbursed_eur,
    from region as r
    full join registry as g
        on g.year = r.year and g.country_code = r.country_code and g.location_kind = r.location_kind
)

select
    year,
    country_code,
    location_kind,
    region_committed_eur,
    region_disbursed_eur,
    registry_committed_eur,
    registry_disbursed_eur,
    money_div(region_committed_eur, region_committed_eur + registry_committed_eur) as region_committed_share,
    money_div(region_disbursed_eur, region_disbursed_eur + registry_disbursed_eur) as region_disbursed_share,
from both_sides
