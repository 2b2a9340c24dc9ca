-- Which IATI activity each grant funds: the activity its decision reference or identifier
-- points to (staging.link_candidates), when they point to exactly one. A grant two
-- activities claim is not linked — which one is meant is unknown — and is listed in
-- marts.link_review for an analyst; suggestions by beneficiary + title are listed there too.
with linking as (
    select grant_key, iati_identifier, string_agg(method, '+' order by method) as method
    from staging.link_candidates
    where method in ('decision_reference', 'identifier')
    group by grant_key, iati_identifier
)

select grant_key, iati_identifier, method
from linking
qualify count(*) over (partition by grant_key) = 1
