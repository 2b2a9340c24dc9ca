-- Committed money along programme → beneficiary type → DAC category → place (the Sankey), at
-- the grain of the dashboard's filters (year and DAC sector too): the flows page, its download
-- and embed, and a programme's page read this mart and only filter and sum it (names come from
-- the reference tables; tests/test_dashboard_sql.py). A combination with no commitment in a year
-- (only payments) keeps its row at 0: a year's Sankey lists it as the page always has.
select
    year,
    programme,
    beneficiary_type,
    category_code,
    sector_code,
    location_kind,
    location_code,
    sum(committed_eur) as committed_eur,
from {{ ref('funding') }}
group by all
