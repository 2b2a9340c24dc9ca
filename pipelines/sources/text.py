"""What a file holds, told by its bytes, not its name: its kind, its byte-order mark, its
text encoding, its column separator. The one home of these rules: every reader of every
standard asks here (issue 18).

Files arrive as downloaded: an IATI file from a registry URL has no `.xml` suffix, a
spreadsheet may be called `.csv`. Readers use `content_kind` to refuse, with a message
that says where the file belongs, what is not theirs; `solidarity validate` uses it to
pick the reader.

- Byte-order marks: a UTF-8 BOM is dropped (even before Windows-1252 bytes, seen in real
  exports); a UTF-16 one (`UTF16_BOMS`) means UTF-16 text.
- Encodings: UTF-8, else Windows-1252 (`decode_bytes` on bytes in memory; `EncodingGuess`
  chunk by chunk in the bounded pass of `bounded.scan_text`, then `scanned_encoding`), read
  with `reading_codec`. The SCDL grants reader goes further
  (`decode_table`): a UTF-8 file with some Windows-1252 lines is decoded line by line,
  and a file in neither is decoded with charset_normalizer's guess.
- Separators: `sniffed_separator` is csv.Sniffer's guess among `SEPARATORS`; the readers
  check it against the header they expect, by field names (`sniff_delimiter`, the small
  delimited files) or by a header finder (`header_delimiter`, the grants reader).
"""

from __future__ import annotations

import codecs
import csv
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.sources.common import SourceError

if TYPE_CHECKING:
    from pipelines.sources.bounded import TextScan

_HEAD = 4096
UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
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
    text = decoded_head(head).lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "xml"
    if text.upper().startswith("BEGIN:VCALENDAR"):
        return "ics"
    return "text"


def decoded_head(head: bytes) -> str:
    """A file's first bytes as text, to look at (never to read): UTF-16 when a UTF-16 BOM
    says so, else UTF-8, undecodable bytes replaced (a UTF-8 BOM is kept, as U+FEFF)."""
    if head.startswith(UTF16_BOMS):
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
        return data.removeprefix(UTF8_BOM).decode("cp1252"), "cp1252"


class EncodingGuess:
    """`decode_bytes`'s answer found one chunk at a time, holding nothing but the chunk:
    whether all the bytes fed are UTF-8 (a UTF-8 BOM allowed) and, if not, where the first
    byte Windows-1252 cannot decode either is: (reason, offset)."""

    def __init__(self) -> None:
        self.utf8 = True
        self.cp1252_error: tuple[str, int] | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._offset = 0

    def feed(self, block: bytes) -> None:
        ascii = block.isascii()
        # an ASCII chunk is both UTF-8 and cp1252, unless it ends a UTF-8 sequence cut at the last chunk's end
        if self.utf8 and (not ascii or self._decoder.getstate()[0]):
            try:
                self._decoder.decode(block)
            except UnicodeDecodeError:
                self.utf8 = False
        if not ascii and self.cp1252_error is None:
            try:
                block.decode("cp1252")
            except UnicodeDecodeError as error:
                self.cp1252_error = (error.reason, self._offset + error.start)
        self._offset += len(block)

    def finish(self) -> tuple[bool, tuple[str, int] | None]:
        """(UTF-8, cp1252 error) once every chunk is fed: a UTF-8 sequence cut at the end is not UTF-8."""
        if self.utf8:
            try:
                self._decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                self.utf8 = False
        return self.utf8, self.cp1252_error


def scanned_encoding(scan: TextScan, source_file: str) -> str:
    """'utf-8' or 'cp1252': `decode_bytes`'s answer, from the bounded pass over the file
    (`bounded.scan_text`) instead of the file in memory. Raises SourceError when it is neither."""
    if not scan.utf8 and scan.cp1252_error is not None:
        reason, start = scan.cp1252_error
        raise SourceError(source_file, "1", f"encoding: neither UTF-8 nor Windows-1252 ({reason} at byte {start})")
    return "utf-8" if scan.utf8 else "cp1252"


def reading_codec(encoding: str) -> str:
    """The codec that reads a file's start in `encoding` ('utf-8' or 'cp1252'), its UTF-8
    BOM dropped (a Windows-1252 file has none)."""
    return "utf-8-sig" if encoding == "utf-8" else encoding


