with source as (
    select * from {{ source('grants', 'grants') }}
),

organisations as (
    select siret, legal_category, org_type from {{ ref('organisations') }}
),

known_organisations as (
    select distinct lower(trim(name)) as name_key
    from {{ ref('organisations') }}
    where coalesce(legal_category, '') not like '1%' and name is not null
    union
    select distinct lower(trim(g.beneficiaire_nom))
    from source as g
    left join organisations as o on o.siret = g.beneficiaire_id
    where (g.beneficiaire_id is not null or g.beneficiaire_siren is not null or g.rna_beneficiaire is not null)
        and coalesce(o.legal_category, '') not like '1%'
        -- a sole trader's SIRET is no evidence that their name is an organisation's
        and not (o.legal_category is null and g.rna_beneficiaire is null
                 and coalesce(g.name_reads_as_sole_trader, false))
),

deduplicated as (
    -- the same line delivered twice (a file dropped twice, a line repeated) counts once;
    -- two grants that only look alike (same name and amount, other year or other cells) stay two
    select *
    from source
    qualify row_number() over (partition by record_hash order by source_file, source_row) = 1
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
        g.beneficiaire_siren as beneficiary_siren,
        g.rna_beneficiaire as beneficiary_rna,
        g.beneficiaire_nom as beneficiary_name,
        (
            coalesce(o.legal_category, '') like '1%'
            or coalesce(g.flags, '') like '%natural_person%'
            or (
                g.beneficiaire_id is null and g.beneficiaire_siren is null and g.rna_beneficiaire is null
                and k.name_key is null and coalesce(g.name_reads_as_person, false)
            )
            -- a sole trader: a SIRET/SIREN whose legal category is unknown (not in the directory),
            -- no RNA (an association), and a name that reads as a person's on stronger evidence
            or (
                (g.beneficiaire_id is not null or g.beneficiaire_siren is not null) and o.legal_category is null
                and g.rna_beneficiaire is null and k.name_key is null
                and coalesce(g.name_reads_as_sole_trader, false)
            )
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
    beneficiary_siren,
    beneficiary_rna,
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
