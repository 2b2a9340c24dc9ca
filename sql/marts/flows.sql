-- Committed money along programme → beneficiary type → DAC category → place, for the
-- Sankey. Every level sums to the same total as funding (checked).
select
    year,
    programme,
    beneficiary_type,
    category_code,
    location_code,
    sum(committed_eur) as committed_eur,
from marts.funding
where committed_eur <> 0
group by all
