"""Hand-made OpenDocument spreadsheets for the tests: a zip as LibreOffice lays it out (`mimetype`
first, stored; a manifest; `content.xml`), whose sheets are written as XML by the test."""

from __future__ import annotations

import zipfile
from pathlib import Path

HEAD = ('<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:'
        'opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        '<office:spreadsheet>')
TAIL = "</office:spreadsheet></office:body></office:document-content>"
MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
            '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
            'manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>')


def ods(path: Path, *tables: str) -> Path:
    """An .ods whose `<office:spreadsheet>` holds `tables` (XML text, `table()`'s)."""
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", MANIFEST)
        zf.writestr("content.xml", HEAD + "".join(tables) + TAIL, compress_type=zipfile.ZIP_DEFLATED)
    return path


def table(name: str | None, *rows: str) -> str:
    """A `<table:table>` (without `table:name` if `name` is None)."""
    named = "" if name is None else f' table:name="{name}"'
    return f"<table:table{named}>" + "".join(rows) + "</table:table>"


def row(*cells: str, repeated: int | None = None) -> str:
    extra = "" if repeated is None else f' table:number-rows-repeated="{repeated}"'
    return f"<table:table-row{extra}>" + "".join(cells) + "</table:table-row>"


def cell(attrs: str = "", content: str = "") -> str:
    return f"<table:table-cell {attrs}>{content}</table:table-cell>" if content else f"<table:table-cell {attrs}/>"


def text(value: str, attrs: str = "") -> str:
    """A string cell as LibreOffice writes it: its text in one paragraph."""
    return cell(f'office:value-type="string" {attrs}', f"<text:p>{value}</text:p>")


def number(value: str, attrs: str = "") -> str:
    return cell(f'office:value-type="float" office:value="{value}" {attrs}')


def date(value: str) -> str:
    return cell(f'office:value-type="date" office:date-value="{value}"')


def time(value: str) -> str:
    return cell(f'office:value-type="time" office:time-value="{value}"')
