with source as (
    select * from {{ source('jobs', 'jobs') }}
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
left join {{ ref('organisations') }} as o on o.siret = j.siret
