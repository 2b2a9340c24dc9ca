"""Reader for SCDL `subventions` files (grants): CSV of any separator/encoding, xlsx, xls, ods.

`read_grants(path)` returns a `ReadResult` whose tables are `grants` (columns `GRANT_COLUMNS`,
types `GRANT_SCHEMA`, see docs/data-contracts.md) and `grants_set_aside`; `grant_batches(path)`
(also `read_grants.batches`, what the ingest and `solidarity validate` use) yields the same
in batches, a CSV in blocks of whole records of ~4 MB (issue 19): memory does not grow with
the file. A file read in batches gives the rows, values, flags and problems of the file read
at once; only the order of its problems differs: each batch reports its repaired amounts and
total lines before its rows' problems (`read_grants` puts them back in the file's order).

How a file is read
- Every cell is read as text first (CSV: polars' reader, or stdlib `csv` on the decoded
  text when polars cannot be exact, see `split`; spreadsheets: calamine, each cell
  written as text from its type, a number exactly as stored, `split.cell_text`; an xlsx or
  .ods of more than 500,000 cells row by row by calamine's rules, `workbook_stream` and
  `workbook_ods`), so no
  type inference can silently change a value. Each row is then validated on its own, by checks that run once per distinct
  value of a column (`validate`): a 200,000-row file repeats most of its values.
- Encoding: BOM if any, else UTF-8, else Windows-1252, else charset-normalizer's guess.
  A UTF-8 file with some Windows-1252 lines is decoded line by line (warning
  `encoding_mixed` on each such line), so its UTF-8 names are not garbled.
  Separator: `csv.Sniffer` over a sample (among `;` `,` tab `|`), overruled by the one that
  splits the header when the sniffer's does not; quoting is RFC 4180.
- The header is the first row (of the first sheet that has one, in a spreadsheet)
  whose cells name the blocking columns below; rows above it (titles) are skipped.
  Header names are matched case-, accent- and spacing-insensitively against the
  SCDL 2.x names, the 2018 DataSubvention names (ATTRIBUANT_NOM, ...), the older
  etalab names (COLL_NOM, ATTRIB_SIRET, SUB_MONTANT, ...) and the schema's French
  titles. Underscores are significant: `NOM_Beneficiaire` is not `nomBeneficiaire`.
  Unknown columns go, as a JSON object, to `extra`.
- `source_file` is the file name; `source_row` the physical line of the row's first
  line (header = 1) in a CSV, the row's number in its sheet in a spreadsheet (as the
  spreadsheet shows it, empty rows above the data included).
  Entirely empty rows are not data rows and are not counted in `rows_read`.

Whole-file errors (SourceError naming file, line and column)
- over a limit of `pipelines/limits.py`: a CSV's line (checked in one bounded pass before
  anything is split), a record's cells (columns) or bytes, found as the file is read (a
  batch already given stays given); a workbook's zip (parts, unzipped bytes, ratio) or its
  sheets' ranges, streamed before the sheets are read (`workbook_guard`; docs/security.md,
  "Bounded inputs");
- empty or undecodable file, unknown format, no CSV separator found; XML or iCalendar
  content (told by the first bytes, whatever the name: it belongs in iati/ or events/);
- no header naming an amount (`montant`), something giving the year (`dateConvention`, a
  budget year or a decision date) and a beneficiary (name or identifier);
- two header cells mapping to the same SCDL column (which one holds the truth is unknown),
  except a spelling whose table row says which column it names when the first is taken
  (`Nom de l'attributaire` beside `Nom du bénéficiaire`: the grantor; warning `header_by_context`).
Other SCDL-required columns may be missing (older formats lack them): the column is null
and one warning is reported on the header line. Headers: `headers.csv` (data).

Row errors (severity "error": the row is rejected, not in `grants`) — only when its money
cannot be known:
- `montant`: missing, not a number (e.g. "NC", "mille euros"), or too large to be euros
  (10^18 or more: 1e400);
- no year: `dateConvention` missing or unreadable and no budget year, decision date or
  payment period to take it from;
- more cells than the header that are not one unquoted decimal comma beside `montant` (a
  separator inside a value: the columns can no longer be trusted; its amount is not read);
- `total_line`: no beneficiary (or labelled "Total"), and the sum of the grants above it.
A rejected row whose amount could be read is in the `grants_set_aside` table with its reason.

Row warnings (severity "warning": the row is accepted, the code is added to `flags`)
- `name_missing`: no beneficiary name (the grant is money, known by its identifier or not);
- `montant_negative`: a negative amount (a cancellation or a reduction), counted net;
- `montant_comma_repaired`: `…,15000,00,…` joined back into the amount;
- `date_dmy`, `date_ymd_slash`, `date_time`: DD/MM/YYYY (or DD-MM-YYYY, DD/MM/YY),
  YYYY/MM/DD, or an ISO date-time instead of YYYY-MM-DD;
- `date_year_only`: `dateConvention` is a bare year (date null, `year` set);
- `year_from_budget_year`, `year_from_decision_date`, `year_from_payment_date`: the year
  taken from another column;
- `date_serial`: a spreadsheet date stored as a day number;
- `montant_format`: decimal comma, thousands spaces (incl. U+00A0/U+202F), "€"/"euros";
- `montant_zero`: a zero amount;
- `montant_rounded`: more than 10 decimal places (a spreadsheet's float noise), rounded half to
  even to the 10 the warehouse keeps (DECIMAL(38, 10), docs/money-rules.md "Exact money");
- `percent_0_100`: `pourcentageSubvention` given in 0–100 (divided by 100);
- `percent_invalid`: a percentage that is not a number in (0, 1] after that (null);
- `siret_invalid`: `idBeneficiaire` present but no valid SIRET: its SIREN is kept when valid
  (exports truncate establishment numbers: Poitiers 2017 ends 501 of 562 in `00000`), else
  the identifier is dropped; a 9-digit SIREN or an RNA there is read as such (no warning);
- `siret_cleaned`: an identifier written with spaces, quotes, dots or a float tail;
- `attribuant_id_invalid`: `idAttribuant` neither a SIRET nor a SIREN (null);
- `rna_invalid`: `rnaBeneficiaire` not W + 9 characters (null);
- `versement_nonstandard`: `datesPeriodeVersement` not `YYYY-MM-DD[/YYYY-MM-DD]` but
  dates could still be read (e.g. `_` as interval mark, DD/MM/YYYY, free text);
- `versement_invalid`: no date could be read from it, or the end precedes the start;
- `nature_nonstandard`: `nature` outside the SCDL list (normalised when recognisable);
- `notification_nonstandard` / `notification_invalid`: `notificationUE` not oui/non;
- `objet_too_long` (> 256 characters), `id_rae_too_long` (> 5 characters);
- `missing_value`: an SCDL-required, non-blocking cell is empty;
- `short_row`: fewer cells than the header (the missing trailing cells are null);
- `encoding_mixed`: a line in Windows-1252 in a UTF-8 file (or after a UTF-8 BOM).

Each row also carries `record_hash` (the exact line, for de-duplication of repeated lines
only: its cells up to the header's width, and any beyond that the row has), `beneficiaire_siren`, `name_reads_as_person` and `name_reads_as_sole_trader` (positive
evidence only, the second stronger, for a SIRET of unknown legal category; `person_names.py`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import polars as pl

from pipelines.sources.common import REJECTED_SCHEMA, Problem, ReadResult, SourceError, problem_lines, problems_frame
from pipelines.sources.contracts import GRANT_TABLES
from pipelines.sources.text import WHERE, content_kind
# Re-exported: the module's public names before it was split.
from pipelines.sources.scdl.header import (  # noqa: F401
    BLOCKING_COLUMNS, SCDL_REQUIRED, SPREADSHEET_SUFFIXES, _find_header, _header_error, canonical_column, header_columns,
)
from pipelines.sources.scdl.header import _HEADER_SCAN_ROWS
from pipelines.sources.scdl import csv_stream
from pipelines.sources.scdl.split import csv_batches, head_records, records_frame, sheet_batches
from pipelines.sources.scdl.totals import Sums, _plain, total_lines
from pipelines.sources.scdl.validate import CheckMemo, _blank, to_problems, validate
from pipelines.sources.scdl.values import parse_amount, parse_date, parse_nature, parse_period  # noqa: F401

# the accepted table's columns and types: the one contract (docs/data-contracts.md)
GRANT_SCHEMA = GRANT_TABLES["grants"]
GRANT_COLUMNS: list[str] = list(GRANT_SCHEMA)
SET_ASIDE_SCHEMA = GRANT_TABLES["grants_set_aside"]


def read_grants(path: str | Path) -> ReadResult:
    """Read one SCDL grants file into the `grants` table (see module docstring), at once: the
    batches of `grant_batches` put together (what the tests and small callers want)."""
    batches = list(grant_batches(path))
    if len(batches) == 1:
        return batches[0]
    first = batches[0]
    tables = {name: pl.concat([b.tables[name] for b in batches]) for name in first.tables}
    # problems in the order of a file read at once: the header's, every repaired amount, every total line, the rows'
    head = first.parts[0] + [p for b in batches for p in b.parts[1]] + [p for b in batches for p in b.parts[2]]
    return GrantsResult(first.source_file, sum(b.rows_read for b in batches), tables, head,
                        pl.concat([b._found for b in batches]))


def grant_batches(path: str | Path, batch_bytes: int | None = None) -> Iterator[GrantsResult]:
    """Read one SCDL grants file batch by batch (issue 19): a CSV in blocks of whole records of
    at most `batch_bytes` (`split.csv_batches`), a workbook's sheet `batch_bytes // SHEET_ROW_BYTES`
    rows at a time (`split.sheet_batches`: an xlsx streamed, an .xls or .ods loaded whole first). Every batch is
    validated alone; the total lines, the one rule that looks above its row, carry their
    sums across batches (`totals`). The header's problems come with the first batch."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise SourceError(name, "1", "file not found")
    kind = content_kind(path)
    if kind in ("xml", "ics"):
        raise SourceError(name, "1", f"{WHERE[kind]}, not a grants table (SCDL CSV, xlsx, xls or ods)")
    # a zip (xlsx/ods) or OLE2 (xls) container, even behind a misleading .csv name
    spreadsheet = kind == "spreadsheet" or path.suffix.lower() in SPREADSHEET_SUFFIXES
    if spreadsheet:
        # sheet by sheet, until one has a header in its first rows (an xlsx streams row by row:
        # `split.sheet_batches`); that sheet's rows are then validated `rows` at a time
        rows = max(1, (batch_bytes or csv_stream.batch_bytes()) // SHEET_ROW_BYTES)
        first_head: list[tuple[int, list[str]]] | None = None
        # the workbook stays open while `sheets` lives: its rows are read after the loop
        sheets = sheet_batches(path, name, rows)
        for sheet in sheets:
            frame = _sheet_head(sheet)
            head = head_records(frame)
            first_head = head if first_head is None else first_head
            header_index = _find_header(head)
            if header_index is not None:
                break
        else:
            raise _header_error(name, first_head or [])
        # the first batch is the header and `rows` rows, as every other batch is `rows` rows
        head_end = header_index + 1 + rows
        left = frame.slice(head_end)
        frame = frame.slice(0, head_end)
        left_over = (left.slice(offset, rows) for offset in range(0, left.height, rows))
        cp1252_lines, rest = [], ((f, []) for f in chain(left_over, sheet))
    else:
        # batches until the header rows are in: the header may sit below title lines
        rest = csv_batches(path, name, batch_bytes)
        frames, cp1252_lines = [], []
        for frame, lines in rest:
            frames.append(frame)
            cp1252_lines = cp1252_lines or lines
            if sum(f.height for f in frames) >= _HEADER_SCAN_ROWS:
                break
        frame = pl.concat(frames, how="diagonal") if len(frames) > 1 else frames[0]
        head = head_records(frame)
        header_index = _find_header(head)
        if header_index is None:
            raise _header_error(name, head)

    header_line, header = head_records(frame.slice(header_index, 1))[0]
    header = [h.strip() for h in header]
    try:
        columns, notes = header_columns(header)
    except ValueError as clash:
        first, second = clash.args
        raise SourceError(name, str(header_line), f"columns {first + 1} and {second + 1} both give "
                          f"{canonical_column(header[first])} ('{header[first]}', '{header[second]}')") from None
    extras = [(i, cell or f"column_{i + 1}") for i, cell in enumerate(header) if canonical_column(cell) is None]

    problems: list[Problem] = [
        Problem(name, str(header_line), col, None, "missing_column: SCDL-required column absent, left null", "warning")
        for col in SCDL_REQUIRED if col not in columns
    ] + [Problem(name, str(header_line), "_header", None, f"header_by_context: {note}", "warning") for note in notes]
    problems += [
        Problem(name, str(line), "_encoding", None,
                "encoding_mixed: this line is Windows-1252 in a UTF-8 file, read as Windows-1252", "warning")
        for line in cp1252_lines
    ]
    read = _Header(name, len(header), columns, extras, spreadsheet)
    sums = Sums()
    yield read.batch(frame.slice(header_index + 1), problems, sums)
    for frame, _ in rest:
        yield read.batch(frame, [], sums)


# A sheet's rows per batch: the CSV blocks' bytes over a realistic grant's (~256 bytes: 4 MB, ~16,000 rows)
SHEET_ROW_BYTES = 256


def _sheet_head(frames: Iterator[pl.DataFrame]) -> pl.DataFrame:
    """A sheet's first frames, put together until they hold the rows where a header is looked
    for (it may sit below title lines); the sheet's other frames stay in `frames`."""
    head: list[pl.DataFrame] = []
    for frame in frames:
        head.append(frame)
        if sum(f.height for f in head) >= _HEADER_SCAN_ROWS:
            break
    return pl.concat(head) if len(head) > 1 else head[0] if head else records_frame([])


@dataclass(frozen=True)
class _Header:
    """What the header says, to read every batch of data rows below it (and what the checks met so far)."""

    name: str
    width: int
    columns: dict[str, int]  # SCDL column -> cell index
    extras: list[tuple[int, str]]  # (cell index, label) of the columns the SCDL does not name
    spreadsheet: bool
    # the checks' outcomes per distinct value, carried from batch to batch of the file
    memo: CheckMemo = field(default_factory=CheckMemo, compare=False)

    def batch(self, data: pl.DataFrame, problems: list[Problem], sums: Sums) -> GrantsResult:
        """One batch of records below the header -> its result (`sums`: the total lines' state)."""
        name, width, columns = self.name, self.width, self.columns
        # a batch of short records lacks the header's last columns: they are empty cells
        data = data.with_columns(pl.lit(None, pl.String).alias(f"c{i}") for i in range(width)
                                 if f"c{i}" not in data.columns)
        cells = [c for c in data.columns if not c.startswith("_")]
        # Data rows: not entirely blank (a blank line is no data row).
        # only a row whose first cell is blank can be blank: test the others on those rows only
        maybe = data.select(pl.arg_where(_blank(cells[0]))).to_series()
        if maybe.len():
            blank = data[maybe].select(pl.all_horizontal(_blank(c) for c in cells)).to_series()
            data = data.with_row_index("_i").filter(~pl.col("_i").is_in(maybe.filter(blank).implode())).drop("_i")
        # the line as published, before any repair: two equal hashes are the same line repeated
        data = data.with_columns(_record_hash=_record_hash(cells, width))
        data, repaired = _repair_decimal_comma(data, width, columns.get("montant"))
        repaired = [
            Problem(name, str(line), "montant", value,
                    "montant_comma_repaired: unquoted decimal comma split the amount in two cells, "
                    f"read as {value} and the following cells moved back by one", "warning")
            for line, value in repaired
        ]
        rows = data.select(
            "_line", "_ncells", "_record_hash",
            *(pl.col(f"c{i}").alias(col) for col, i in columns.items()),
            *(pl.col(f"c{i}").alias(f"_x{i}") for i, _ in self.extras),
            *(pl.col(c).alias("_" + c) for c in cells if int(c[1:]) >= width),
        )
        grants, found, rejected_money = validate(rows, width, [(f"_x{i}", label) for i, label in self.extras],
                                                 set(columns), self.spreadsheet, GRANT_SCHEMA, self.memo)
        grants = grants.with_columns(source_file=pl.lit(name, pl.String),
                                     record_hash=rows["_record_hash"].gather(
                                         rows["_line"].search_sorted(grants["source_row"])))
        grants, totals, rejected_money = total_lines(grants, rejected_money, sums)
        total_problems = [
            Problem(name, str(line), "_row", _plain(amount),
                    f"total_line: {why}, not a grant: set aside", "error")
            for line, amount, why, was_grant in totals.select("source_row", "montant_eur", "why", "_grant").rows()
            if was_grant  # a total line without a year is already rejected, with its own cause
        ]
        set_aside = pl.concat([
            totals.select("source_row", "year", "montant_eur", reason=pl.lit("total_line")),
            rejected_money.join(_first_errors(found), left_on="source_row", right_on="_line", how="left")
            .select("source_row", "year", "montant_eur", reason=pl.lit("rejected_row: ") + pl.col("why")),
        ]).with_columns(source_file=pl.lit(name, pl.String))
        tables = {"grants": grants.select(GRANT_COLUMNS).cast(GRANT_SCHEMA),
                  "grants_set_aside": set_aside.select(list(SET_ASIDE_SCHEMA)).cast(SET_ASIDE_SCHEMA)}
        result = GrantsResult(name, rows.height, tables, problems + repaired + total_problems, found)
        result.parts = (problems, repaired, total_problems)
        return result


def _record_hash(cells: list[str], width: int) -> pl.Expr:
    """A stable digest of the row's cells (blake2b, not polars' hash, which may change
    between versions: the warehouse compares hashes of files read in different runs): its
    cells up to the header's width (empty where the row is short) and any beyond that it has,
    "\x1f"-joined, so a line's hash does not depend on the other lines of its file or batch."""
    if not cells:
        return pl.lit(None, pl.String)
    parts = [pl.col(f"c{i}").fill_null("") for i in range(width)]
    parts += [pl.when(pl.col("_ncells") > int(c[1:])).then(pl.col(c).fill_null("")) for c in cells
              if int(c[1:]) >= width]
    joined = pl.concat_str(parts, separator="\x1f", ignore_nulls=True)
    return joined.map_batches(
        lambda s: pl.Series([hashlib.blake2b(v.encode(), digest_size=16).hexdigest() for v in s.to_list()],
                            dtype=pl.String),
        return_dtype=pl.String,
    )


# An amount's integer part (thousands may be grouped by spaces or dots) and its 1-2 fraction digits
_INTEGER_PART = r"^[+-]?(?:\d{1,3}(?:[ \u00a0\u202f.]\d{3})+|\d+)$"
_FRACTION_PART = r"^\d{1,2}$"


def _repair_decimal_comma(data: pl.DataFrame, width: int, montant: int | None) -> tuple[pl.DataFrame, list]:
    """`…,15000,00,…` in a comma-separated file: the amount's decimal comma, unquoted, made
    one cell too many. Repaired only when unambiguous: exactly one extra cell, the amount
    cell an integer and the next one 1-2 digits. Everything else keeps its extra cell and
    is refused by the shape check with its cause."""
    if montant is None or f"c{width}" not in data.columns:
        return data, []
    extra = [f"c{j}" for j in range(width + 1, len([c for c in data.columns if c.startswith("c")]))]
    fixable = ((pl.col("_ncells") == width + 1) | ((pl.col("_ncells") > width + 1) & pl.all_horizontal(
        _blank(c) for c in extra) if extra else pl.lit(False))) & pl.col(f"c{montant}").str.contains(
        _INTEGER_PART) & pl.col(f"c{montant + 1}").str.contains(_FRACTION_PART)
    mask = data.select(fixable.fill_null(False)).to_series()
    if not mask.any():
        return data, []
    joined = pl.col(f"c{montant}") + "," + pl.col(f"c{montant + 1}")
    shifted = {f"c{montant}": joined, **{f"c{j}": pl.col(f"c{j + 1}") for j in range(montant + 1, width)},
               f"c{width}": pl.lit(None, pl.String)}
    data = data.with_columns(
        *(pl.when(mask).then(expr).otherwise(pl.col(col)).alias(col) for col, expr in shifted.items()),
        _ncells=pl.when(mask).then(pl.lit(width, pl.Int64)).otherwise(pl.col("_ncells")),
    )
    repaired = data.filter(mask).select("_line", f"c{montant}").rows()
    return data, repaired


def _first_errors(found: pl.DataFrame) -> pl.DataFrame:
    """A rejected row's first error, as `field: reason` (the reason its euros are set aside)."""
    return (found.filter(pl.col("severity") == "error")
            .group_by("_line", maintain_order=True).first()
            .select("_line", why=pl.col("field") + ": " + pl.col("reason")))


class GrantsResult(ReadResult):
    """A `ReadResult` whose problems are kept as a frame until someone asks for the objects.

    A real file can warn on every row (a decimal comma in every amount), and building
    200,000 `Problem` objects costs more than reading and validating the file. `rejected`
    and `rows_rejected` (what the warehouse loads) are answered from the frame; `problems`
    builds the list on first access and from then on everything is answered from that
    list, as for any `ReadResult` (so changes made to it are seen).
    """

    def __init__(self, source_file: str, rows_read: int, tables: dict[str, pl.DataFrame],
                 head: list[Problem], found: pl.DataFrame):
        self.source_file, self.rows_read, self.tables = source_file, rows_read, tables
        self._head, self._found, self._problems = head, found, None
        self.parts = (head, [], [])  # (the header's problems, repaired amounts, total lines): set by the reader

    @property
    def problems(self) -> list[Problem]:
        if self._problems is None:
            self._problems = self._head + to_problems(self.source_file, self._found)
        return self._problems

    @problems.setter
    def problems(self, value: list[Problem]) -> None:
        self._problems = value

    @property
    def rejected(self) -> pl.DataFrame:
        if self._problems is not None:
            return super().rejected
        return pl.concat([problems_frame(self._head), self._found_rows().cast(REJECTED_SCHEMA)])

    def _found_rows(self) -> pl.DataFrame:
        """The rows' problems (the frame) as quarantine rows."""
        return self._found.select(source_file=pl.lit(self.source_file), source_row=pl.col("_line").cast(pl.String),
                                  field="field", value="value", reason="reason", severity="severity")

    def problem_lines(self) -> list[str]:
        if self._problems is not None:
            return super().problem_lines()
        return [p.line() for p in self._head] + problem_lines(self._found_rows())

    @property
    def rows_rejected(self) -> int:
        if self._problems is not None:
            return super().rows_rejected
        errors = self._found.filter(pl.col("severity") == "error")["_line"].n_unique()
        return errors + len({p.source_row for p in self._head if p.severity == "error"})


# The pipeline's ingest and `solidarity validate` read a grants file in batches (pipelines.ingest.batch_reader)
read_grants.batches = grant_batches  # type: ignore[attr-defined]
