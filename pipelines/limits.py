"""Bounded inputs (issue 20): every limit on what a reader takes in, in one place.

Readers must run in bounded memory and time whatever file lands in the inbox: a 2 GB
sparse or random file, a zip bomb called `.xlsx`, a workbook whose two cells are a
million rows apart, an agenda of 100,000 events, a 100 MB line. Each input is either
read in streaming batches (IATI XML, iCalendar event by event, local CSVs line by line,
SCDL CSVs in blocks of whole records: issue 19) within these limits, or, where a reader
needs the whole file (a workbook: calamine builds the whole sheet), checked against them
*before* it is read, and refused with a `SourceError` naming the file, the limit and its environment
variable. A refused file is refused alone (`pipelines.ingest.isolated`): the other files
of the run still load, and rows read = accepted + rejected still holds.

Every limit has a default (generous for real files: docs/security.md, "Bounded inputs")
and an environment variable that overrides it, read at each use, so a run, a test or
`solidarity validate` can change it without code. Values are whole numbers (`_` allowed:
`SOLIDARITY_MAX_LINE_BYTES=2_000_000`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pipelines.sources.common import SourceError


@dataclass(frozen=True)
class Limit:
    env: str
    default: int
    unit: str  # "bytes", "cells", "events", "" (a ratio)
    what: str  # what is limited, as the refusal says it
    why: str  # the reason for the default (docs/security.md)

    def value(self) -> int:
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            value = int(raw.replace("_", ""))
        except ValueError:
            raise ValueError(f"{self.env}={raw!r}: expected a whole number") from None
        if value < 1:
            raise ValueError(f"{self.env}={raw!r}: expected a number above 0")
        return value

    def describe(self) -> str:
        """`the limit of 1,000 columns in a grants table (SOLIDARITY_MAX_COLUMNS)`"""
        unit = f" {self.unit}" if self.unit else ""
        return f"the limit of {self.value():,}{unit} {self.what} ({self.env})"

    def refuse(self, source_file: str | Path, where: str, found: str) -> SourceError:
        """The refusal: the file, where, what was found and the limit it passes."""
        return SourceError(source_file, where, f"{found}, over {self.describe()}: file refused")

    def check(self, source_file: str | Path, where: str, amount: int, found: str | None = None) -> None:
        if amount > self.value():
            unit = f" {self.unit}" if self.unit else ""
            raise self.refuse(source_file, where, found or f"{amount:,}{unit}")


MiB = 1 << 20

LINE_BYTES = Limit(
    "SOLIDARITY_MAX_LINE_BYTES", 1 * MiB, "bytes", "for one line of a CSV or iCalendar file",
    "A 100 MB line is one string the size of the line (and csv copies it): a garbage or sparse file has "
    "no line breaks. A grants line is < 2 kB; a CSV cell is refused over 128 kB anyway; "
    "an iCalendar line is folded at 75 octets.")
RECORD_BYTES = Limit(
    "SOLIDARITY_MAX_RECORD_BYTES", 16 * MiB, "bytes", "for one record of a grants CSV (its lines, when a quoted "
    "cell holds line breaks)",
    "A grants CSV is read in blocks of whole records (issue 19): a quote left open makes the rest of the file "
    "one cell, which would be held whole. A grants record is < 2 kB, a few lines at most.")
ICS_BYTES = Limit(
    "SOLIDARITY_MAX_ICS_BYTES", 100_000_000, "bytes", "for an iCalendar file",
    "Read event by event, so memory does not grow with the bytes, but time does (icalendar: ~0.5 ms "
    "an event): 100 MB is ~350,000 small events, minutes of reading. An agenda export is a few MB.")
ICS_EVENTS = Limit(
    "SOLIDARITY_MAX_ICS_EVENTS", 200_000, "events", "in an iCalendar file",
    "Each event read is kept as a row (~1 kB) and costs ~0.5 ms to parse (100,000 events: 153 MB, 65 s "
    "on the shared machine): 200,000 events is ~2 minutes and ~250 MB. Counted before any is parsed. "
    "A year of the campaign's agenda is a few thousand events.")
ICS_COMPONENT_BYTES = Limit(
    "SOLIDARITY_MAX_ICS_COMPONENT_BYTES", 4 * MiB, "bytes",
    "for one iCalendar event (or the calendar's lines outside its events)",
    "icalendar parses one event at a time and holds ~25x its text while parsing it. An event is a few "
    "hundred bytes; 4 MiB leaves room for a long description or an attachment.")
WORKBOOK_BYTES = Limit(
    "SOLIDARITY_MAX_WORKBOOK_BYTES", 100_000_000, "bytes", "for a workbook file (xlsx, ods, xls)",
    "The first bound on every workbook, checked with stat; a legacy .xls is then read whole from its OLE2 "
    "container to scan its records, so this bounds that too. Real SCDL workbooks are under 1 MB.")
WORKBOOK_UNZIPPED_BYTES = Limit(
    "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES", 500_000_000, "bytes",
    "unzipped in a workbook (xlsx, ods: the sum of its parts)",
    "calamine inflates the shared strings and each sheet it reads; a zip bomb is a small file that "
    "inflates to gigabytes. Checked on the zip's declared sizes, then while inflating (a part that "
    "inflates past its declared size is refused). A 5-million-cell sheet is ~200 MB of XML.")
WORKBOOK_RATIO = Limit(
    "SOLIDARITY_MAX_WORKBOOK_RATIO", 200, "", "to 1 compression ratio for a workbook part over 1 MiB",
    "Real workbook parts compress 5-30x (the real corpus: at most 20x; a million styled empty cells: "
    "9-32x); a deflate bomb is ~1,000x.")
TABLE_CELLS = Limit(
    "SOLIDARITY_MAX_TABLE_CELLS", 3_000_000, "cells",
    "in a grants workbook read whole (rows x columns of its sheets from their first to their last cell with a value)",
    "Reading costs 50-120 bytes a cell whatever the cell holds (a 20 MB CSV of empty cells took 1.3 GB), and "
    "calamine allocates a sheet's whole range at once (32 bytes a cell): two cells A1 and XFD1048576 ask for "
    "550 GB and the process aborts (it cannot be caught). Counted before the table is built: a workbook's "
    "sheet XML (or .xls records) streamed before calamine sees it. An .xls sheet (65,536 rows at most) and "
    "any workbook of at most 500,000 cells are loaded whole, then validated in batches: 3 million cells is 187,500 grants of 16 columns, under 500 MB for `solidarity validate` "
    "and the ingest (250,000 grants took 497 and 553 MB, 400,000 741 and 797 MB; 10 million cells was the "
    "default until issue 19). Real SCDL workbooks hold a few thousand grants. Also the most distinct texts an "
    "xlsx's shared-strings table may declare (every reader holds that table whole). An xlsx or ods is not "
    "bounded by it: past 500,000 cells it streams (SOLIDARITY_MAX_STREAMED_CELLS), and so does a grants CSV, read in "
    "batches of at most 2 million cells (pipelines/sources/scdl/csv_stream.py).")
STREAMED_CELLS = Limit(
    "SOLIDARITY_MAX_STREAMED_CELLS", 150_000_000, "cells",
    "in an xlsx or ods grants workbook (rows x columns of its sheets from their first to their last cell with a value)",
    "An xlsx or ods of more than 500,000 cells is read row by row (issue 19, pipelines/sources/scdl/workbook_stream.py, "
    "workbook_ods.py): "
    "its memory does not grow with its cells, its time does (~6 microseconds a cell, empty ones included): "
    "150 million cells is ~9 million grants of 16 columns and ~15 minutes, more than a 2 GB grants CSV holds "
    "(126 million cells). The range counts the empty cells between two far-apart values: two cells A1 and "
    "XFD1048576 span 17 billion.")
COLUMNS = Limit(
    "SOLIDARITY_MAX_COLUMNS", 1_000, "columns", "in a grants table (cells in one CSV record or sheet row)",
    "Each column costs ~9 kB of frame and expressions whatever its length: a 400 kB CSV of four lines of "
    "100,000 empty cells took 900 MB and 16 s. Real SCDL files have 16-19 columns (older formats up to ~40).")
WORKBOOK_PARTS = Limit(
    "SOLIDARITY_MAX_WORKBOOK_PARTS", 10_000, "parts", "in a workbook's zip (xlsx, ods)",
    "Each part of the zip is a Python object before a byte is inflated: a 100 MB zip of empty parts is "
    "two million of them. A workbook has tens of parts.")

ALL = (LINE_BYTES, RECORD_BYTES, ICS_BYTES, ICS_EVENTS, ICS_COMPONENT_BYTES,
       TABLE_CELLS, STREAMED_CELLS, COLUMNS, WORKBOOK_BYTES, WORKBOOK_UNZIPPED_BYTES, WORKBOOK_RATIO, WORKBOOK_PARTS)


def check_file_size(path: Path, source_file: str | Path, limit: Limit) -> int:
    """The file's size, refused (SourceError, where "1") over `limit`: nothing is read."""
    size = path.stat().st_size
    limit.check(source_file, "1", size, f"the file is {size:,} bytes")
    return size
