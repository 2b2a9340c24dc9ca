"""Payment orders ("mandats de paiement") exported by the region's accounting -> `payments`.

The file is checked against its Table Schema (`data/schemas/payments.schema.json`) by
`validate_rows`; this module adds what a Table Schema cannot say:

- the Luhn key of the beneficiary's SIRET (14 digits) or SIREN (9 digits): error
  `siret_checksum` / `siren_checksum`;
- an amount with more than 10 decimal places: error `decimal_places` (the warehouse holds
  DECIMAL(38, 10); rounding it would change the money, so it is refused, never cut);
- at least one way to find the grant paid (decision reference, SIRET/SIREN or grant
  reference): else error `no_grant_identifier`;
- a negative amount is a reversal ("annulation/réduction de mandat"), real money back:
  kept, with the warning `reversal`.

Every rejected row whose amount was read goes to `payments_set_aside` with the code of
its first error, so the euros read in a file = accepted + set aside. Output columns follow
`pipelines.sources.contracts.PAYMENT_TABLES` (docs/data-contracts.md, "payments").
`source_file` is the file's name, as in `quality.file_loads` and the grants tables: the
money of a file is reconciled by that name, and no server path is published.

Rows are read and checked one at a time and given in batches (`payment_batches`: bounded
memory whatever the file's length, issue 19); `read_payments` joins them into one result.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from functools import partial
from pathlib import Path

import polars as pl

from pipelines.sources.common import Problem, ReadResult
from pipelines.sources.contracts import MONEY_SCALE, PAYMENT_TABLES
from pipelines.sources.local.batches import BATCH_ROWS, file_batches, whole
from pipelines.sources.local.delimited import DelimitedStream, stream_delimited
from pipelines.sources.local.organisations import checked_rows
from pipelines.sources.siret import SIRET_CLEANED, is_valid_siren, is_valid_siret, read_identifier
from pipelines.sources.local.table_schema import CheckedRow, load_schema

SIRET_FIELD = "siret_beneficiaire"
IDENTIFIER_FIELDS = ("reference_decision", "siret_beneficiaire", "reference_subvention")
REVERSAL = "reversal: negative payment (a reversal)"
NO_GRANT_IDENTIFIER = (
    "no_grant_identifier: a payment needs a decision reference, a SIRET/SIREN or a grant reference"
)


def cleaned_identifier(raw: str | None) -> str | None:
    """A SIRET or SIREN cell written with spaces, dots or quotes -> its digits, when they
    make a valid SIRET or SIREN; None when there is nothing to clean or it would not be
    valid (then the value is left as written, for the pattern or the key check to reject)."""
    if raw is None or (len(raw) in (9, 14) and raw.isascii() and raw.isdigit()):
        return None
    siret, siren, _rna, flags = read_identifier(raw)
    if siret is not None:
        return siret
    if siren is not None and "siren_only" in flags:
        return siren
    return None


def clean_identifier_row(line: int, row: dict[str, str | None], labels: Mapping[str, str],
                         source_file: str) -> list[Problem]:
    """Undo spreadsheet damage to a row's SIRET/SIREN cell in place ("380 475 558" -> 9 digits),
    like `organisations.clean_siret_row` but for a SIREN too. Returns the warning, if any."""
    raw = row.get(SIRET_FIELD)
    cleaned = cleaned_identifier(raw)
    if cleaned is None:
        return []
    row[SIRET_FIELD] = cleaned
    return [Problem(source_file, str(line), labels.get(SIRET_FIELD, SIRET_FIELD), raw,
                    f"{SIRET_CLEANED}: read as {cleaned}", "warning")]


def identifier_key_problem(value: str | None) -> str | None:
    """The reason a 9- or 14-digit identifier's key fails, or None when it holds."""
    if value is None:
        return None
    if len(value) == 14 and not is_valid_siret(value):
        return "siret_checksum: 14 digits but the Luhn key is wrong (typo?)"
    if len(value) == 9 and not is_valid_siren(value):
        return "siren_checksum: 9 digits but the Luhn key is wrong (typo?)"
    return None


def too_many_places(amount: Decimal) -> bool:
    """More decimal places than the warehouse keeps (DECIMAL(38, 10))."""
    return amount.as_tuple().exponent < -MONEY_SCALE


