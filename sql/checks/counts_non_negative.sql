-- No negative jobs or audience: a head count, FTE, participant or event count below zero
-- is an input error, never a real figure. (Money may be negative: IATI cancellations and
-- reimbursements count, see the warning negative_transactions.)
{{ config(meta={'dagster': {'ref': {'name': 'jobs_by_departement'}}}) }}
select 'jobs_by_departement' as mart, cast(year as varchar) || '|' || departement_code as key, headcount as value
from {{ ref('jobs_by_departement') }} where headcount < 0 or fte < 0
union all
select 'campaign_reach', cast(year as varchar) || '|' || departement_code || '|' || event_type, participants
from {{ ref('campaign_reach') }} where participants < 0 or young_participants < 0 or events < 0
