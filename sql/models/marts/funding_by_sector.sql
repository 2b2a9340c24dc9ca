-- Money by year and OECD DAC sector, at the grain of the dashboard's filters (programme and
-- place): the sectors page, its download and embed read this mart and only filter and sum it
-- (tests/test_dashboard_sql.py); the pages name sectors from the DAC lists.
with funding as (
    select * from {{ ref('funding') }}
),

sectors as (
    select code5, name_fr, name_en from {{ source('ref', 'dac_sectors') }}
),

categories as (
    select code3, name_fr, name_en from {{ source('ref', 'dac_categories') }}
)

select
    f.year,
    f.sector_code,
    f.category_code,
    f.programme,
    f.location_code,
    coalesce(s.name_fr, c.name_fr, 'Non ventilé') as sector_name_fr,
    coalesce(s.name_en, c.name_en, 'Unallocated') as sector_name_en,
    coalesce(c.name_fr, 'Non ventilé') as category_name_fr,
    coalesce(c.name_en, 'Unallocated') as category_name_en,
    sum(f.committed_eur) as committed_eur,
    sum(f.disbursed_eur) as disbursed_eur,
from funding as f
left join sectors as s on s.code5 = f.sector_code
left join categories as c on c.code3 = f.category_code
group by all
