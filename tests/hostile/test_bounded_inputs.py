"""Bounded resources whatever the input (issue 20): each hostile file is refused early,
naming the file and the limit, or read in streaming batches with the right counts.

Every file is generated here (no binary committed): 2 GB sparse files (`truncate`),
~200 MB of random bytes written in chunks, a zip bomb called .xlsx, workbooks whose cells
are far apart or declare what they are not, an agenda of 100,000 events, 100 MB lines.
Each case is read in a child process (`run_bounded`): the parent kills it if its resident
memory passes the case's bound or its time passes the time bound (the reader before
issue 20 took up to 9 GB: a failing test must not take the machine down with it), and
the child reports the kernel's peak (VmHWM, reset after imports) gained while reading.
Bounds are generous (CI runs on 2 shared cores): they stop runaways, they are no speed or
memory targets. `solidarity validate` and the ingest are run on hostile files beside good
ones: the hostile file is refused alone, the good files' rows are all there.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from .corpus import ORG_HEADER, SCDL_HEADER, column_letters, grant, scdl, vevent, xlsx

PROJECT = Path(__file__).resolve().parents[2]
REAL_XLS = PROJECT / "tests" / "data" / "real" / "scdl" / "DEP_Sarthe_2018-2019_conventions_23k.xls"
MB = 1_000_000
GARBAGE_MB = int(os.environ.get("HOSTILE_GARBAGE_MB", "200"))
ICS_EVENTS = int(os.environ.get("HOSTILE_ICS_EVENTS", "100000"))


# --- a child process under watch -------------------------------------------------------

def _status(pid: int, key: str) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(key + r":\s+(\d+) kB", text)
    return int(m.group(1)) * 1024 if m else 0


@dataclass
class Outcome:
    out: dict | None  # the child's JSON line
    seconds: float
    peak: int  # bytes: the child's own VmHWM gain, or the highest RSS polled
    killed: str | None
    stderr: str
    stdout: str


def run_bounded(argv: list[str], rss_bound: int, time_bound: float, env: dict | None = None) -> Outcome:
    """Run argv; kill it above `rss_bound` bytes resident or after `time_bound` seconds."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    polled, killed = 0, None
    while proc.poll() is None:
        polled = max(polled, _status(proc.pid, "VmRSS"))
        if polled > rss_bound:
            killed = f"killed: {polled / MB:,.0f} MB resident, over the {rss_bound / MB:,.0f} MB bound"
        elif time.monotonic() - started > time_bound:
            killed = f"killed: still running after {time_bound:.0f} s"
        if killed:
            proc.kill()
            break
        time.sleep(0.02)
    stdout, stderr = proc.communicate()
    seconds = time.monotonic() - started
    out = None
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            out = json.loads(line)
            break
    peak = out["rss_gain"] if out and "rss_gain" in out else polled
    return Outcome(out, seconds, peak, killed, stderr[-3000:], stdout[-20000:])


_CHILD = textwrap.dedent("""
    import json, re, sys
    from pathlib import Path
    from pipelines.sources.common import SourceError
    from pipelines.sources.iati import read_activities
    from pipelines.sources.local import events_reader, read_jobs, read_organisations
    from pipelines.sources.scdl import read_grants
    def status(key):
        return int(re.search(key + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024
    source, path = sys.argv[1], sys.argv[2]
    reader = {"grants": lambda: read_grants, "iati": lambda: read_activities, "events": events_reader,
              "organisations": lambda: read_organisations, "jobs": lambda: read_jobs}[source]()
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")  # reset VmHWM: only what reading the file costs is measured
    before = status("VmRSS")
    try:
        r = reader(Path(path))
        table = {"grants": "grants", "iati": "activities"}.get(source, source)
        out = {"refused": None, "read": r.rows_read, "accepted": r.tables[table].height, "rejected": r.rows_rejected}
    except SourceError as e:
        out = {"refused": str(e), "source_file": e.source_file, "where": e.where}
    out["rss_gain"] = status("VmHWM") - before
    print(json.dumps(out))
""")


def read_in_child(source: str, path: Path, rss_bound: int, time_bound: float, env: dict | None = None) -> Outcome:
    return run_bounded([sys.executable, "-c", _CHILD, source, str(path)], rss_bound, time_bound, env)


