-- No natural person's name or SIRET reaches the public grants list (CRPA art. L.312-1-2).
{{ config(meta={'dagster': {'ref': {'name': 'grants_public'}}}) }}
select p.grant_key, p.beneficiary_name
from {{ ref('grants_public') }} as p
inner join {{ ref('grants') }} as g on g.grant_key = p.grant_key
where g.is_natural_person
    and (p.beneficiary_name = g.beneficiary_name or p.beneficiary_siret is not null or p.purpose is not null)
