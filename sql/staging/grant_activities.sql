-- Which IATI activity each grant funds. An activity links to a grant when it carries
-- <other-identifier type="A1" ref="{referenceDecision}"> and is reported by the grant's
-- authority (reporting-org ref ending with its SIRET). One activity per grant at most.
with grants as (
    select grant_key, attribuant_id, reference_decision from staging.grants
),

activities as (
    select a.iati_identifier, a.reporting_org_ref, a.grant_reference
    from raw.activities as a
    semi join staging.activity_copies as k
        on k.iati_identifier = a.iati_identifier and k.source_file = a.source_file
        and k.activity_row = a.source_row and k.counted
)

select
    g.grant_key,
    min(a.iati_identifier) as iati_identifier,
from grants as g
inner join activities as a
    on a.grant_reference = g.reference_decision
    and coalesce(a.reporting_org_ref, '') like '%' || g.attribuant_id
group by g.grant_key
