-- Jobs linked to international solidarity, per organisation and year, placed in the
-- organisation's département. A (SIRET, year) given twice counts once.
with source as (
    select * from raw.jobs
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by siret, year order by source_file, source_row) = 1
)

select
    j.siret,
    j.year,
    j.headcount,
    j.fte,
    j.volunteers,
    o.org_type,
    o.departement_code,
    j.source_file,
    j.source_row,
from deduplicated as j
left join staging.organisations as o on o.siret = j.siret
