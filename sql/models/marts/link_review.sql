with linked as (
    select grant_key from {{ ref('grant_activities') }}
),

linked_activities as (
    select distinct iati_identifier from {{ ref('grant_activities') }}
),

ambiguous as (
    select c.grant_key, c.iati_identifier, c.method, 'ambiguous' as review
    from {{ ref('link_candidates') }} as c
    where c.method in ('decision_reference', 'identifier')
        and c.grant_key not in (select grant_key from linked)
),

suggested as (
    select c.grant_key, c.iati_identifier, c.method, 'suggested'
    from {{ ref('link_candidates') }} as c
    where c.method = 'beneficiary_title'
        and c.grant_key not in (select grant_key from linked)
        and c.iati_identifier not in (select iati_identifier from linked_activities)
)

select g.year, g.programme, r.review, r.method, r.grant_key, g.reference_decision,
    case when g.is_natural_person then null else g.beneficiary_name end as beneficiary_name,
    g.amount_eur, r.iati_identifier,
from (select * from ambiguous union all select * from suggested) as r
inner join {{ ref('grants') }} as g on g.grant_key = r.grant_key
