with allocations as (
    select * from {{ ref('allocations') }}
)

select
    year,
    programme,
    beneficiary_type,
    location_kind,
    location_code,
    sector_code,
    category_code,
    case when flow_kind = 'disbursed' then 'payment'
         when origin = 'grant' then 'grant'
         else 'cofinancing' end as origin,
    payments_tracked,
    coalesce(sum(amount_eur) filter (where flow_kind = 'committed'), 0) as committed_eur,
    coalesce(sum(amount_eur) filter (where flow_kind = 'disbursed'), 0) as disbursed_eur,
from allocations
group by all
