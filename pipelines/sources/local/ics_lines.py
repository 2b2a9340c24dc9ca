"""An iCalendar file walked component by component (issue 20).

The file is never held whole, nor parsed whole: icalendar holds ~7 kB an event while it
parses a calendar (an agenda of 100,000 events took 775 MB). Instead, after one bounded
pass over the bytes (`scan_text`: size, line lengths, encoding, number of BEGIN:VEVENT),
the lines are walked twice: first for the calendar outside its events (VCALENDAR,
VTIMEZONE...: parsed first, so that the time zones are known as icalendar knows them),
then for the events, each VEVENT block (nested components included) parsed alone by
icalendar. Lines are split and unfolded as icalendar does (a line ends with LF or CRLF;
a line starting with a space or tab, after any blank lines, continues the previous
one); components are told by BEGIN/END lines, counted as icalendar's stack counts them.
Whole-file outcomes are those of parsing the whole text: a line icalendar refuses outside
an event, or in a component of an event that does not forgive errors, refuses the file;
a file that ends inside an event, or inside a component holding events, is truncated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from icalendar.parser import Contentline

from pipelines.limits import ICS_COMPONENT_BYTES
from pipelines.sources.common import SourceError
from pipelines.sources.text import reading_codec

RawLine = tuple[int, str]  # (line number, the physical line as decoded, line break included)


def ics_lines(path: Path, encoding: str) -> Iterator[RawLine]:
    """The physical lines (split on LF only, as icalendar splits), numbered as before:
    CRLF, LF and a lone CR each end a line for the numbering."""
    number, first = 1, True
    with path.open("rb") as fh:
        for raw in fh:  # every line is under LINE_BYTES: scan_text has refused longer ones
            text = raw.decode(reading_codec(encoding) if first else encoding)
            first = False
            yield number, text
            number += text.endswith("\n") + text.count("\r") - text.endswith("\r\n")


def _body(text: str) -> str:
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def vevent_line_numbers(raws: list[RawLine]) -> list[int]:
    """The numbers of the lines that read BEGIN:VEVENT, as the whole-file reader found them."""
    return [number + i for number, text in raws for i, part in enumerate(_body(text).split("\r"))
            if part.strip().upper() == "BEGIN:VEVENT"]


def _logical_lines(lines: Iterator[RawLine], source_file: str) -> Iterator[tuple[list[RawLine], str]]:
    """(its physical lines, its unfolded text) for each content line; a blank line alone."""
    limit = ICS_COMPONENT_BYTES.value()
    raws: list[RawLine] | None = None
    text, size, blanks = "", 0, []
    for number, line in lines:
        body = _body(line)
        if not body:
            blanks.append((number, line))
            continue
        if body[0] in " \t" and raws is not None:
            raws += blanks + [(number, line)]
            text += body[1:]
            size += len(line)
            if size > limit:
                raise ICS_COMPONENT_BYTES.refuse(source_file, str(raws[0][0]),
                                                 f"the line at line {raws[0][0]} unfolds to over {limit:,} bytes")
            blanks = []
            continue
        if raws is not None:
            yield raws, text
        for blank in blanks:
            yield [blank], ""
        raws, text, size, blanks = [(number, line)], body, len(line), []
    if raws is not None:
        yield raws, text
    for blank in blanks:
        yield [blank], ""


_PLAIN_BEGIN_END = re.compile(r"(?i)(BEGIN|END):([^;:\"\\,]*)")


def _begin_end(text: str) -> tuple[str, str] | None:
    """('BEGIN' | 'END', component name) when icalendar reads the line so."""
    if not text[:5].upper().startswith(("BEGIN", "END")):
        return None
    plain = _PLAIN_BEGIN_END.fullmatch(text)
    if plain:  # what icalendar's parser makes of `BEGIN:VEVENT`, without it
        return plain.group(1).upper(), plain.group(2).upper()
    try:
        name, _params, value = Contentline(text).parts()
    except Exception:  # icalendar reports it where it parses the line
        return None
    name = name.upper()
    return (name, value.upper()) if name in ("BEGIN", "END") else None


def ics_components(path: Path, encoding: str, source_file: str) -> Iterator[tuple[str, list[RawLine]]]:
    """('calendar', lines) for the lines outside events, ('event', lines) for each VEVENT
    block, in file order; refuses a file that ends inside an event or inside a component
    holding events."""
    limit = ICS_COMPONENT_BYTES.value()
    depth, block, block_depth, block_size = 0, None, 0, 0
    top_line, top_events = 0, 0  # the open top-level component and the events in it
    for raws, text in _logical_lines(ics_lines(path, encoding), source_file):
        kind = _begin_end(text) if text else None
        if block is not None:
            block += raws
            block_size += sum(len(t) for _, t in raws)
            if block_size > limit:
                raise ICS_COMPONENT_BYTES.refuse(source_file, str(block[0][0]),
                                                 f"the event at line {block[0][0]} is over {limit:,} bytes")
            if kind is not None:
                depth += 1 if kind[0] == "BEGIN" else -1
                if depth == block_depth:
                    yield "event", block
                    block = None
            continue
        if kind == ("BEGIN", "VEVENT"):
            block, block_depth, block_size = list(raws), depth, sum(len(t) for _, t in raws)
            depth += 1
            top_events += 1
            continue
        yield "calendar", raws
        if kind is not None:
            if depth == 0 and kind[0] == "BEGIN":
                top_line, top_events = raws[0][0], 0
            depth += 1 if kind[0] == "BEGIN" else -1
            if depth == 0:
                top_events = 0
    if block is not None:
        raise SourceError(source_file, "1", f"ics: the file ends inside the event at line {block[0][0]} (truncated?)")
    if depth > 0 and top_events:
        raise SourceError(source_file, "1", f"ics: the file ends inside the component opened at line {top_line}, "
                                            f"with {top_events} events (truncated?)")
