with allocations as (
    select * from {{ ref('allocations') }}
)

select
    year,
    location_kind,
    location_code,
    sector_code,
    category_code,
    programme,
    beneficiary_type,
    coalesce(sum(amount_eur) filter (where flow_kind = 'committed'), 0) as committed_eur,
    coalesce(sum(amount_eur) filter (where flow_kind = 'disbursed'), 0) as disbursed_eur,
from allocations
group by all
