with jobs as (
    select * from {{ ref('jobs') }}
),

departements as (
    select code, name from {{ source('ref', 'departements') }}
)

select
    j.year,
    {{ departement_code_or_unknown('j.departement_code') }} as departement_code,
    {{ departement_name_or_unknown('d.name') }} as name,
    count(distinct j.siret) as organisations,
    sum(j.headcount) as headcount,
    sum(j.fte) as fte,
    sum(coalesce(j.volunteers, 0)) as volunteers,
from jobs as j
left join departements as d on d.code = j.departement_code
group by all