def decode_table(raw: bytes, name: str) -> tuple[str, list[int]]:
    """A whole text table decoded, and its 1-based lines read as Windows-1252 when it mixes
    encodings (else []): UTF-16 when its BOM says so; a UTF-8 file (or one with a UTF-8 BOM)
    with some Windows-1252 lines line by line (`mixed_lines`); else `decode_bytes`, else
    charset_normalizer's guess (a grants file in another code page, seen in real exports)."""
    mixed = None
    if raw.startswith(UTF8_BOM):
        try:
            raw[3:].decode("utf-8")
        except UnicodeDecodeError:  # a UTF-8 BOM, then Windows-1252 bytes (é, °, ’): seen in real exports
            mixed = mixed_lines(raw[3:], utf8_declared=True)
    elif not raw.startswith(UTF16_BOMS):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            mixed = mixed_lines(raw)
    return mixed if mixed else (_decode_whole(raw, name), [])


def _decode_whole(raw: bytes, name: str) -> str:
    # UTF-8 announced (the line-by-line fallback has been tried by the caller): what follows counts
    body = raw.removeprefix(UTF8_BOM)
    if body.startswith(UTF16_BOMS):
        try:
            return body.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SourceError(name, "1", f"a UTF-16 byte-order mark, but not UTF-16 text: {exc.reason}") from exc
    try:
        return decode_bytes(raw)[0]  # drops the UTF-8 BOM
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # rare path: neither UTF-8 nor cp1252

    best = from_bytes(body).best()
    if best is None:
        raise SourceError(name, "1", "cannot detect the text encoding")
    return str(best)


def mixed_lines(raw: bytes, utf8_declared: bool = False) -> tuple[str, list[int]] | None:
    """A UTF-8 file with some lines in Windows-1252 (exports pasted together): decoding
    it whole as cp1252 would silently garble every accented UTF-8 name. Returns the text
    decoded line by line and the 1-based lines read as cp1252, or None if not mixed.
    `utf8_declared`: a UTF-8 BOM says the file is UTF-8, so any line that is not is
    reported, even when no line has UTF-8 accents (a BOM written before cp1252 bytes)."""
    lines = raw.split(b"\n")
    utf8_accented = cp1252_lines = False
    decoded, fallback = [], []
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8")
            utf8_accented = utf8_accented or not line.isascii()
        except UnicodeDecodeError:
            try:
                text = line.decode("cp1252")
            except UnicodeDecodeError:
                return None
            cp1252_lines = True
            fallback.append(number)
        decoded.append(text)
    return ("\n".join(decoded), fallback) if (utf8_accented or utf8_declared) and cp1252_lines else None


def sniffed_separator(sample: str) -> str | None:
    """csv.Sniffer's guess of the column separator of `sample`, among `SEPARATORS`; None
    when it cannot tell. It votes over the whole sample: callers check the guess against
    the header they expect."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=SEPARATORS).delimiter
    except csv.Error:
        return None


def label_key(label: str) -> str:
    """A header label as matched: ignoring case, surrounding spaces and a stray BOM."""
    return unicodedata.normalize("NFC", label).strip().lstrip("\ufeff").lower()


def sniff_delimiter(text: str, expected: list[str]) -> str:
    """The separator of `text`: csv.Sniffer's guess if the header then splits into
    expected field names, else the candidate splitting the header into most of them."""
    first_line = text.split("\n", 1)[0].rstrip("\r")
    wanted = {label_key(n) for n in expected}

    def hits(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return sum(label_key(c) in wanted for c in cells)

    guess = sniffed_separator(text[:65536])
    best = max(SEPARATORS, key=hits)
    if guess is not None and hits(guess) >= hits(best):
        return guess
    return best


Records = list[tuple[int, list[str]]]  # (1-based line, cells)


def header_delimiter(text: str, name: str, finds_header: Callable[[Records], object],
                     sample_chars: int, header_rows: int) -> str:
    """The separator of a table whose header may sit below a few title lines: the sniffer's
    guess over the first `sample_chars` characters (else over the first line), kept if it
    splits one of the first `header_rows` lines into a header (`finds_header` not None),
    else the separator that does. SourceError when the sniffer finds none."""
    # A sample cut mid-record or one odd line can defeat the sniffer: the header alone decides.
    sniffed = sniffed_separator(text[:sample_chars]) or sniffed_separator(text.splitlines()[0])
    if sniffed is None:
        raise SourceError(name, "1", "no column separator found (expected ';' or ',')")
    # The sniffer votes over the whole sample: a few lines written with another separator
    # (or decimal commas) can outvote a ';' header.
    head = text.splitlines()[:header_rows]
    for delimiter in dict.fromkeys((sniffed, ";", *SEPARATORS)):  # a French file: ';' first
        try:
            rows = [(i, cells) for i, cells in enumerate(csv.reader(head, delimiter=delimiter), start=1)]
        except csv.Error:  # a broken line among the first ones: the full read reports it
            continue
        if finds_header(rows) is not None:
            return delimiter
    return sniffed
