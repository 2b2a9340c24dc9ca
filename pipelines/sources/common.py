"""What every reader returns, and the quarantine row shape they share.

Readers are pure: file in, polars frames out. No Dagster, no DuckDB. Every row
(or XML element) read ends either in `accepted` or in `rejected`, so
`rows_read == accepted.height + rejected_row_count` holds for every file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

# One quarantine row per problem. A rejected input row may have several problems;
# `rejected_rows` counts distinct (source_file, source_row) with severity "error".
REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "source_file": pl.String,
    "source_row": pl.String,  # line number for tabular files, XPath for XML
    "field": pl.String,
    "value": pl.String,
    "reason": pl.String,
    "severity": pl.String,  # "error": the row is rejected; "warning": accepted but flagged
}


@dataclass
class Problem:
    source_file: str
    source_row: str
    field: str
    value: str | None
    reason: str
    severity: str = "error"

    def message(self) -> str:
        """The analyst-facing line: `file:line:field: reason` (Validata style)."""
        shown = "" if self.value is None else f" (value: {self.value!r})"
        return f"{self.source_file}:{self.source_row}:{self.field}: {self.reason}{shown}"


@dataclass
class ReadResult:
    """A reader's output for one file.

    `tables` holds the accepted rows, one frame per table the file feeds (a SCDL
    file feeds only "grants"; an IATI file feeds "activities", "transactions", ...).
    `rows_read` counts the source's unit of input (CSV data lines, IATI activities).
    """

    source_file: str
    rows_read: int
    tables: dict[str, pl.DataFrame]
    problems: list[Problem] = field(default_factory=list)

    @property
    def rejected(self) -> pl.DataFrame:
        return problems_frame(self.problems)

    @property
    def rows_rejected(self) -> int:
        return len({p.source_row for p in self.problems if p.severity == "error"})

    @property
    def rows_accepted(self) -> int:
        return self.rows_read - self.rows_rejected


def problems_frame(problems: list[Problem]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "source_file": p.source_file,
                "source_row": p.source_row,
                "field": p.field,
                "value": p.value,
                "reason": p.reason,
                "severity": p.severity,
            }
            for p in problems
        ],
        schema=REJECTED_SCHEMA,
    )


class SourceError(Exception):
    """A whole file is unreadable (hostile XML, unknown format, IATI 1.0x...).

    The message names the file and, where known, the line or XPath.
    """

    def __init__(self, source_file: str | Path, where: str, reason: str):
        self.source_file = str(source_file)
        self.where = where
        self.reason = reason
        super().__init__(f"{self.source_file}:{where}: {reason}")
