"""What a file holds, told by its bytes, not its name: its kind, its text encoding, its
column separator.

Files arrive as downloaded: an IATI file from a registry URL has no `.xml` suffix, a
spreadsheet may be called `.csv`. Readers use `content_kind` to refuse, with a message
that says where the file belongs, what is not theirs; `solidarity validate` uses it to
pick the reader. Text tables (the SCDL grants reader, `scdl_split`, and the readers of
small delimited files, `delimited`) decode with `decode_bytes` and guess their separator
with `sniffed_separator`, each then checking the guess against the header it expects.
"""

from __future__ import annotations

import csv
from pathlib import Path

_HEAD = 4096
# The column separators French open-data tables use. Their order is the readers' order of
# preference when the header alone decides (csv.Sniffer itself ignores it).
SEPARATORS = ",;\t|"


def content_kind(path: Path) -> str:
    """'xml', 'spreadsheet' (zip/OLE2 container: xlsx, ods, xls), 'ics', 'text' or 'empty'."""
    with path.open("rb") as fh:
        head = fh.read(_HEAD)
    if not head.strip():
        return "empty"
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "spreadsheet"
    text = _decoded(head).lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "xml"
    if text.upper().startswith("BEGIN:VCALENDAR"):
        return "ics"
    return "text"


def _decoded(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    return head.decode("utf-8", errors="replace")


WHERE = {"xml": "an XML file (IATI activities belong in iati/)", "ics": "an iCalendar agenda (events/)",
         "spreadsheet": "a spreadsheet", "text": "a text table", "empty": "an empty file"}


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode as UTF-8 (BOM dropped) or else Windows-1252: (text, encoding name).

    A strict UTF-8 attempt first is decisive: cp1252 accented letters are almost
    never valid UTF-8 sequences, whereas statistical detectors can mistake a short
    French file for another single-byte code page. Raises UnicodeDecodeError when
    the bytes are neither (cp1252 leaves five byte values undefined). A UTF-8 BOM written
    before Windows-1252 bytes (seen in real exports) is dropped too.
    """
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.removeprefix(b"\xef\xbb\xbf").decode("cp1252"), "cp1252"


def sniffed_separator(sample: str) -> str | None:
    """csv.Sniffer's guess of the column separator of `sample`, among `SEPARATORS`; None
    when it cannot tell. It votes over the whole sample: callers check the guess against
    the header they expect."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        return None
