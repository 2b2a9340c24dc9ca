-- The region's share of the money every IATI publisher reports, per year and DAC category: its own
-- commitments and disbursements (marts.funding_by_sector) against the registry's (context_funding),
-- both in euros by the same currency rule. A drop or a keystone: the share is the region's money over
-- the sum of both (the region's own registry file, if in the dump, is left out of the registry's:
-- dbt var region_publishers).
with region as (
    select year, category_code,
        sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur,
    from {{ ref('funding_by_sector') }}
    group by year, category_code
),

registry as (
    select year, category_code,
        sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur,
    from {{ ref('context_funding') }}
    group by year, category_code
),

both_sides as (
    select
        coalesce(r.year, g.year) as year,
        coalesce(r.category_code, g.category_code) as category_code,
        coalesce(r.committed_eur, 0) as region_committed_eur,
        coalesce(r.disbursed_eur, 0) as region_disbursed_eur,
        coalesce(g.committed_eur, 0) as registry_committed_eur,
        coalesce(g.disbursed_eur, 0) as registry_disbursed_eur,
    from region as r
    full join registry as g
        on g.year = r.year and g.category_code = r.category_code
)

select
    year,
    category_code,
    region_committed_eur,
    region_disbursed_eur,
    registry_committed_eur,
    registry_disbursed_eur,
    money_div(region_committed_eur, region_committed_eur + registry_committed_eur) as region_committed_share,
    money_div(region_disbursed_eur, region_disbursed_eur + registry_disbursed_eur) as region_disbursed_share,
from both_sides
