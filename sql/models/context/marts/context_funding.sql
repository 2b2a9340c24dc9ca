-- Everyone's money in the IATI registry by year, recipient place, DAC category and type of publishing
-- organisation, in euros: the "Autres bailleurs" figures beside the region's own (marts.funding_by_country).
with allocations as (
    select * from {{ ref('context_allocations') }}
)

select
    year,
    location_code as country_code,
    location_kind,
    category_code,
    reporting_org_type,
    sum(case when flow_kind = 'committed' then amount_eur else 0 end) as committed_eur,
    sum(case when flow_kind = 'disbursed' then amount_eur else 0 end) as disbursed_eur,
    count(distinct publisher) as publishers,
from allocations
group by all
