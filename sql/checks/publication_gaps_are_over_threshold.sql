-- The analyst's list holds only grants above 23,000 € and fields the SCDL schema requires.
{{ config(meta={'dagster': {'ref': {'name': 'publication_gaps'}}}) }}
select grant_key, amount_eur, missing_field
from {{ ref('publication_gaps') }}
where amount_eur <= 23000
    or missing_field not in ('nomAttribuant', 'idAttribuant', 'dateConvention', 'nomBeneficiaire', 'objet',
                             'montant', 'nature', 'conditionsVersement', 'datesPeriodeVersement',
                             'notificationUE', 'pourcentageSubvention')
