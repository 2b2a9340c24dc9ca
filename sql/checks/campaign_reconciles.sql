-- Campaign reach adds up to the de-duplicated events of staging, per year: every event
-- counted once, placed in a département or under 'inconnu'.
{{ config(meta={'dagster': {'ref': {'name': 'campaign_reach'}}}) }}
with mart as (
    select year, sum(events) as events, sum(participants) as participants from {{ ref('campaign_reach') }} group by year
),

staged as (
    select year, count(*) as events, coalesce(sum(audience), 0) as participants from {{ ref('events') }} group by year
)

select s.year, s.events, m.events as mart_events, s.participants, m.participants as mart_participants
from staged as s
left join mart as m using (year)
where s.events is distinct from m.events or s.participants is distinct from m.participants
