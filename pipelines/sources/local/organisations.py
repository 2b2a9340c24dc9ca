"""Organisations directory and jobs-per-year CSV readers.

Both files are checked against their Table Schemas (`data/schemas/organisations.schema.json`,
`data/schemas/jobs.schema.json`) by `validate_rows`; this module only adds what a
Table Schema cannot say: the SIRET checksum, and that FTE normally does not exceed
headcount. Output columns follow docs/data-contracts.md (`organisations`, `jobs`).

Rows are read and checked one at a time and given in batches (`organisation_batches`,
`job_batches`: bounded memory, issue 19); `read_organisations` and `read_jobs` join a
file's batches into one result.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.sources.common import Problem, ReadResult
from pipelines.sources.contracts import JOB_TABLES, ORGANISATION_TABLES
from pipelines.sources.local.batches import BATCH_ROWS, file_batches, whole
from pipelines.sources.local.delimited import DelimitedStream, stream_delimited
from pipelines.sources.siret import SIRET_CLEANED, clean_siret, is_valid_siret
from pipelines.sources.local.table_schema import CheckedRow, iter_validate_rows, load_schema

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


def clean_siret_row(line: int, row: dict[str, str | None], fields: list[str], labels: Mapping[str, str],
                    source_file: str) -> list[Problem]:
    """Undo spreadsheet damage to a row's SIRET cells in place ("380 475 558 00058" -> 14 digits).

    Only a value that becomes a valid SIRET is replaced (warning `siret_cleaned`);
    anything else is left for the schema pattern and checksum to reject as written.
    Returns the warnings, in the order of `fields`, to put first among the row's problems.
    """
    warnings: list[Problem] = []
    for name in fields:
        raw = row.get(name)
        if raw is None or (len(raw) == 14 and raw.isdigit()):
            continue
        cleaned, flags = clean_siret(raw)
        if cleaned is not None and SIRET_CLEANED in flags:
            row[name] = cleaned
            warnings.append(Problem(source_file, str(line), labels.get(name, name), raw,
                                    f"{SIRET_CLEANED}: read as {cleaned}", "warning"))
    return warnings


def checked_rows(stream: DelimitedStream, schema: Mapping[str, Any],
                 clean: Callable[[int, dict[str, str | None]], list[Problem]]) -> Iterator[tuple[CheckedRow, dict]]:
    """Each row of `stream` checked against `schema`, one at a time, with its raw cells:
    its cleaning warnings (`clean` mends the cells in place first) and its cell-count error
    come before the schema's problems, as every local CSV reports them."""
    pending: deque[tuple[list[Problem], dict]] = deque()

    def cleaned_rows() -> Iterator[tuple[int, dict[str, str | None]]]:
        for line, row, shape in stream.rows:
            front = clean(line, row)
            if shape is not None:
                front.append(shape)
            pending.append((front, row))
            yield line, row

    for row in iter_validate_rows(schema, cleaned_rows(), stream.source_file, labels=stream.labels):
        front, raw_row = pending.popleft()
        row.problems[:0] = front
        yield row, raw_row


def checked_table(path: str | Path, schema_name: str, siret_fields: list[str]) -> tuple[DelimitedStream, Iterator[tuple[CheckedRow, dict]]]:
    """Open a CSV and check its rows as they are read against its schema, SIRET cells cleaned first."""
    schema = load_schema(schema_name)
    stream = stream_delimited(path, schema)
    return stream, checked_rows(stream, schema, partial(
        clean_siret_row, fields=siret_fields, labels=stream.labels, source_file=stream.source_file))


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


def contract_tables(table_name: str, columns: Mapping[str, str], dtypes: Mapping[str, pl.DataType],
                    source_file: str) -> Callable[[list[tuple[CheckedRow, Any]]], dict[str, pl.DataFrame]]:
    """A batch's accepted rows renamed to contract columns, as the frame of `table_name`."""
    def tables(batch: list[tuple[CheckedRow, Any]]) -> dict[str, pl.DataFrame]:
        records = [
            {"source_file": source_file, "source_row": row.source_row,
             **{out: row.values.get(raw) for raw, out in columns.items()}}
            for row, _ in batch
            if row.ok
        ]
        frame = pl.DataFrame(records, schema=dict(dtypes), orient="row") if records else pl.DataFrame(schema=dict(dtypes))
        return {table_name: frame}

    return tables


def organisation_batches(path: str | Path, batch_rows: int = BATCH_ROWS) -> Iterator[ReadResult]:
    """An organisations directory CSV in batches of `batch_rows` rows (`batches`)."""
    stream, rows = checked_table(path, "organisations", ["siret"])
    label = stream.labels.get("siret", "siret")

    def checked() -> Iterator[tuple[CheckedRow, dict]]:
        for row, raw_row in rows:
            check_siret_key(row, "siret", label, stream.source_file)
            yield row, raw_row

    tables = contract_tables("organisations", ORGANISATION_COLUMNS, ORGANISATION_TABLES["organisations"], stream.source_file)
    yield from file_batches(stream.source_file, stream.header_problems, checked(), batch_rows, tables)


def job_batches(path: str | Path, batch_rows: int = BATCH_ROWS) -> Iterator[ReadResult]:
    """A jobs CSV in batches of `batch_rows` rows (`batches`)."""
    stream, rows = checked_table(path, "jobs", ["siret"])
    labels, source_file = stream.labels, stream.source_file

    def checked() -> Iterator[tuple[CheckedRow, dict]]:
        for row, raw_row in rows:
            check_siret_key(row, "siret", labels.get("siret", "siret"), source_file)
            if row.values.get("etp") is not None:
                row.values["etp"] = float(row.values["etp"])  # the schema reads a Decimal; FTE is a Float64 figure
            fte, headcount = row.values.get("etp"), row.values.get("effectif")
            if fte is not None and headcount is not None and fte > headcount:
                # Nobody works more than full time, so this is likely a swapped column;
                # kept (the figure may still be right) but flagged.
                row.problems.append(Problem(
                    source_file, str(row.source_row), labels.get("etp", "etp"), str(fte),
                    f"fte_above_headcount: {fte} FTE for {headcount} employees", "warning",
                ))
            yield row, raw_row

    tables = contract_tables("jobs", JOB_COLUMNS, JOB_TABLES["jobs"], source_file)
    yield from file_batches(source_file, stream.header_problems, checked(), batch_rows, tables)


def read_organisations(path: str | Path) -> ReadResult:
    """Read an organisations directory CSV (`siret,nom,...,type_structure`) -> table `organisations`."""
    return whole(organisation_batches(path))


def read_jobs(path: str | Path) -> ReadResult:
    """Read a jobs CSV (`siret,annee,effectif,etp,benevoles`) -> table `jobs`."""
    return whole(job_batches(path))
