-- Codes in the marts exist in the reference tables: countries (ISO 3166 alpha-3),
-- DAC categories, départements. 'unallocated' / 'inconnu' are the documented fallbacks;
-- IATI region codes are kept as regions.
{{ config(meta={'dagster': {'ref': {'name': 'funding_by_country'}}}) }}
select 'country' as kind, country_code as code
from {{ ref('funding_by_country') }}
where location_kind = 'country' and country_code not in (select alpha3 from {{ source('ref', 'countries') }})
union all
select 'dac_category', category_code
from {{ ref('funding_by_sector') }}
where category_code <> 'unallocated' and category_code not in (select code3 from {{ source('ref', 'dac_categories') }})
union all
select 'departement', departement_code
from {{ ref('jobs_by_departement') }}
where departement_code <> 'inconnu' and departement_code not in (select code from {{ source('ref', 'departements') }})
union all
select 'departement', departement_code
from {{ ref('campaign_reach') }}
where departement_code <> 'inconnu' and departement_code not in (select code from {{ source('ref', 'departements') }})
