with source as (
    select * from {{ source('organisations', 'organisations') }}
),

deduplicated as (
    select *
    from source
    qualify row_number() over (partition by siret order by source_file, source_row) = 1
),

communes as (
    select distinct commune_code, departement_code from {{ source('ref', 'communes') }}
),

by_postcode as (
    -- a postcode shared by several communes maps to the first one; all share its département
    select postcode, min(commune_code) as commune_code
    from {{ source('ref', 'communes') }}
    group by postcode
),

placed as (
    select
        d.siret,
        d.name,
        d.legal_category,
        d.naf_code,
        coalesce(c.commune_code, p.commune_code) as commune_code,
        d.postcode,
        coalesce(d.org_type, 'autre') as org_type,
        coalesce(c.departement_code, pc.departement_code) as departement_code,
        d.source_file,
        d.source_row,
    from deduplicated as d
    left join communes as c
        on c.commune_code = d.commune_code
    left join by_postcode as p
        on c.commune_code is null and p.postcode = d.postcode
    left join communes as pc
        on pc.commune_code = p.commune_code
)

select * from placed
