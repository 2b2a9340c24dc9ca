"""The region's grants of one year as an SCDL `subventions` 2.1.1 CSV (`export_scdl`).

What is written
- UTF-8 (no BOM), `,` separator, RFC 4180 quoting, CRLF line ends; the header is the 16
  field names of the shipped schema (`data/schemas/scdl_subventions_2.1.1.json`, the
  official one copied unchanged), in the schema's order; one row per grant of the year
  (`staging.grants`: exact repeated lines already removed), sorted by `dateConvention`,
  `referenceDecision`, then the grant's source file and line (`grant_key`).
- Every value comes from `raw.grants` (what the reader read, see docs/data-contracts.md),
  joined on (source_file, source_row), only reformatted: dates YYYY-MM-DD; `montant` and
  `pourcentageSubvention` as plain decimals with a `.` (the warehouse's exact DECIMAL without
  its trailing zeros, never in scientific notation, no thousands separator);
  `notificationUE` as `oui`/`non` (the schema's trueValues/falseValues: frictionless refuses
  `true`/`false` for this field); `datesPeriodeVersement` as `YYYY-MM-DD` (one day) or
  `YYYY-MM-DD/YYYY-MM-DD`.
- Natural persons (`staging.grants.is_natural_person`, see docs/money-rules.md) cannot be
  identified (CRPA art. L.312-1-2): `nomBeneficiaire` = "Personne physique", `objet` =
  "Subvention à une personne physique", `idBeneficiaire` and `rnaBeneficiaire` empty. The
  amount, dates, decision reference, programme and payment terms stay.
- Nothing is invented: a value the pipeline does not know (a bare year for a date, a payment
  period that could not be read, a missing nature...) is left empty. Each required field
  left empty is listed in `ExportReport.missing` as (grant_key, field).
- Values are not repaired either: a value the reader kept although the schema refuses it
  (a nature outside the list, an objet over 256 characters, an idRAE over 5) is written
  as read, and the validation says so.

Validation: `validate_scdl` runs frictionless (a runtime dependency since the exports are
published with each snapshot) against the shipped schema. Should it be missing (a trimmed
install), the export still works and its report says validation was not run
(`validation["ran"] is False`, `validation["valid"] is None`): it never claims valid.
frictionless does not run the schema's `custom_checks` (Validata's `french-siret-value` and
`one-of-required` idBeneficiaire/rnaBeneficiaire): SIRETs are checked by the reader (an
invalid one is not in the warehouse), and the grants written with neither identifier are
listed in `ExportReport.no_identifier` (natural persons apart: the law forbids identifying
them, so they necessarily fail `one-of-required`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from pipelines.export import warehouse_connection
from pipelines.inert import inert_cell
from pipelines.settings import DATA_DIR

SCHEMA_PATH = DATA_DIR / "schemas" / "scdl_subventions_2.1.1.json"
PERSON_NAME = "Personne physique"
PERSON_OBJET = "Subvention à une personne physique"
FIRST_ERRORS = 20  # errors quoted in the validation summary

_QUERY = """
select
    s.grant_key, s.is_natural_person,
    r.attribuant_nom, r.attribuant_id, r.date_convention, r.reference_decision,
    r.beneficiaire_nom, r.beneficiaire_id, r.rna_beneficiaire, r.objet, r.montant_eur,
    r.nature, r.conditions_versement, r.versement_debut, r.versement_fin, r.id_rae,
    r.notification_ue, r.pourcentage_subvention, r.dispositif_aide
from staging.grants as s
join raw.grants as r
    on r.source_file = s.source_file and r.source_row = s.source_row
