"""Organisations directory and jobs-per-year CSV readers.

Both files are checked against their Table Schemas (`data/schemas/organisations.schema.json`,
`data/schemas/jobs.schema.json`) by `validate_rows`; this module only adds what a
Table Schema cannot say: the SIRET checksum, and that FTE normally does not exceed
headcount. Output columns follow docs/data-contracts.md (`organisations`, `jobs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.sources.common import Problem, ReadResult
from pipelines.sources.contracts import JOB_TABLES, ORGANISATION_TABLES
from pipelines.sources.local.delimited import DelimitedTable, read_delimited
from pipelines.sources.siret import SIRET_CLEANED, clean_siret, is_valid_siret
from pipelines.sources.local.table_schema import CheckedRow, load_schema, validate_rows

# Raw French header -> contract column.
ORGANISATION_COLUMNS = {
    "siret": "siret",
    "nom": "name",
    "categorie_juridique": "legal_category",
    "code_naf": "naf_code",
    "code_commune": "commune_code",
    "code_postal": "postcode",
    "type_structure": "org_type",
}
JOB_COLUMNS = {
    "siret": "siret",
    "annee": "year",
    "effectif": "headcount",
    "etp": "fte",
    "benevoles": "volunteers",
}


def clean_siret_cells(table: DelimitedTable, fields: list[str]) -> dict[tuple[int, str], Problem]:
    """Undo spreadsheet damage to SIRET cells in place ("380 475 558 00058" -> 14 digits).

    Only a value that becomes a valid SIRET is replaced (warning `siret_cleaned`);
    anything else is left for the schema pattern and checksum to reject as written.
    Returns the warnings keyed by (line, field), to attach to the checked rows.
    """
    warnings: dict[tuple[int, str], Problem] = {}
    for line, row in table.rows:
        for name in fields:
            raw = row.get(name)
            if raw is None or (len(raw) == 14 and raw.isdigit()):
                continue
            cleaned, flags = clean_siret(raw)
            if cleaned is not None and SIRET_CLEANED in flags:
                row[name] = cleaned
                warnings[(line, name)] = Problem(
                    table.source_file, str(line), table.labels.get(name, name), raw,
                    f"{SIRET_CLEANED}: read as {cleaned}", "warning",
                )
    return warnings


def check_siret_key(row: CheckedRow, name: str, label: str, source_file: str, severity: str = "error") -> bool:
    """Add a `siret_checksum` problem when a 14-digit SIRET fails its key; True if it did."""
    value = row.values.get(name)
    if value is None or is_valid_siret(value):
        return False
    row.problems.append(Problem(
        source_file, str(row.source_row), label, value,
        "siret_checksum: 14 digits but the Luhn key is wrong (typo?)", severity,
    ))
    return True


def checked_table(path: str | Path, schema_name: str, siret_fields: list[str]) -> tuple[DelimitedTable, list[CheckedRow]]:
    """Read a CSV and validate it against its schema, SIRET cells cleaned first."""
    schema = load_schema(schema_name)
    table = read_delimited(path, schema)
    cleaned = clean_siret_cells(table, siret_fields)
    checked = validate_rows(schema, table.rows, table.source_file, labels=table.labels)
    shape_errors: dict[str, list[Problem]] = {}
    for p in table.problems:
        shape_errors.setdefault(p.source_row, []).append(p)
    for row in checked:
        row.problems[:0] = shape_errors.pop(str(row.source_row), [])
        row.problems[:0] = [cleaned[k] for k in ((row.source_row, f) for f in siret_fields) if k in cleaned]
    return table, checked


def build_result(
    table: DelimitedTable,
    checked: list[CheckedRow],
    table_name: str,
    columns: Mapping[str, str],
    dtypes: Mapping[str, pl.DataType],
    extra: Mapping[str, Any] | None = None,
) -> ReadResult:
    """Accepted rows renamed to contract columns; every problem kept."""
    header_problems = [p for p in table.problems if p.source_row == "1"]
    records = [
        {
            "source_file": table.source_file,
            "source_row": row.source_row,
            **{out: row.values.get(raw) for raw, out in columns.items()},
            **(extra or {}),
        }
        for row in checked
        if row.ok
    ]
    frame = pl.DataFrame(records, schema=dict(dtypes), orient="row") if records else pl.DataFrame(schema=dict(dtypes))
    problems = header_problems + [p for row in checked for p in row.problems]
    return ReadResult(table.source_file, table.rows_read, {table_name: frame}, problems)


def read_organisations(path: str | Path) -> ReadResult:
    """Read an organisations directory CSV (`siret,nom,...,type_structure`) -> table `organisations`."""
    table, checked = checked_table(path, "organisations", ["siret"])
    for row in checked:
        check_siret_key(row, "siret", table.labels.get("siret", "siret"), table.source_file)
    return build_result(table, checked, "organisations", ORGANISATION_COLUMNS, ORGANISATION_TABLES["organisations"])


def read_jobs(path: str | Path) -> ReadResult:
    """Read a jobs CSV (`siret,annee,effectif,etp,benevoles`) -> table `jobs`."""
    table, checked = checked_table(path, "jobs", ["siret"])
    for row in checked:
        check_siret_key(row, "siret", table.labels.get("siret", "siret"), table.source_file)
        if row.values.get("etp") is not None:
            row.values["etp"] = float(row.values["etp"])  # the schema reads a Decimal; FTE is a Float64 figure
        fte, headcount = row.values.get("etp"), row.values.get("effectif")
        if fte is not None and headcount is not None and fte > headcount:
            # Nobody works more than full time, so this is likely a swapped column;
            # kept (the figure may still be right) but flagged.
            row.problems.append(Problem(
                table.source_file, str(row.source_row), table.labels.get("etp", "etp"), str(fte),
                f"fte_above_headcount: {fte} FTE for {headcount} employees", "warning",
            ))
    return build_result(table, checked, "jobs", JOB_COLUMNS, JOB_TABLES["jobs"])