# --- hostile files ---------------------------------------------------------------------

def sparse(path: Path, size: int = 2 << 30) -> Path:
    with path.open("wb") as fh:
        fh.truncate(size)  # no block written: 2 GB of NUL bytes for the reader, none on disk
    return path


def garbage(path: Path, size: int = GARBAGE_MB * MB, head: bytes = b"") -> Path:
    with path.open("wb") as fh:
        fh.write(head)
        while fh.tell() < size:
            fh.write(os.urandom(1 << 22))
    return path


def one_line(path: Path, size: int, head: bytes = b"") -> Path:
    """A header (or nothing) then one line of `size` bytes without a line break."""
    with path.open("wb") as fh:
        fh.write(head)
        block = b"x" * (1 << 22)
        left = size
        while left > 0:
            fh.write(block[:left])
            left -= len(block)
    return path


_WORKBOOK_PARTS = {
    "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override '
    'PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'sharedStrings+xml"/></Types>',
    "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>',
    "xl/workbook.xml": '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" '
    'r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
    '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}
_SHEET = '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'


def workbook(path: Path, rows_xml: Callable[[], object], shared: bytes | object | None = None) -> Path:
    """An xlsx whose sheet data is written by `rows_xml` (an iterable of bytes), streamed;
    `shared`: the shared-strings part, bytes or an iterable of bytes."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _WORKBOOK_PARTS.items():
            zf.writestr(name, text)
        with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
            for chunk in [shared] if isinstance(shared, bytes) else shared or [
                    b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                    b'count="0" uniqueCount="0"/>']:
                fh.write(chunk)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(_SHEET.encode())
            for chunk in rows_xml():
                fh.write(chunk)
            fh.write(b"</sheetData></worksheet>")
    return path


def _grant_rows(first_row: int = 1):
    for r, cells in enumerate([SCDL_HEADER, grant(0), grant(1), grant(2)], start=first_row):
        yield (f'<row r="{r}">' + "".join(
            f'<c r="{column_letters(c)}{r}" t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
            for c, v in enumerate(cells) if v != "") + "</row>").encode()


def zip_bomb(path: Path, inflated: int = 1 << 30) -> Path:
    """A 1 MB workbook whose one shared string inflates 1,000 to 1, to a GB (calamine read it all)."""
    def sst():
        yield b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ' \
              b'count="1" uniqueCount="1"><si><t>'
        block = b"A" * (1 << 24)
        for _ in range(inflated // len(block)):
            yield block
        yield b"</t></si></sst>"
    return workbook(path, lambda: _grant_rows(), shared=sst())


def far_cells(path: Path) -> Path:
    """Three grants, and one more cell at XFD1048576: calamine asked for 550 GB and aborted."""
    def rows():
        yield from _grant_rows()
        yield b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    return workbook(path, rows)


def styled_empty_cells(path: Path, cells: int = 1_000_000, width: int = 20) -> Path:
    """Three grants above a million styled empty cells (`<c r=".." s="1"/>`)."""
    def rows():
        yield from _grant_rows()
        for r in range(5, 5 + cells // width):
            yield (f'<row r="{r}">' + "".join(f'<c r="{column_letters(c)}{r}" s="1"/>' for c in range(width))
                   + "</row>").encode()
    return workbook(path, rows)


def shared_strings_claim(path: Path) -> Path:
    """Declares four billion shared strings: calamine reserved 96 GB up front and aborted."""
    sst = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           b'count="4000000000" uniqueCount="4000000000"><si><t>a</t></si></sst>')
    return workbook(path, lambda: _grant_rows(), shared=sst)


def lying_part(path: Path, real: int = 300 * MB, declared: int = 1000) -> Path:
    """A shared-strings part declaring 1,000 bytes that inflates to 300 MB (calamine read it all)."""
    head = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _WORKBOOK_PARTS.items():
            zf.writestr(name, text)
        zf.writestr("xl/worksheets/sheet1.xml", _SHEET + '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
                    "</sheetData></worksheet>")
        with zf.open("xl/sharedStrings.xml", "w") as fh:
            fh.write(head)
            for _ in range(real // (10 * MB)):
                fh.write(b"A" * (10 * MB))
            fh.write(b"</t></si></sst>")
    data = bytearray(path.read_bytes())
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml")
    crc = zlib.crc32((head + b"A" * declared)[:declared])
    struct.pack_into("<II", data, info.header_offset + 14, crc, info.compress_size)
    struct.pack_into("<I", data, info.header_offset + 22, declared)
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(b"xl/sharedStrings.xml"))
    struct.pack_into("<I", data, central + 16, crc)
    struct.pack_into("<I", data, central + 24, declared)
    path.write_bytes(bytes(data))
    return path


_ODS_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
             'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
             'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
             '<office:spreadsheet><table:table table:name="S">')


def ods_repeats(path: Path) -> Path:
    """800 bytes: one cell repeated over 16,384 columns and 3,000 rows (calamine: > 3 GB)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                    '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
                    'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
                    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                    '</manifest:manifest>')
        zf.writestr("content.xml", _ODS_HEAD + '<table:table-row table:number-rows-repeated="3000"><table:table-cell '
                    'office:value-type="string" table:number-columns-repeated="16384"><text:p>x</text:p>'
                    '</table:table-cell></table:table-row></table:table></office:spreadsheet></office:body>'
                    '</office:document-content>', compress_type=zipfile.ZIP_DEFLATED)
    return path


