with published as (
    select g.grant_key, g.year, g.amount_eur, g.is_natural_person, g.reference_decision,
        g.beneficiary_name, r.*
    from {{ ref('grants') }} as g
    inner join {{ source('grants', 'grants') }} as r on r.source_file = g.source_file and r.source_row = g.source_row
    where g.amount_eur > 23000
),

fields as (
    select grant_key, year, amount_eur, is_natural_person, reference_decision, beneficiary_name,
        unnest([
            {'field': 'nomAttribuant', 'known': attribuant_nom is not null},
            {'field': 'idAttribuant', 'known': attribuant_id is not null and length(attribuant_id) = 14},
            {'field': 'dateConvention', 'known': date_convention is not null},
            {'field': 'nomBeneficiaire', 'known': beneficiaire_nom is not null},
            {'field': 'objet', 'known': objet is not null},
            {'field': 'montant', 'known': montant_eur is not null},
            {'field': 'nature', 'known': nature is not null},
            {'field': 'conditionsVersement', 'known': conditions_versement is not null},
            {'field': 'datesPeriodeVersement', 'known': versement_debut is not null},
            {'field': 'notificationUE', 'known': notification_ue is not null},
            {'field': 'pourcentageSubvention', 'known': pourcentage_subvention is not null}
        ]) as f,
    from published
)

select
    year,
    grant_key,
    reference_decision,
    case when is_natural_person then null else beneficiary_name end as beneficiary_name,
    amount_eur,
    f.field as missing_field,
from fields
where not f.known
