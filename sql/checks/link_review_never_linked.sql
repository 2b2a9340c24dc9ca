-- A link left to the analyst (ambiguous or suggested) is never also made: no grant in
-- marts.link_review is in staging.grant_activities.
{{ config(meta={'dagster': {'ref': {'name': 'link_review'}}}) }}
select r.grant_key, r.review, r.iati_identifier
from {{ ref('link_review') }} as r
inner join {{ ref('grant_activities') }} as l on l.grant_key = r.grant_key