def _xls_records(data: bytes, kind: bytes, length: int) -> list[int]:
    pattern = kind + struct.pack("<H", length)
    return [m.start() for m in re.finditer(re.escape(pattern), data)]


def xls_far_cell(path: Path) -> Path:
    """A real département's .xls with its last text cell moved to column 16,384 (abort)."""
    data = bytearray(REAL_XLS.read_bytes())
    struct.pack_into("<HH", data, _xls_records(data, b"\xfd\x00", 10)[-1] + 4, 65535, 16383)
    path.write_bytes(bytes(data))
    return path


def xls_dimensions(path: Path) -> Path:
    """The same .xls declaring a sheet of 1,048,576 x 16,384 cells (calamine reserved it: abort)."""
    data = bytearray(REAL_XLS.read_bytes())
    struct.pack_into("<IIHH", data, _xls_records(data, b"\x00\x02", 14)[-1] + 4, 0, 1048576, 0, 16384)
    path.write_bytes(bytes(data))
    return path


def wide_records(path: Path, cells: int = 100_000) -> Path:
    """400 kB: a header and three grants, each followed by 100,000 empty cells (900 MB, 16 s before)."""
    tail = ";" * cells
    path.write_bytes("\n".join(";".join(r) + tail for r in (SCDL_HEADER, grant(0), grant(1), grant(2))).encode())
    return path


