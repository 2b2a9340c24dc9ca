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

    def line(self) -> str:
        """What `solidarity validate` prints: the message, marked when it is a warning."""
        return self.message() if self.severity == "error" else f"{self.message()} [warning]"


# Text whose Python repr is itself between single quotes: printable characters (str.isprintable)
# other than the quote and the backslash, in the ranges French files use. Any other value's repr
# is Python's own (`problem_lines`).
_PLAIN_TEXT = (r"^[ -&(-\[\]-~\x{A1}-\x{AC}\x{AE}-\x{17F}\x{2010}-\x{2027}\x{2030}-\x{205E}"
               r"\x{20AC}]*$")


def problem_lines(problems: pl.DataFrame) -> list[str]:
    """`Problem.line()` of each row of a problems frame (`source_file`, `source_row`, `field`,
    `value`, `reason`, `severity`), built by polars: a file warning on every row prints a line
    per row, and a `Problem` object per line cost more than reading the file."""
    value = pl.col("value")
    plain = value.str.contains(_PLAIN_TEXT)
    odd = problems.filter(value.is_not_null() & ~plain)["value"].unique().to_list()
    shown = (pl.when(value.is_null()).then(pl.lit(""))
             .when(plain).then(pl.lit(" (value: '") + value + pl.lit("')"))
             .otherwise(pl.lit(" (value: ") + value.replace_strict(odd, [repr(v) for v in odd], default=None,
                                                                   return_dtype=pl.String) + pl.lit(")")))
    marked = pl.when(pl.col("severity") == "error").then(pl.lit("")).otherwise(pl.lit(" [warning]"))
    line = pl.concat_str([pl.col("source_file"), pl.lit(":"), pl.col("source_row"), pl.lit(":"), pl.col("field"),
                          pl.lit(": "), pl.col("reason"), shown, marked]).alias("line")
    return problems.select(line)["line"].to_list()


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

    def problem_lines(self) -> list[str]:
        """Each problem as `solidarity validate` prints it (`Problem.line`), in order."""
        return [problem.line() for problem in self.problems]

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
