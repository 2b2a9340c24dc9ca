-- Codes in the marts exist in the reference tables: countries (ISO 3166 alpha-3),
-- DAC categories, départements. 'unallocated' / 'inconnu' are the documented fallbacks;
-- IATI region codes are kept as regions.
select 'country' as kind, country_code as code
from marts.funding_by_country
where location_kind = 'country' and country_code not in (select alpha3 from ref.countries)
union all
select 'dac_category', category_code
from marts.funding_by_sector
where category_code <> 'unallocated' and category_code not in (select code3 from ref.dac_categories)
union all
select 'departement', departement_code
from marts.jobs_by_departement
where departement_code <> 'inconnu' and departement_code not in (select code from ref.departements)
union all
select 'departement', departement_code
from marts.campaign_reach
where departement_code <> 'inconnu' and departement_code not in (select code from ref.departements)
