-- Money by year and place, at the grain of the dashboard's filters (programme, DAC category
-- and sector): the world map, its table, its download and embed, and the year chart filtered
-- on a country or a sector read this mart and only filter and sum it (tests/test_dashboard_sql.py);
-- the pages name places from the reference tables (countries, iati_regions) and sum the per-capita
-- rows below (one population per country: a selection's sum is its money over it; never divided again).
with funding as (
    select * from {{ ref('funding') }}
),

countries as (
    select alpha3, name_fr, name_en, ldc, population from {{ source('ref', 'countries') }}
),

by_place as (
    select
        f.year,
        f.location_code as country_code,
        f.location_kind,
        f.programme,
        f.category_code,
        f.sector_code,
        coalesce(c.name_fr, f.location_code) as name_fr,
        coalesce(c.name_en, f.location_code) as name_en,
        coalesce(c.ldc, false) as ldc,
        case when f.location_kind = 'country' then c.population end as population,
        sum(f.committed_eur) as committed_eur,
        sum(f.disbursed_eur) as disbursed_eur,
    from funding as f
    left join countries as c on c.alpha3 = f.location_code
    group by all
)

select
    *,
    money_per_person(committed_eur, population) as committed_eur_per_capita,
    money_per_person(disbursed_eur, population) as disbursed_eur_per_capita,
from by_place
