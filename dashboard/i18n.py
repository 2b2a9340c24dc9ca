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
