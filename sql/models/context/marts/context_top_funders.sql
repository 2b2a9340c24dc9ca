-- Who funds where: each registry publisher's money by year, recipient place and DAC category, in euros,
-- ranked within its year, place and category (1 = the most committed), for the country page's
-- "Autres bailleurs"; a page wanting a place's funders over all categories or years sums the rows.
with allocations as (
    select * from {{ ref('context_allocations') }}
),

by_publisher as (
    select
        year,
        location_code as country_code,
        location_kind,
        category_code,
        publisher,
        -- a publisher's activities may name different types: the smallest code
        min(reporting_org_type) as reporting_org_type,
        sum(case when flow_kind = 'committed' then amount_eur else 0 end) as committed_eur,
        sum(case when flow_kind = 'disbursed' then amount_eur else 0 end) as disbursed_eur,
    from allocations
    group by year, location_code, location_kind, category_code, publisher
)

select
    year,
    country_code,
    location_kind,
    category_code,
    publisher,
    reporting_org_type,
    committed_eur,
    disbursed_eur,
    cast(rank() over (
        partition by year, country_code, location_kind, category_code
        order by committed_eur desc, disbursed_eur desc
    ) as integer) as funder_rank,
from by_publisher
