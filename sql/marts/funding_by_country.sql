-- Money by year and place: ISO 3166 alpha-3 country, IATI region code, or 'unallocated'.
with funding as (
    select * from marts.funding
),

countries as (
    select alpha3, name_fr, name_en, ldc from ref.countries
)

select
    f.year,
    f.location_code as country_code,
    f.location_kind,
    coalesce(c.name_fr, f.location_code) as name_fr,
    coalesce(c.name_en, f.location_code) as name_en,
    coalesce(c.ldc, false) as ldc,
    sum(f.committed_eur) as committed_eur,
    sum(f.disbursed_eur) as disbursed_eur,
from funding as f
left join countries as c on c.alpha3 = f.location_code
group by all
