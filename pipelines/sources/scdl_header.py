"""SCDL header: column names and their spellings across versions, and where the header row is."""

from __future__ import annotations

from pipelines.sources.common import SourceError
from pipelines.sources.scdl_values import _fold

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".ods"}
BLOCKING_COLUMNS = ("nomBeneficiaire", "montant", "dateConvention")
# Required by the SCDL schema but absent from older real formats: tolerated (null + warning).
SCDL_REQUIRED = (
    "nomAttribuant",
    "idAttribuant",
    "objet",
    "nature",
    "conditionsVersement",
    "datesPeriodeVersement",
    "notificationUE",
    "pourcentageSubvention",
)
# Old formats split the payment period into two columns; internal names, not SCDL ones.
_VERSEMENT_DEBUT = "_versementDebut"
_VERSEMENT_FIN = "_versementFin"

# Canonical SCDL name -> header spellings seen in SCDL 1.x/2.x, the 2018 DataSubvention
# format, the older etalab format and real files (schema titles and their variants).
_ALIASES: dict[str, tuple[str, ...]] = {
    "nomAttribuant": ("ATTRIBUANT_NOM", "COLL_NOM", "Nom de l'attribuant", "Nom de l'attributaire"),
    "idAttribuant": (
        "ATTRIBUANT_ID", "COLL_SIRET", "Identification de l'attribuant",
        "Identification de l'attribuant (SIRET)", "Identification de l'attributaire (SIRET)",
        "Identification de l'attributaire",
    ),
    "dateConvention": (
        "CONVENTION_DATE", "ACTE_DATE", "Date de la convention de subvention",
        "Date de la convention", "date convention",
    ),
    "referenceDecision": ("DECISION_REF", "ACTE_REF", "Référence de la décision"),
    "nomBeneficiaire": ("BENEFICIAIRE_NOM", "ATTRIB_NOM", "Nom du bénéficiaire", "NOM"),
    "idBeneficiaire": (
        "BENEFICIAIRE_ID", "ATTRIB_SIRET", "SIRET_ORG", "Identification du bénéficiaire",
        "Identification du bénéficiaire (SIRET)",
    ),
    "rnaBeneficiaire": ("BENEFICIAIRE_RNA", "Identification RNA du bénéficiaire"),
    "objet": ("SUBVENTION_OBJET", "SUB_OBJET", "SUB_OBJ", "Objet de la subvention",
              "Présentation de la demande"),
    "montant": ("SUBVENTION_MONTANT", "SUB_MONTANT", "Montant total de la subvention",
                "Montant octroyé", "Montant"),
    "nature": ("SUBVENTION_NATURE", "SUB_NATURE", "Nature de la subvention"),
    "conditionsVersement": (
        "CONDITIONS_VERSEMENT", "SUB_VERSEMENT", "Conditions de versement",
        "Condition de versement", "Conditions de versement de la subvention",
    ),
    "datesPeriodeVersement": (
        "DATE_PERIODE_VERSEMENT", "DATES_PERIODE_VERSEMENT", "Date ou période de versement",
        "Date(s) ou période(s) de versement",
    ),
    _VERSEMENT_DEBUT: ("SUB_DATE_DEBUT",),
    _VERSEMENT_FIN: ("SUB_DATE_FIN",),
    "idRAE": ("RAE_NUM", "Numéro unique de référencement au RAE",
              "Identifiant RAE de l'aide au titre de laquelle la subvention est attribuée"),
    "notificationUE": (
        "NOTIF_UE", "NOTIF_EU", "Notification à la commission européenne",
        "Aide d'Etat notifiée à la Commission Européenne",
        "Aide d'Etat notifié à la Commission européenne", "Notification de minimis",
    ),
    "pourcentageSubvention": (
        "SUBVENTION_POURCENTAGE",
        "Pourcentage du montant total de la subvention attribuée au bénéficiaire",
        "Pourcentage du montant de la subvention attribuée au bénéficiaire",
    ),
    "dispositifAide": ("SUB_DISPOSITIF", "Identifiant référençant le dispositif d'aide à l'origine de la subvention"),
}

_HEADER_SCAN_ROWS = 20

_HEADER_LOOKUP: dict[str, str] = {}
for _canon, _spellings in _ALIASES.items():
    for _s in (_canon, *_spellings):
        _HEADER_LOOKUP[_fold(_s)] = _canon


def canonical_column(header: str) -> str | None:
    """The SCDL column a header cell names, or None for a non-schema column."""
    return _HEADER_LOOKUP.get(_fold(header))


def _is_blank(cells: list[str]) -> bool:
    return all(not c.strip() for c in cells)


def _find_header(records: list[tuple[int, list[str]]]) -> int | None:
    """Index of the first record naming every blocking column, or None."""
    for i, (_, cells) in enumerate(records[:_HEADER_SCAN_ROWS]):
        mapped = {canonical_column(c) for c in cells}
        if all(col in mapped for col in BLOCKING_COLUMNS):
            return i
    return None


def _header_error(name: str, records: list[tuple[int, list[str]]]) -> SourceError:
    candidates = [(line, cells) for line, cells in records[:_HEADER_SCAN_ROWS] if not _is_blank(cells)]
    if not candidates:
        return SourceError(name, "1", "no header row found")
    line, cells = max(candidates, key=lambda r: len({canonical_column(c) for c in r[1]} - {None}))
    mapped = {canonical_column(c) for c in cells}
    missing = [c for c in BLOCKING_COLUMNS if c not in mapped]
    return SourceError(name, str(line), f"missing required column(s) {', '.join(missing)}"
                       f" (header: {', '.join(c for c in cells if c)})")

