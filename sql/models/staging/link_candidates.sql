with grants as (
    select grant_key, attribuant_id, reference_decision, beneficiary_siret, beneficiary_name, purpose
    from {{ ref('grants') }}
),

activities as (
    select a.iati_identifier, a.reporting_org_ref, a.grant_reference, a.title
    from {{ source('iati', 'activities') }} as a
    semi join {{ ref('activity_copies') }} as k
        on k.iati_identifier = a.iati_identifier and k.source_file = a.source_file
        and k.activity_row = a.source_row and k.counted
),

implementers as (
    select distinct iati_identifier, ref, lower(trim(name)) as name_key
    from {{ source('iati', 'participating_orgs') }}
    where role = '4'
),

-- the activities each granting body published (its identifier ends their reporting-org ref),
-- matched once per distinct body (a handful); each method below is then an equality join on
-- the body and a key, never every grant against every activity of its body (25 M pairs on the
-- sample, seconds of string work)
published_by as (
    select b.attribuant_id, a.iati_identifier, a.reporting_org_ref, a.grant_reference, a.title,
        -- `identifier`: iati-identifier = reporting-org ref + '-' + referenceDecision, so the
        -- decision is what follows that prefix
        case when starts_with(a.iati_identifier, a.reporting_org_ref || '-')
            then a.iati_identifier[length(a.reporting_org_ref) + 2:] end as identifier_decision,
        lower(trim(a.title)) as title_key
    from (select distinct attribuant_id from grants where attribuant_id is not null) as b
    inner join activities as a on coalesce(a.reporting_org_ref, '') like '%' || b.attribuant_id
)

select g.grant_key, p.iati_identifier, 'decision_reference' as method
from grants as g
inner join published_by as p on p.attribuant_id = g.attribuant_id and p.grant_reference = g.reference_decision
union
select g.grant_key, p.iati_identifier, 'identifier'
from grants as g
inner join published_by as p on p.attribuant_id = g.attribuant_id and p.identifier_decision = g.reference_decision
union
select g.grant_key, p.iati_identifier, 'beneficiary_title'
from grants as g
inner join published_by as p on p.attribuant_id = g.attribuant_id and p.title_key = lower(trim(g.purpose))
inner join implementers as i on i.iati_identifier = p.iati_identifier
where i.ref = 'FR-SIRET-' || g.beneficiary_siret or i.name_key = lower(trim(g.beneficiary_name))
