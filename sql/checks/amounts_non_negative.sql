-- No negative money, jobs or audience in what the dashboard shows.
select 'funding_by_country' as mart, cast(year as varchar) || '|' || country_code as key, committed_eur as value
from marts.funding_by_country where committed_eur < -0.005 or disbursed_eur < -0.005
union all
select 'jobs_by_departement', cast(year as varchar) || '|' || departement_code, headcount
from marts.jobs_by_departement where headcount < 0 or fte < 0
union all
select 'campaign_reach', cast(year as varchar) || '|' || departement_code, participants
from marts.campaign_reach where participants < 0 or young_participants < 0 or events < 0
