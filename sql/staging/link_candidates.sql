-- Every way a grant may be tied to an IATI activity reported by its own authority
-- (reporting-org ref ending with the grant's idAttribuant), each with its method:
-- `decision_reference` (<other-identifier type="A1" ref="{referenceDecision}">),
-- `identifier` (iati-identifier = reporting-org ref + '-' + referenceDecision), and
-- `beneficiary_title` (the implementing organisation is the grant's beneficiary, by
-- SIRET ref or name, and the activity's title is the grant's purpose). The first two link
-- (staging.grant_activities) when they point to one activity only; beneficiary + title is a
-- suggestion an analyst confirms, never a link (docs/money-rules.md).
with grants as (
    select grant_key, attribuant_id, reference_decision, beneficiary_siret, beneficiary_name, purpose
    from staging.grants
),

activities as (
    select a.iati_identifier, a.reporting_org_ref, a.grant_reference, a.title
    from raw.activities as a
    semi join staging.activity_copies as k
        on k.iati_identifier = a.iati_identifier and k.source_file = a.source_file
        and k.activity_row = a.source_row and k.counted
),

implementers as (
    select distinct iati_identifier, ref, lower(trim(name)) as name_key
    from raw.participating_orgs
    where role = '4'
),

own as (
    select g.*, a.iati_identifier, a.reporting_org_ref, a.grant_reference, a.title
    from grants as g
    inner join activities as a on coalesce(a.reporting_org_ref, '') like '%' || g.attribuant_id
    where g.attribuant_id is not null
)

select grant_key, iati_identifier, 'decision_reference' as method
from own
where grant_reference = reference_decision
union
select grant_key, iati_identifier, 'identifier'
from own
where reference_decision is not null and iati_identifier = reporting_org_ref || '-' || reference_decision
union
select o.grant_key, o.iati_identifier, 'beneficiary_title'
from own as o
inner join implementers as i on i.iati_identifier = o.iati_identifier
where lower(trim(o.title)) = lower(trim(o.purpose))
    and (i.ref = 'FR-SIRET-' || o.beneficiary_siret or i.name_key = lower(trim(o.beneficiary_name)))