def check_row(row: CheckedRow, raw_row: dict[str, str | None], stream: DelimitedStream) -> None:
    """The payment rules a Table Schema cannot say; problems are added to the row."""
    def add(name: str, value: str | None, reason: str, severity: str = "error") -> None:
        row.problems.append(Problem(stream.source_file, str(row.source_row),
                                    stream.labels.get(name, name), value, reason, severity))

    key_problem = identifier_key_problem(row.values.get(SIRET_FIELD))
    if key_problem:
        add(SIRET_FIELD, row.values[SIRET_FIELD], key_problem)
    amount = row.values.get("montant")
    if amount is not None and too_many_places(amount):
        add("montant", raw_row.get("montant"),
            f"decimal_places: more than {MONEY_SCALE} decimal places, which the warehouse cannot hold exactly")
        row.values["montant"] = None  # not money that can be stored: not set aside either
    elif amount is not None and amount < 0:
        add("montant", raw_row.get("montant"), REVERSAL, "warning")
    # presence as written: a present but invalid identifier is its own error, not a missing one
    if all(raw_row.get(name) is None for name in IDENTIFIER_FIELDS):
        add("reference_decision", None, NO_GRANT_IDENTIFIER)


def checked_payments(path: str | Path) -> tuple[DelimitedStream, Iterator[tuple[CheckedRow, dict]]]:
    """Open the file and check its rows as they are read: schema first, then the payment rules.
    Problems name the file by its name (`source_file`), not its path."""
    schema = load_schema("payments")
    stream = stream_delimited(path, schema, Path(path).name)
    rows = checked_rows(stream, schema, partial(clean_identifier_row, labels=stream.labels, source_file=stream.source_file))

    def checked() -> Iterator[tuple[CheckedRow, dict]]:
        for row, raw_row in rows:
            check_row(row, raw_row, stream)
            yield row, raw_row

    return stream, checked()


def payment_record(row: CheckedRow, source_file: str) -> dict:
    """An accepted row in the contract's columns."""
    v = row.values
    beneficiary = v.get(SIRET_FIELD)
    return {
        "source_file": source_file,
        "source_row": row.source_row,
        "payment_order": v.get("numero_mandat"),
        "payment_date": v.get("date_paiement"),
        "year": v["date_paiement"].year,
        "amount_eur": v.get("montant"),
        "reference_decision": v.get("reference_decision"),
        "beneficiary_id": beneficiary,
        "beneficiary_siren": beneficiary[:9] if beneficiary else None,
        "grant_reference": v.get("reference_subvention"),
    }


def first_error_code(row: CheckedRow) -> str:
    """The code of the row's first error: `required`, `pattern`, `primary_key`..."""
    return next(p.reason for p in row.problems if p.severity == "error").split(":", 1)[0]


def set_aside_record(row: CheckedRow, source_file: str) -> dict | None:
    """A rejected row's euros, when its amount was read; None when it was not."""
    amount = row.values.get("montant")
    if amount is None:
        return None
    day = row.values.get("date_paiement")
    return {
        "source_file": source_file,
        "source_row": row.source_row,
        "year": day.year if day is not None else None,
        "amount_eur": amount,
        "reason": first_error_code(row),
    }


def frame(records: list[dict], table: str) -> pl.DataFrame:
    schema = PAYMENT_TABLES[table]
    return pl.DataFrame(records, schema=schema, orient="row") if records else pl.DataFrame(schema=schema)


def payment_batches(path: str | Path, batch_rows: int = BATCH_ROWS) -> Iterator[ReadResult]:
    """A payment orders CSV in batches of `batch_rows` rows (`batches`); see `read_payments`."""
    stream, rows = checked_payments(path)
    source_file = stream.source_file

    def tables(batch: list[tuple[CheckedRow, dict]]) -> dict[str, pl.DataFrame]:
        accepted = [payment_record(row, source_file) for row, _ in batch if row.ok]
        set_aside = [r for row, _ in batch if not row.ok if (r := set_aside_record(row, source_file))]
        return {"payments": frame(accepted, "payments"), "payments_set_aside": frame(set_aside, "payments_set_aside")}

    yield from file_batches(source_file, stream.header_problems, rows, batch_rows, tables)


def read_payments(path: str | Path) -> ReadResult:
    """Read a payment orders CSV
    (`numero_mandat;date_paiement;montant;reference_decision;siret_beneficiaire;reference_subvention`)
    -> tables `payments` (accepted rows) and `payments_set_aside` (rejected rows' readable euros)."""
    return whole(payment_batches(path))
