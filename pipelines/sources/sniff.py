"""What a file holds, told by its first bytes, not its name.

Files arrive as downloaded: an IATI file from a registry URL has no `.xml` suffix, a
spreadsheet may be called `.csv`. Readers use `content_kind` to refuse, with a message
that says where the file belongs, what is not theirs; `solidarity validate` uses it to
pick the reader.
"""

from __future__ import annotations

from pathlib import Path

_HEAD = 4096


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
