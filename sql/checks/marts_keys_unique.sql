-- Each mart's key is unique: one row per (year, country), (year, sector), (year, indicator)...
select 'funding_by_country' as mart, cast(year as varchar) || '|' || country_code as key, count(*) as rows
from marts.funding_by_country group by all having count(*) > 1
union all
select 'funding_by_sector', cast(year as varchar) || '|' || sector_code || '|' || category_code, count(*)
from marts.funding_by_sector group by all having count(*) > 1
union all
select 'funding_by_programme', cast(year as varchar) || '|' || programme, count(*)
from marts.funding_by_programme group by all having count(*) > 1
union all
select 'kpis', cast(year as varchar) || '|' || indicator, count(*)
from marts.kpis group by all having count(*) > 1
union all
select 'jobs_by_departement', cast(year as varchar) || '|' || departement_code, count(*)
from marts.jobs_by_departement group by all having count(*) > 1
union all
select 'campaign_reach', cast(year as varchar) || '|' || departement_code || '|' || event_type, count(*)
from marts.campaign_reach group by all having count(*) > 1
union all
select 'grants_public', grant_key, count(*)
from marts.grants_public group by all having count(*) > 1