where s.year = ?
order by r.date_convention nulls last, r.reference_decision nulls last, s.source_file, s.source_row
"""


@dataclass
class ExportReport:
    path: Path
    year: int
    rows: int
    total: Decimal  # sum of the written amounts, exact
    missing: list[tuple[str, str]] = field(default_factory=list)  # (grant_key, required field left empty)
    natural_persons: int = 0  # rows written as "Personne physique"
    no_identifier: list[str] = field(default_factory=list)  # organisations' grants with no SIRET and no RNA
    validation: dict[str, Any] = field(default_factory=dict)  # see validate_scdl

    def summary_lines(self) -> list[str]:
        v = self.validation
        if not v.get("ran"):
            checked = f"NOT validated ({v.get('reason', 'validation not run')})"
        else:
            checked = "valid SCDL 2.1.1" if v["valid"] else f"INVALID: {v['errors']} errors (frictionless)"
        lines = [f"{self.path}: {self.rows} grants of {self.year}, {self.total:.2f} €, {checked}"]
        lines += [f"  {e}" for e in v.get("first_errors", [])]
        if self.missing:
            lines.append(f"  {len(self.missing)} required values unknown, left empty:")
            lines += [f"    {key}: {name}" for key, name in self.missing]
        if self.natural_persons:
            lines.append(f"  {self.natural_persons} grants to natural persons written as '{PERSON_NAME}' "
                         "(CRPA art. L.312-1-2)")
        if self.no_identifier:
            lines.append(f"  {len(self.no_identifier)} grants to organisations with no valid SIRET or RNA known "
                         "(SCDL check one-of-required): " + ", ".join(self.no_identifier))
        return lines


def load_schema(schema_path: Path = SCHEMA_PATH) -> dict[str, Any]:
    return json.loads(Path(schema_path).read_text(encoding="utf-8"))


def decimal_text(value: Decimal | float | None) -> str:
    """An amount as the plain decimal it was read from, fixed point: the warehouse's exact
    DECIMAL without its trailing zeros (a float, if one comes: its shortest repr)."""
    if value is None:
        return ""
    number = value.normalize() if isinstance(value, Decimal) else Decimal(repr(float(value)))
    if number == 0:
        return "0"
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return format(number, "f")


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else ""


def _period(start: dt.date | None, end: dt.date | None) -> str:
    if start is None:
        return ""
    if end is None or end == start:
        return start.isoformat()
    return f"{start.isoformat()}/{end.isoformat()}"


def _text(value: str | None) -> str:
    return value if value is not None else ""


def _scdl_row(g: dict[str, Any]) -> dict[str, str]:
    person = bool(g["is_natural_person"])
    notification = g["notification_ue"]
    return {
        "nomAttribuant": _text(g["attribuant_nom"]),
        "idAttribuant": _text(g["attribuant_id"]),
        "dateConvention": _date(g["date_convention"]),
        "referenceDecision": _text(g["reference_decision"]),
        "nomBeneficiaire": PERSON_NAME if person else _text(g["beneficiaire_nom"]),
        "idBeneficiaire": "" if person else _text(g["beneficiaire_id"]),
        "rnaBeneficiaire": "" if person else _text(g["rna_beneficiaire"]),
        "objet": PERSON_OBJET if person else _text(g["objet"]),
        "montant": decimal_text(g["montant_eur"]),
        "nature": _text(g["nature"]),
        "conditionsVersement": _text(g["conditions_versement"]),
        "datesPeriodeVersement": _period(g["versement_debut"], g["versement_fin"]),
        "idRAE": _text(g["id_rae"]),
        "notificationUE": "" if notification is None else ("oui" if notification else "non"),
        "pourcentageSubvention": decimal_text(g["pourcentage_subvention"]),
        "dispositifAide": _text(g["dispositif_aide"]),
    }


def export_scdl(warehouse: Path, year: int, out: Path, schema_path: Path = SCHEMA_PATH) -> ExportReport:
    """Write the grants of `year` held in `warehouse` as an SCDL 2.1.1 CSV at `out`, validate it."""
    schema = load_schema(schema_path)
    fields = [f["name"] for f in schema["fields"]]
    required = [f["name"] for f in schema["fields"] if f.get("constraints", {}).get("required")]
    # free text from the source files: made inert for spreadsheets (pipelines/inert.py)
    texts = [f["name"] for f in schema["fields"] if f.get("type", "string") == "string"]
    with warehouse_connection(warehouse) as conn:
        cursor = conn.execute(_QUERY, [year])
        names = [d[0] for d in cursor.description]
        grants = [dict(zip(names, row)) for row in cursor.fetchall()]

    rows = [_scdl_row(g) for g in grants]
    rows = [{**row, **{name: inert_cell(row[name]) for name in texts}} for row in rows]
    missing: list[tuple[str, str]] = []
    no_identifier: list[str] = []
    for g, row in zip(grants, rows):
        if set(row) != set(fields):  # the shipped schema and this mapping must agree
            raise ValueError(f"SCDL fields differ from the schema's: {sorted(set(row) ^ set(fields))}")
        missing += [(g["grant_key"], name) for name in required if row[name] == ""]
        if not g["is_natural_person"] and not row["idBeneficiaire"] and not row["rnaBeneficiaire"]:
            no_identifier.append(g["grant_key"])

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(partial, out)  # a reader never sees half a file

    return ExportReport(
        path=out,
        year=year,
        rows=len(rows),
        total=sum((Decimal(g["montant_eur"]) for g in grants), Decimal(0)),  # exact DECIMALs
        missing=missing,
        natural_persons=sum(1 for g in grants if g["is_natural_person"]),
        no_identifier=no_identifier,
        validation=validate_scdl(out, schema_path),
    )


def validate_scdl(path: Path, schema_path: Path = SCHEMA_PATH) -> dict[str, Any]:
    """Validate an SCDL CSV with frictionless against `schema_path`.

    Returns {"ran": bool, "valid": bool | None, "errors": int | None, "first_errors": [str],
    "reason": str}. Should frictionless be missing, "ran" is False and
    "valid" None — an export that was not validated is never said to be valid.
    """
    try:
        from frictionless import Resource, Schema
    except ImportError:
        return {"ran": False, "valid": None, "errors": None, "first_errors": [],
                "reason": "frictionless is not installed: validation not run"}
    path = Path(path)
    schema = Schema.from_descriptor(load_schema(schema_path))
    # a relative name under a basepath: frictionless refuses absolute paths outside its basepath
    report = Resource(path.name, basepath=str(path.parent), schema=schema,
                      format="csv", encoding="utf-8").validate()
    errors = [e for task in report.tasks for e in task.errors] + list(report.errors)
    first = []
    for e in errors[:FIRST_ERRORS]:
        where = ", ".join(x for x in (
            f"row {e.row_number}" if getattr(e, "row_number", None) else "",
            getattr(e, "field_name", "") or "",
        ) if x)
        first.append(f"{where + ': ' if where else ''}{e.type}: {e.message}")
    return {"ran": True, "valid": bool(report.valid), "errors": int(report.stats["errors"]),
            "first_errors": first,
            "reason": "frictionless "
                      f"{_frictionless_version()} against {Path(schema_path).name} "
                      "(the schema's custom_checks are Validata's and not run)"}


def _frictionless_version() -> str:
    try:
        from importlib.metadata import version
        return version("frictionless")
    except Exception:  # noqa: BLE001 - a version string is only informative
        return "?"
