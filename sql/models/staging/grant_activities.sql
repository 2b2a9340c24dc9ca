with linking as (
    select grant_key, iati_identifier, string_agg(method, '+' order by method) as method
    from {{ ref('link_candidates') }}
    where method in ('decision_reference', 'identifier')
    group by grant_key, iati_identifier
)

select grant_key, iati_identifier, method
from linking
qualify count(*) over (partition by grant_key) = 1