def empty_cells(path: Path, size: int = 20 * MB, width: int = 200) -> Path:
    """A header, three grants, then 20 MB of lines of 200 empty cells: 20 million cells (1.2 GB before)."""
    pad = [""] * (width - len(SCDL_HEADER))
    with path.open("w", encoding="utf-8") as fh:
        fh.write(";".join(SCDL_HEADER + [f"x{i}" for i in range(len(pad))]) + "\n")
        for i in range(3):
            fh.write(";".join(grant(i) + pad) + "\n")
        line = ";" * (width - 1) + "\n"
        fh.write(line * (size // len(line)))
    return path


def agenda(path: Path, events: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bounded inputs//FR\r\n")
        for i in range(events):
            fh.write(vevent(i))
        fh.write("END:VCALENDAR\r\n")
    return path


# --- refused early, the file and the limit named -----------------------------------------

@dataclass(frozen=True)
class Refusal:
    id: str
    source: str
    filename: str
    build: Callable[[Path], Path]
    limit: str  # the environment variable the refusal must name
    rss_bound: int = 300 * MB  # peak resident memory gained while reading
    time_bound: float = 60.0


REFUSALS = [
    Refusal("grants-csv-2gb-sparse", "grants", "subventions_2024.csv", sparse, "SOLIDARITY_MAX_GRANTS_CSV_BYTES"),
    Refusal("grants-csv-random", "grants", "subventions_bruit.csv", garbage, "SOLIDARITY_MAX_GRANTS_CSV_BYTES"),
    Refusal("grants-csv-99mb-line", "grants", "subventions_ligne.csv",
            lambda p: one_line(p, 99 * MB, b";".join(s.encode() for s in SCDL_HEADER) + b"\n"),
            "SOLIDARITY_MAX_LINE_BYTES"),
    Refusal("grants-csv-wide-records", "grants", "subventions_large.csv", wide_records, "SOLIDARITY_MAX_COLUMNS"),
    Refusal("grants-csv-20m-empty-cells", "grants", "subventions_vides.csv", empty_cells, "SOLIDARITY_MAX_TABLE_CELLS"),
    Refusal("grants-zip-bomb-xlsx", "grants", "bombe.xlsx", zip_bomb, "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES"),
    Refusal("grants-xlsx-part-larger-than-declared", "grants", "menteur.xlsx", lying_part,
            "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES"),
    Refusal("grants-xlsx-far-cells", "grants", "loin.xlsx", far_cells, "SOLIDARITY_MAX_TABLE_CELLS"),
    Refusal("grants-xlsx-shared-strings-claim", "grants", "chaines.xlsx", shared_strings_claim,
            "SOLIDARITY_MAX_TABLE_CELLS"),
    Refusal("grants-ods-repeated-cells", "grants", "repete.ods", ods_repeats, "SOLIDARITY_MAX_TABLE_CELLS"),
    Refusal("grants-xls-far-cell", "grants", "loin.xls", xls_far_cell, "SOLIDARITY_MAX_TABLE_CELLS"),
    Refusal("grants-xls-dimensions", "grants", "dimensions.xls", xls_dimensions, "SOLIDARITY_MAX_TABLE_CELLS"),
    Refusal("grants-xlsx-2gb-sparse", "grants", "vide.xlsx", sparse, "SOLIDARITY_MAX_WORKBOOK_BYTES"),
    Refusal("organisations-2gb-sparse", "organisations", "organisations.csv", sparse, "SOLIDARITY_MAX_LOCAL_CSV_BYTES"),
    Refusal("organisations-15mb-line", "organisations", "organisations_ligne.csv",
            lambda p: one_line(p, 15 * MB, ",".join(ORG_HEADER).encode() + b"\n"), "SOLIDARITY_MAX_LINE_BYTES"),
    Refusal("events-csv-random", "events", "evenements.csv", garbage, "SOLIDARITY_MAX_LOCAL_CSV_BYTES"),
    Refusal("events-ics-2gb-sparse", "events", "agenda.ics", sparse, "SOLIDARITY_MAX_ICS_BYTES"),
    Refusal("events-ics-90mb-line", "events", "agenda_ligne.ics",
            lambda p: one_line(p, 90 * MB, b"BEGIN:VCALENDAR\r\nX-JUNK:"), "SOLIDARITY_MAX_LINE_BYTES"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=[c.id for c in REFUSALS])
def test_hostile_file_is_refused_early_naming_the_file_and_the_limit(case: Refusal, tmp_path: Path):
    path = case.build(tmp_path / case.filename)
    got = read_in_child(case.source, path, case.rss_bound, case.time_bound)
    assert got.killed is None, f"{got.killed} (peak {got.peak / MB:,.0f} MB, {got.seconds:.0f} s)"
    assert got.out is not None, f"the reader crashed: {got.stderr}"
    refused = got.out["refused"]
    assert refused, f"read instead of refused: {got.out}"
    assert case.filename in refused and case.limit in refused, refused
    assert got.peak < case.rss_bound, f"{got.peak / MB:,.0f} MB gained"
    print(f"{case.id}: {path.stat().st_size / MB:,.1f} MB refused in {got.seconds:.1f} s, "
          f"peak gain {got.peak / MB:,.0f} MB: {refused[:160]}")


# --- read in streaming batches, the right counts ------------------------------------------

def test_agenda_of_100k_events_is_read_event_by_event(tmp_path: Path):
    """Before: the whole agenda was parsed at once, ~7 kB an event (100,000 events: 775 MB)."""
    path = agenda(tmp_path / "agenda_2024.ics", ICS_EVENTS)
    got = read_in_child("events", path, 400 * MB, 400)
    assert got.killed is None, f"{got.killed} ({got.seconds:.0f} s)"
    assert got.out is not None and got.out["refused"] is None, (got.out, got.stderr)
    assert (got.out["read"], got.out["accepted"], got.out["rejected"]) == (ICS_EVENTS, ICS_EVENTS, 0)
    # what is kept grows with the rows (~1 kB an accepted event), not with the parse
    assert got.peak < 50 * MB + ICS_EVENTS * 2_000, f"{got.peak / MB:,.0f} MB gained"
    print(f"agenda: {ICS_EVENTS:,} events, {path.stat().st_size / MB:,.0f} MB, read in {got.seconds:.0f} s, "
          f"peak gain {got.peak / MB:,.0f} MB")


def test_agenda_over_the_event_limit_is_refused_before_parsing(tmp_path: Path):
    path = agenda(tmp_path / "agenda_2024.ics", 5_000)
    got = read_in_child("events", path, 200 * MB, 60, env={"SOLIDARITY_MAX_ICS_EVENTS": "1000"})
    assert got.out and got.out["refused"], (got.out, got.stderr)
    assert "5,000 BEGIN:VEVENT" in got.out["refused"] and "SOLIDARITY_MAX_ICS_EVENTS" in got.out["refused"]


def test_limits_come_from_the_environment(tmp_path: Path):
    """One place (pipelines/limits.py), each limit overridden by its variable."""
    path = tmp_path / "subventions_2024.csv"
    path.write_bytes(scdl(grant(0), grant(1)))
    small = read_in_child("grants", path, 300 * MB, 60, env={"SOLIDARITY_MAX_GRANTS_CSV_BYTES": "100"})
    assert small.out and "SOLIDARITY_MAX_GRANTS_CSV_BYTES" in small.out["refused"]
    assert "the limit of 100 bytes" in small.out["refused"]
    fine = read_in_child("grants", path, 300 * MB, 60)
    assert fine.out and fine.out["refused"] is None and fine.out["accepted"] == 2
    xlsx_path = tmp_path / "subventions.xlsx"
    xlsx_path.write_bytes(xlsx([SCDL_HEADER, grant(0), grant(1)]))
    cells = read_in_child("grants", xlsx_path, 300 * MB, 60, env={"SOLIDARITY_MAX_TABLE_CELLS": "10"})
    assert cells.out and "SOLIDARITY_MAX_TABLE_CELLS" in cells.out["refused"]


# --- `solidarity validate` and the ingest, hostile files beside good ones ----------------

def test_validate_refuses_hostile_files_and_reads_the_good_one(tmp_path: Path):
    good = tmp_path / "subventions_2024.csv"
    good.write_bytes(scdl(grant(0), grant(1), grant(2)))
    hostile = {  # file -> what its refusal must say
        sparse(tmp_path / "enorme.csv"): "SOLIDARITY_MAX_GRANTS_CSV_BYTES",
        zip_bomb(tmp_path / "bombe.xlsx"): "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES",
        far_cells(tmp_path / "loin.xlsx"): "SOLIDARITY_MAX_TABLE_CELLS",
        one_line(tmp_path / "agenda.ics", 90 * MB, b"BEGIN:VCALENDAR\r\nX-JUNK:"): "SOLIDARITY_MAX_LINE_BYTES",
        # IATI streams, so no size limit: garbage after a '<' is refused at its first bytes
        garbage(tmp_path / "activites.xml", head=b"<iati-activities>"): "malformed XML",
    }
    argv = [sys.executable, "-m", "pipelines.cli", "validate", str(good), *map(str, hostile)]
    got = run_bounded(argv, 600 * MB, 120)
    assert got.killed is None, f"{got.killed} after {got.seconds:.0f} s"
    assert f"{good}: grants, 3 rows read, 3 accepted, 0 rejected" in got.stderr, got.stderr
    for path, says in hostile.items():
        assert f"{path}: refused" in got.stderr, got.stderr
        assert any(path.name in line and says in line for line in got.stdout.splitlines()), \
            (path.name, says, got.stdout)
    print(f"validate: 1 good + {len(hostile)} hostile files in {got.seconds:.0f} s, "
          f"peak RSS polled {got.peak / MB:,.0f} MB")


_INGEST = textwrap.dedent("""
    import json, re, sys
    from pathlib import Path
    import duckdb
    from pipelines.ingest import ingest_source
    from pipelines.sources.contracts import EVENT_TABLES, GRANT_TABLES
    from pipelines.sources.local import events_reader
    from pipelines.sources.scdl import read_grants
    def status(key):
        return int(re.search(key + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024
    raw, db = Path(sys.argv[1]), sys.argv[2]
    conn = duckdb.connect(db)
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    before = status("VmRSS")
    for source, reader, tables in (("grants", read_grants, GRANT_TABLES), ("events", events_reader(), EVENT_TABLES)):
        files = sorted(p for p in (raw / source).iterdir() if p.suffix in (".csv", ".xlsx", ".xls", ".ods", ".ics"))
        ingest_source(conn, source, files, reader, tables)
    loads = conn.execute("select source, source_file, rows_read, rows_accepted, rows_rejected, error "
                         "from quality.file_loads order by 1, 2").fetchall()
    grants = dict(conn.execute("select source_file, count(*) from raw.grants group by 1").fetchall())
    events = {Path(f).name: n for f, n in conn.execute("select source_file, count(*) from raw.events group by 1").fetchall()}
    print(json.dumps({"loads": loads, "grants": grants, "events": events, "rss_gain": status("VmHWM") - before}))
""")


def test_ingest_refuses_each_hostile_file_alone_and_loads_the_others(sample_dir: Path, tmp_path: Path):
    raw = tmp_path / "raw"
    for source in ("grants", "events"):  # the sample's last two years: a run in seconds
        (raw / source).mkdir(parents=True)
        for f in (sample_dir / source).iterdir():
            if "2024" in f.name or "2025" in f.name:
                shutil.copy2(f, raw / source / f.name)
    # a good workbook too: three grants above a million styled empty cells (calamine skips them)
    styled_empty_cells(raw / "grants" / "subventions_mise_en_forme.xlsx")
    good = {s: sorted(p.name for p in (raw / s).iterdir()) for s in ("grants", "events")}
    hostile = {
        "grants/subventions_2099.csv": (sparse, "SOLIDARITY_MAX_GRANTS_CSV_BYTES"),
        "grants/subventions_bombe.xlsx": (zip_bomb, "SOLIDARITY_MAX_WORKBOOK_UNZIPPED_BYTES"),
        "grants/subventions_loin.xlsx": (far_cells, "SOLIDARITY_MAX_TABLE_CELLS"),
        "grants/subventions_dimensions.xls": (xls_dimensions, "SOLIDARITY_MAX_TABLE_CELLS"),
        # 150 MB, not 2 GB: the warehouse hashes every file it is given, refused or not (~8 s for 2 GB)
        "events/agenda_2099.ics": (lambda p: sparse(p, 150 * MB), "SOLIDARITY_MAX_ICS_BYTES"),
    }
    for name, (build, _) in hostile.items():
        build(raw / name)

    # what each good file gives read alone, in this process
    from pipelines.sources.local import events_reader
    from pipelines.sources.scdl import read_grants
    readers = {"grants": read_grants, "events": events_reader()}
    alone = {(s, n): readers[s](raw / s / n) for s, names in good.items() for n in names}

    got = run_bounded([sys.executable, "-c", _INGEST, str(raw), str(tmp_path / "w.duckdb")], 1_500 * MB, 300,
                      env={"SOLIDARITY_READ_WORKERS": "1"})  # one process: its peak is every reader's
    assert got.killed is None, f"{got.killed} after {got.seconds:.0f} s"
    assert got.out is not None, got.stderr
    loads = {(s, Path(f).name): (r, a, j, e) for s, f, r, a, j, e in got.out["loads"]}
    for name, (_, limit) in hostile.items():
        source, file = name.split("/")
        read, accepted, rejected, error = loads[(source, file)]
        assert (read, accepted, rejected) == (0, 0, 0) and file in error and limit in error, error
    for (source, name), result in alone.items():
        read, accepted, rejected, error = loads[(source, name)]
        assert error is None and read == accepted + rejected
        assert (read, accepted) == (result.rows_read, result.rows_accepted), name
        table = got.out["grants" if source == "grants" else "events"]
        assert table.get(name, 0) == result.tables["grants" if source == "grants" else "events"].height
    assert loads[("grants", "subventions_mise_en_forme.xlsx")][:3] == (3, 3, 0)
    assert got.peak < 1_000 * MB, f"{got.peak / MB:,.0f} MB gained"
    print(f"ingest: {len(alone)} good + {len(hostile)} hostile files in {got.seconds:.0f} s, "
          f"peak gain {got.peak / MB:,.0f} MB")
