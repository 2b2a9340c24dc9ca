"""French first, English second: labels and number/date formats (Babel's CLDR data)."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

LANGS = ("fr", "en")
LOCALES = {"fr": "fr_FR", "en": "en_GB"}

LABELS: dict[str, dict[str, str]] = {
    "app_title": {"fr": "Solidarité internationale — impact", "en": "International solidarity — impact"},
    "overview": {"fr": "Vue d'ensemble", "en": "Overview"},
    "sample_banner": {
        "fr": "Données d'exemple générées : ces chiffres sont fictifs et ne sont pas des chiffres officiels.",
        "en": "Generated sample data: these figures are invented and are not official figures.",
    },
    "year": {"fr": "Année", "en": "Year"},
    "source_line": {"fr": "Sources : {sources}. Instantané du {built_at} (version {version}).",
                    "en": "Sources: {sources}. Snapshot of {built_at} (version {version})."},
    "sources": {
        "fr": "subventions (format SCDL), projets (IATI), annuaire des structures, emplois, agenda du Festival des Solidarités",
        "en": "grants (SCDL format), projects (IATI), organisations directory, jobs, Festival des Solidarités agenda",
    },
    "committed_eur": {"fr": "Montants engagés", "en": "Committed"},
    "disbursed_eur": {"fr": "Montants versés", "en": "Disbursed"},
    "partner_countries": {"fr": "Pays partenaires", "en": "Partner countries"},
    "grants": {"fr": "Subventions", "en": "Grants"},
    "ngos_funded": {"fr": "ONG soutenues", "en": "NGOs funded"},
    "jobs_headcount": {"fr": "Emplois", "en": "Jobs"},
    "jobs_fte": {"fr": "Emplois (ETP)", "en": "Jobs (FTE)"},
    "events": {"fr": "Animations", "en": "Events"},
    "participants": {"fr": "Participants", "en": "Participants"},
    "young_participants": {"fr": "Jeunes participants", "en": "Young participants"},
    "vs_last_year": {"fr": "{change} par rapport à {year}", "en": "{change} on {year}"},
    # the short phrases of the generated KPI sentences: "2024 : 9,8 M€ engagés"
    "phrase_committed_eur": {"fr": "engagés", "en": "committed"},
    "phrase_disbursed_eur": {"fr": "versés", "en": "disbursed"},
    "phrase_partner_countries": {"fr": "pays partenaires", "en": "partner countries"},
    "phrase_grants": {"fr": "subventions", "en": "grants"},
    "phrase_ngos_funded": {"fr": "ONG soutenues", "en": "NGOs funded"},
    "phrase_jobs_headcount": {"fr": "emplois", "en": "jobs"},
    "phrase_jobs_fte": {"fr": "emplois en ETP", "en": "full-time-equivalent jobs"},
    "phrase_events": {"fr": "animations", "en": "events"},
    "phrase_participants": {"fr": "participants", "en": "participants"},
    "phrase_young_participants": {"fr": "jeunes participants", "en": "young participants"},
    "of_target": {"fr": "{share} de l'objectif", "en": "{share} of target"},
    "not_found": {"fr": "Page introuvable", "en": "Page not found"},
    "back_home": {"fr": "Retour à la vue d'ensemble", "en": "Back to the overview"},
    "language": {"fr": "English", "en": "Français"},
    "no_data": {"fr": "Pas de données pour cette année.", "en": "No data for this year."},
    # officials' pages (issue 6): organisation types, page names, chart words
    "beneficiary_ong": {"fr": "ONG", "en": "NGOs"},
    "beneficiary_collectivite": {"fr": "Collectivités", "en": "Local authorities"},
    "beneficiary_etablissement_scolaire": {"fr": "Établissements scolaires", "en": "Schools"},
    "beneficiary_personne_physique": {"fr": "Particuliers", "en": "Individuals"},
    "beneficiary_cooperative": {"fr": "Coopératives", "en": "Cooperatives"},
    "beneficiary_commerce_equitable": {"fr": "Commerce équitable", "en": "Fair trade"},
    "beneficiary_autre": {"fr": "Autres structures", "en": "Other organisations"},
    "beneficiary_non_renseigne": {"fr": "Type non renseigné", "en": "Type not given"},
    "other_countries": {"fr": "Autres pays et régions", "en": "Other countries and regions"},
    "unallocated": {"fr": "Non affecté", "en": "Unallocated"},
    "flows": {"fr": "Flux", "en": "Flows"},
    "world": {"fr": "Où va l'argent", "en": "Where the money goes"},
    "sectors": {"fr": "Secteurs", "en": "Sectors"},
    "outcomes": {"fr": "Résultats", "en": "Outcomes"},
    "at_home": {"fr": "Dans la région", "en": "At home"},
    "grants_page": {"fr": "Subventions", "en": "Grants"},
    "data_quality": {"fr": "Qualité des données", "en": "Data quality"},
    "flows_title": {"fr": "Du programme au pays", "en": "From programme to country"},
    "org_type": {"fr": "Type de structure", "en": "Organisation type"},
    "category": {"fr": "Catégorie CAD", "en": "DAC category"},
    "sector": {"fr": "Secteur CAD", "en": "DAC sector"},
    "country_or_region": {"fr": "Pays ou région", "en": "Country or region"},
    "country": {"fr": "Pays", "en": "Country"},
    "map_title": {"fr": "Montants par pays", "en": "Amounts by country"},
    "regions_unallocated": {"fr": "Régions et montants non affectés à un pays",
                            "en": "Regions and amounts not placed in a country"},
    "iati_region": {"fr": "Région IATI {code}", "en": "IATI region {code}"},
    "per_capita_note": {"fr": "Montants absolus : la population n'est pas dans l'instantané, pas de montant par habitant.",
                        "en": "Absolute amounts: population is not in the snapshot, so no per-capita figures."},
    "sectors_title": {"fr": "Catégories et secteurs du CAD", "en": "DAC categories and sectors"},
    "see_grants": {"fr": "Voir les subventions de cette sélection", "en": "See the grants of this selection"},
    "outcomes_title": {"fr": "Indicateurs de résultats", "en": "Result indicators"},
    "indicator": {"fr": "Indicateur", "en": "Indicator"},
    "activity": {"fr": "Projet", "en": "Project"},
    "baseline": {"fr": "Référence", "en": "Baseline"},
    "target": {"fr": "Cible", "en": "Target"},
    "actual": {"fr": "Réalisé", "en": "Actual"},
    "achievement": {"fr": "Atteinte", "en": "Achievement"},
    "decision": {"fr": "Décision", "en": "Decision"},
    "jobs_map_title": {"fr": "Emplois par département", "en": "Jobs by département"},
    "reach_map_title": {"fr": "Participants au Festival par département", "en": "Festival participants by département"},
    "reach_title": {"fr": "Festival des Solidarités : animations et participants",
                    "en": "Festival des Solidarités: events and participants"},
    "organisations": {"fr": "Structures", "en": "Organisations"},
    "departement": {"fr": "Département", "en": "Département"},
    "volunteers": {"fr": "Bénévoles", "en": "Volunteers"},
    "map_credit": {"fr": "Fond de carte : MapSVG / Victor Cazanave, CC BY 4.0.",
                   "en": "Base map: MapSVG / Victor Cazanave, CC BY 4.0."},
    "date": {"fr": "Date", "en": "Date"},
    "beneficiary": {"fr": "Bénéficiaire", "en": "Beneficiary"},
    "purpose": {"fr": "Objet", "en": "Purpose"},
    "amount": {"fr": "Montant", "en": "Amount"},
    "grants_intro": {"fr": "{count} subventions, {total}. Les personnes physiques sont anonymisées.",
                     "en": "{count} grants, {total}. Natural persons are anonymised."},
    "search": {"fr": "Rechercher…", "en": "Search…"},
    "quality_intro": {"fr": "Lignes lues, acceptées et rejetées par source, couverture et fraîcheur des fichiers.",
                      "en": "Rows read, accepted and rejected per source, coverage and file freshness."},
    "source": {"fr": "Source", "en": "Source"},
    "metric": {"fr": "Mesure", "en": "Metric"},
    "value": {"fr": "Valeur", "en": "Value"},
    "latest_file": {"fr": "Fichier le plus récent", "en": "Latest file"},
    "rejections_title": {"fr": "Lignes rejetées ou signalées, par motif", "en": "Rejected or flagged rows, by reason"},
    "severity": {"fr": "Gravité", "en": "Severity"},
    "reason": {"fr": "Motif", "en": "Reason"},
    "rows": {"fr": "Lignes", "en": "Rows"},
    "analyst_note": {"fr": "Le détail ligne à ligne est réservé aux analystes (identifiants requis) : ",
                     "en": "Row-level detail is for analysts only (login required): "},
}


def lang_of(value: str | None) -> str:
    return value if value in LANGS else "fr"


def t(key: str, lang: str, **values: object) -> str:
    text = LABELS[key][lang_of(lang)]
    return text.format(**values) if values else text


def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, pattern, locale=LOCALES[lang_of(lang)])


def euros(value: float | None, lang: str) -> str:
    """`1 234 567 €` in French, `€1,234,567` in English."""
    if value is None:
        return "–"
    amount = number(round(value), lang)
    return f"{amount} €" if lang_of(lang) == "fr" else f"€{amount}"


def euros_short(value: float | None, lang: str) -> str:
    """`9,8 M€` / `€9.8M` for headline figures."""
    if value is None:
        return "–"
    if abs(value) >= 1_000_000:
        amount = format_decimal(value / 1_000_000, "#,##0.0", locale=LOCALES[lang_of(lang)])
        return f"{amount} M€" if lang_of(lang) == "fr" else f"€{amount}M"
    if abs(value) >= 1_000:
        amount = format_decimal(value / 1_000, "#,##0", locale=LOCALES[lang_of(lang)])
        return f"{amount} k€" if lang_of(lang) == "fr" else f"€{amount}k"
    return euros(value, lang)


def percent(share: float | None, lang: str, signed: bool = False) -> str:
    if share is None:
        return "–"
    pattern = "+#,##0%;-#,##0%" if signed else "#,##0%"
    text = format_percent(share, pattern, locale=LOCALES[lang_of(lang)])
    # French typography: a narrow no-break space before %, so "98 %" never wraps
    return text.replace("%", "\u202f%") if lang_of(lang) == "fr" else text


def day(value: date | datetime | str, lang: str) -> str:
    """`28 nov. 2026` / `28 Nov 2026`."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return format_date(value, "medium", locale=LOCALES[lang_of(lang)])
