with events as (
    select * from {{ ref('events') }}
),

departements as (
    select code, name from {{ source('ref', 'departements') }}
)

select
    e.year,
    coalesce(e.departement_code, 'inconnu') as departement_code,
    coalesce(d.name, 'Non localisé') as name,
    e.event_type,
    count(*) as events,
    coalesce(sum(e.audience), 0) as participants,
    coalesce(sum(e.young_audience), 0) as young_participants,
from events as e
left join departements as d on d.code = e.departement_code
group by all
