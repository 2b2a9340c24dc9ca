-- Each mart's key is unique: one row per (year, place, programme, category, sector),
-- (year, sector, category, programme, place), (year, indicator)...
{{ config(meta={'dagster': {'ref': {'name': 'kpis'}}}) }}
select 'funding_by_country' as mart, concat_ws('|', year, country_code, programme, category_code, sector_code) as key,
       count(*) as rows
from {{ ref('funding_by_country') }} group by all having count(*) > 1
union all
select 'funding_by_sector', concat_ws('|', year, sector_code, category_code, programme, location_code), count(*)
from {{ ref('funding_by_sector') }} group by all having count(*) > 1
union all
select 'flows', concat_ws('|', year, programme, beneficiary_type, category_code, sector_code, location_code), count(*)
from {{ ref('flows') }} group by all having count(*) > 1
union all
select 'funding_by_programme', cast(year as varchar) || '|' || programme, count(*)
from {{ ref('funding_by_programme') }} group by all having count(*) > 1
union all
select 'kpis', cast(year as varchar) || '|' || indicator, count(*)
from {{ ref('kpis') }} group by all having count(*) > 1
union all
select 'jobs_by_departement', cast(year as varchar) || '|' || departement_code, count(*)
from {{ ref('jobs_by_departement') }} group by all having count(*) > 1
union all
select 'campaign_reach', cast(year as varchar) || '|' || departement_code || '|' || event_type, count(*)
from {{ ref('campaign_reach') }} group by all having count(*) > 1
union all
select 'grants_public', grant_key, count(*)
from {{ ref('grants_public') }} group by all having count(*) > 1
