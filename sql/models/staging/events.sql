with source as (
    select
        *,
        coalesce(commune_code, '') as commune_key,
        regexp_replace(lower(strip_accents(trim(title))), '[^a-z0-9]+', ' ', 'g') as title_key,
        cast("start" as date) as start_day,
        case origin when 'csv' then 0 else 1 end as origin_rank,
    from {{ source('events', 'events') }}
),

by_id as (
    select *
    from source
    qualify row_number() over (partition by event_id order by origin_rank, source_file, source_row) = 1
),

by_content as (
    select *
    from by_id
    qualify row_number() over (
        partition by title_key, start_day, commune_key order by origin_rank, source_file, source_row
    ) = 1
),

communes as (
    select distinct commune_code, departement_code from {{ source('ref', 'communes') }}
)

select
    e.event_id,
    e.title,
    e."start" as starts_at,
    e."end" as ends_at,
    cast(year(e."start") as integer) as year,
    e.commune_code,
    c.departement_code,
    e.organiser_siret,
    e.organiser_name,
    coalesce(e.event_type, 'autre') as event_type,
    e.audience,
    e.young_audience,
    e.origin,
    e.source_file,
    e.source_row,
from by_content as e
left join communes as c on c.commune_code = e.commune_code
