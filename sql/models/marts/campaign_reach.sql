with events as (
    select * from {{ ref('events') }}
),

departements as (
    select code, name from {{ source('ref', 'departements') }}
)

select
    e.year,
    {{ departement_code_or_unknown('e.departement_code') }} as departement_code,
    {{ departement_name_or_unknown('d.name') }} as name,
    e.event_type,
    count(*) as events,
    coalesce(sum(e.audience), 0) as participants,
    coalesce(sum(e.young_audience), 0) as young_participants,
from events as e
left join departements as d on d.code = e.departement_code
group by all
