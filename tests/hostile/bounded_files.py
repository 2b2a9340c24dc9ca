"""Hostile files for tests/hostile/test_bounded_inputs_*.py (issue 20), generated here (no binary
committed), and the child process under watch that reads them (`run_bounded`): the parent kills it if
its resident memory passes the case's bound or its time passes the time bound, and the child reports
the kernel's peak (VmHWM, reset after imports) gained while reading.
"""

from __future__ import annotations

import io
import json
import os
import re
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

from ods_files import cell, ods, row, table, text

from .corpus import SCDL_HEADER, column_letters, grant, vevent


PROJECT = Path(__file__).resolve().parents[2]
REAL_XLS = PROJECT / "tests" / "data" / "real" / "scdl" / "DEP_Sarthe_2018-2019_conventions_23k.xls"
MB = 1_000_000
GARBAGE_MB = int(os.environ.get("HOSTILE_GARBAGE_MB", "200"))


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


def far_cells(path: Path, far: str = "XFD1048576") -> Path:
    """Three grants, and one more cell at XFD1048576: calamine asked for 550 GB and aborted."""
    def rows():
        yield from _grant_rows()
        row = far.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        yield f'<row r="{row}"><c r="{far}" t="inlineStr"><is><t>x</t></is></c></row>'.encode()
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


def ods_repeats(path: Path) -> Path:
    """800 bytes: one cell repeated over 16,384 columns and 3,000 rows (calamine: > 3 GB)."""
    cells = cell('office:value-type="string" table:number-columns-repeated="16384"', "<text:p>x</text:p>")
    return ods(path, table("S", row(cells, repeated=3000)))


def ods_tall(path: Path) -> Path:
    """A row of 16 texts repeated 10 million times: 160 million cells, over what a stream reads."""
    return ods(path, table("S", row(*(text(v) for v in SCDL_HEADER)), row(*(text("x") for _ in SCDL_HEADER),
                                                                            repeated=10_000_000)))


def ods_far_row(path: Path) -> Path:
    """Three grants, 999,995 empty rows (one element repeated) and an "x" in column P of row
    1,000,000: a range of 16 million cells, which calamine builds whole."""
    rows = [row(*(text(v) if v != "" else cell() for v in cells)) for cells in (SCDL_HEADER, grant(0), grant(1), grant(2))]
    far = row(cell('table:number-columns-repeated="15"'), text("x"))
    return ods(path, table("S", *rows, row(repeated=999_995), far))


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
