-- Money by year and place: ISO 3166 alpha-3 country, IATI region code, or 'unallocated'.
-- Per-capita amounts divide by the country's GeoNames population (one figure, no year:
-- data/reference/SOURCES.md); null for regions, 'unallocated' and countries without one.
-- Exact: euros per person rounded half away from zero to 20 decimal places (money_per_person).
with funding as (
    select * from marts.funding
),

countries as (
    select alpha3, name_fr, name_en, ldc, population from ref.countries
),

by_place as (
    select
        f.year,
        f.location_code as country_code,
        f.location_kind,
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
