-- One row per grant, with its programme and the kind of beneficiary.
-- A beneficiary is a natural person when the directory gives an individual's legal
-- category (1xxx), when the file flags it, or when the grant has no valid SIRET and the
-- name is not known as an organisation (in the directory, or with a valid SIRET in
-- another grant — a mistyped SIRET does not turn a town hall into a person). Such names
-- never leave the warehouse (CRPA art. L.312-1-2), but their amounts still count.
with source as (
    select * from raw.grants
),

organisations as (
    select siret, legal_category, org_type from staging.organisations
),

known_organisations as (
    select distinct lower(trim(name)) as name_key
    from staging.organisations
    where coalesce(legal_category, '') not like '1%' and name is not null
    union
    select distinct lower(trim(g.beneficiaire_nom))
    from source as g
    left join organisations as o on o.siret = g.beneficiaire_id
    where g.beneficiaire_id is not null and coalesce(o.legal_category, '') not like '1%'
),

deduplicated as (
    -- the same grant delivered twice (a file dropped twice, a repeated row) counts once
    select *
    from source
    qualify row_number() over (
        partition by attribuant_id, reference_decision, beneficiaire_id, beneficiaire_nom,
                     date_convention, montant_eur
        order by source_file, source_row
    ) = 1
),

classified as (
    select
        g.source_file || ':' || g.source_row as grant_key,
        g.year,
        coalesce(nullif(trim(g.dispositif_aide), ''), 'Non renseigné') as programme,
        g.attribuant_id,
        g.attribuant_nom,
        g.reference_decision,
        g.date_convention,
        g.beneficiaire_id as beneficiary_siret,
        g.beneficiaire_nom as beneficiary_name,
        (
            (g.beneficiaire_id is null and k.name_key is null)
            or coalesce(o.legal_category, '') like '1%'
            or coalesce(g.flags, '') like '%natural_person%'
        ) as is_natural_person,
        g.objet as purpose,
        g.montant_eur as amount_eur,
        o.org_type,
        g.source_file,
        g.source_row,
    from deduplicated as g
    left join organisations as o
        on o.siret = g.beneficiaire_id
    left join known_organisations as k
        on k.name_key = lower(trim(g.beneficiaire_nom))
)

select
    grant_key,
    year,
    programme,
    attribuant_id,
    attribuant_nom,
    reference_decision,
    date_convention,
    beneficiary_siret,
    beneficiary_name,
    is_natural_person,
    case
        when is_natural_person then 'personne_physique'
        else coalesce(org_type, 'non_renseigne')
    end as beneficiary_type,
    purpose,
    amount_eur,
    source_file,
    source_row,
from classified
