with funding as (
    select year, sum(committed_eur) as committed_eur, sum(disbursed_eur) as disbursed_eur
    from {{ ref('funding') }}
    group by year
),

countries as (
    select year, count(distinct location_code) as partner_countries
    from {{ ref('funding') }}
    where location_kind = 'country' and committed_eur > 0
    group by year
),

grants as (
    select
        year,
        count(*) as grants,
        count(distinct beneficiary_siret) filter (where beneficiary_type = 'ong') as ngos_funded,
    from {{ ref('grants') }}
    group by year
),

jobs as (
    select year, sum(headcount) as jobs_headcount, sum(fte) as jobs_fte
    from {{ ref('jobs_by_departement') }}
    group by year
),

campaign as (
    select year, sum(events) as events, sum(participants) as participants,
           sum(young_participants) as young_participants
    from {{ ref('campaign_reach') }}
    group by year
),

years as (
    select year from funding union select year from jobs union select year from campaign
),

wide as (
    select
        y.year,
        cast(f.committed_eur as decimal(38, 10)) as committed_eur,
        cast(f.disbursed_eur as decimal(38, 10)) as disbursed_eur,
        cast(c.partner_countries as decimal(38, 10)) as partner_countries,
        cast(g.grants as decimal(38, 10)) as grants,
        cast(g.ngos_funded as decimal(38, 10)) as ngos_funded,
        cast(j.jobs_headcount as decimal(38, 10)) as jobs_headcount,
        cast(j.jobs_fte as decimal(38, 10)) as jobs_fte,
        cast(e.events as decimal(38, 10)) as events,
        cast(e.participants as decimal(38, 10)) as participants,
        cast(e.young_participants as decimal(38, 10)) as young_participants,
    from years as y
    left join funding as f using (year)
    left join countries as c using (year)
    left join grants as g using (year)
    left join jobs as j using (year)
    left join campaign as e using (year)
),

long as (
    unpivot wide
    on committed_eur, disbursed_eur, partner_countries, grants, ngos_funded,
       jobs_headcount, jobs_fte, events, participants, young_participants
    into name indicator value value
),

units as (
    select * from (values
        ('committed_eur', 'EUR'), ('disbursed_eur', 'EUR'), ('partner_countries', 'countries'),
        ('grants', 'grants'), ('ngos_funded', 'organisations'), ('jobs_headcount', 'jobs'),
        ('jobs_fte', 'FTE'), ('events', 'events'), ('participants', 'people'),
        ('young_participants', 'people')
    ) as u(indicator, unit)
)

select
    cast(l.year as integer) as year,
    l.indicator,
    l.value,
    p.value as previous_value,
    t.target,
    u.unit,
from long as l
inner join units as u using (indicator)
left join long as p on p.indicator = l.indicator and p.year = l.year - 1
left join {{ source('ref', 'targets') }} as t
    on t.indicator = l.indicator and l.year between t.from_year and coalesce(t.to_year, 9999)
