"""The agenda's iCalendar export (.ics) -> table `events` (origin 'ics'), read event by
event (`ics_lines`): each VEVENT's properties are mapped onto the fields of
`data/schemas/events.schema.json`, checked against it and the rules of `event_rules`,
and given in batches of events (`events_ics_batches`, issue 19).

An all-day event starts at 00:00 and ends at 00:00 of its (exclusive, RFC 5545) DTEND
day; it is flagged `all_day`. LOCATION is free text, resolved to a commune code.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
import polars as pl

from pipelines.limits import ICS_BYTES, ICS_COMPONENT_BYTES, ICS_EVENTS, check_file_size
from pipelines.sources.bounded import scan_text
from pipelines.sources.common import Problem, ReadResult, SourceError
from pipelines.sources.local.batches import BATCH_ROWS, file_batches, whole
from pipelines.sources.local.commune_lookup import CommuneIndex, resolve_commune
from pipelines.sources.local.event_rules import (
    as_commune_index, check_event_rules, event_record, event_type_from_label, events_frame,
)
from pipelines.sources.local.ics_lines import RawLine, ics_components, ics_lines, vevent_line_numbers
from pipelines.sources.local.table_schema import CheckedRow, iter_validate_rows, load_schema
from pipelines.sources.text import scanned_encoding

# How ICS properties are named in messages (the schema names the CSV columns).
ICS_LABELS = {
    "id": "UID",
    "titre": "SUMMARY",
    "debut": "DTSTART",
    "fin": "DTEND",
    "code_commune": "LOCATION",
    "nom_organisateur": "ORGANIZER",
    "type_evenement": "CATEGORIES",
}


def _prop(event: icalendar.Event, name: str) -> Any:
    """A property's first value, tolerating broken values (icalendar keeps them aside)."""
    value = event.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value


def _dt(event: icalendar.Event, name: str) -> date | datetime | None:
    value = _prop(event, name)
    try:
        return value.dt if value is not None else None
    except Exception:  # a broken value: reported from event.errors
        return None


def _as_datetime(value: date | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day)


def _categories(event: icalendar.Event) -> list[str]:
    values = event.get("CATEGORIES")
    if values is None:
        return []
    values = values if isinstance(values, list) else [values]
    labels: list[str] = []
    for v in values:
        cats = getattr(v, "cats", None)
        labels.extend(str(c) for c in (cats if cats is not None else [v]))
    return [label.strip() for label in labels if label.strip()]


def _ics_values(event: icalendar.Event) -> tuple[dict[str, Any], list[tuple[str, Any, str, str]], list[str]]:
    """Map one VEVENT onto events.schema.json fields: (values, problems, informational flags)."""
    problems: list[tuple[str, Any, str, str]] = []  # (field label, value, reason, severity)
    flags: list[str] = []
    for prop, message in getattr(event, "errors", []):
        problems.append((prop or "VEVENT", None, f"ics_parse: {message}", "warning"))

    uid = _prop(event, "UID")
    recurrence_id = _dt(event, "RECURRENCE-ID")
    event_id = None if uid is None else str(uid).strip()
    if event_id and recurrence_id is not None:
        # An edited occurrence of a recurring event shares its series' UID.
        event_id = f"{event_id}#{_as_datetime(recurrence_id).isoformat()}"
    if event.get("RRULE") is not None:
        problems.append(("RRULE", str(event.get("RRULE").to_ical(), "utf-8"), "recurrence_not_expanded: only the first occurrence is read", "warning"))

    start_raw = _dt(event, "DTSTART")
    end_raw = _dt(event, "DTEND")
    if end_raw is None and start_raw is not None:
        duration = _dt(event, "DURATION")
        if isinstance(duration, timedelta):
            end_raw = start_raw + duration
        elif isinstance(start_raw, datetime):
            end_raw = start_raw  # RFC 5545: no DTEND nor DURATION -> ends when it starts
        else:
            end_raw = start_raw + timedelta(days=1)  # an all-day event lasts its day
    if start_raw is not None and not isinstance(start_raw, datetime):
        flags.append("all_day")

    labels = _categories(event)
    event_type = next((t for t in map(event_type_from_label, labels) if t), None)
    if event_type is None:
        if labels:
            problems.append(("CATEGORIES", ",".join(labels), "event_type_unknown: no known type, read as 'autre'", "warning"))
        else:
            problems.append(("CATEGORIES", None, "event_type_missing: read as 'autre'", "warning"))
        event_type = "autre"

    organizer = _prop(event, "ORGANIZER")
    organiser_name = None
    if organizer is not None:
        organiser_name = (getattr(organizer, "params", {}).get("CN") or "").strip() or None
    if organiser_name is None:
        problems.append(("ORGANIZER", None if organizer is None else str(organizer), "organiser_missing: no ORGANIZER;CN", "warning"))

    status = _prop(event, "STATUS")
    if status is not None and str(status).upper() == "CANCELLED":
        flags.append("cancelled")

    summary = _prop(event, "SUMMARY")
    values = {
        "id": event_id or None,
        "titre": None if summary is None else (str(summary).strip() or None),
        "debut": _as_datetime(start_raw),
        "fin": _as_datetime(end_raw),
        "code_commune": None,
        "siret_organisateur": None,
        "nom_organisateur": organiser_name,
        "type_evenement": event_type,
        "public": None,
        "public_jeune": None,
    }
    return values, problems, flags


def read_events_ics(path: str | Path, communes: pl.DataFrame | CommuneIndex | None = None) -> ReadResult:
    """Read an iCalendar agenda export -> table `events` (origin 'ics'): the batches of
    `events_ics_batches` joined into one result.

    `source_row` is the line of each `BEGIN:VEVENT`. LOCATION is kept as
    `location_text` and resolved to a commune code with `communes` (a frame
    `commune_code, name, postcode`); unresolved -> null + warning `commune_unresolved`.
    """
    return whole(events_ics_batches(path, communes))


def events_ics_batches(path: str | Path, communes: pl.DataFrame | CommuneIndex | None = None,
                       batch_rows: int = BATCH_ROWS) -> Iterator[ReadResult]:
    """An iCalendar agenda export in batches of `batch_rows` events (`batches`).

    Read event by event (`ics_lines`): memory is bounded by a batch, never grows with the
    file's text nor its number of events; the file's size, lines, events and each event's
    size are bounded (`pipelines.limits`). Whole-file refusals (not a calendar, a broken
    line outside events, too many events) come before the first batch; a broken event or a
    truncated file, when it is met (the batches before it are then forgotten by the
    warehouse: `pipelines.warehouse.store_source`).
    """
    source_file = str(path)
    path = Path(path)
    check_file_size(path, source_file, ICS_BYTES)
    scan = scan_text(path, source_file, cr_breaks=False, count=b"BEGIN:VEVENT")
    encoding = scanned_encoding(scan, source_file)
    header_problems: list[Problem] = []
    if encoding != "utf-8":
        header_problems.append(Problem(source_file, "1", "", encoding, "encoding_cp1252: iCalendar must be UTF-8; read as Windows-1252", "warning"))
    first = next((piece.strip() for _, line in ics_lines(path, encoding) for piece in line.splitlines() if piece.strip()), "")
    if first.upper() != "BEGIN:VCALENDAR":
        raise SourceError(source_file, "1", f"not an iCalendar file: first line is {first[:40]!r}, expected BEGIN:VCALENDAR")
    ICS_EVENTS.check(source_file, "1", scan.matches, f"{scan.matches:,} BEGIN:VEVENT in the file")
    _check_calendar(path, encoding, source_file)

    index = as_commune_index(communes)
    extras: deque = deque()

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for line, event in _events(path, encoding, source_file):
            values, problems, flags = _ics_values(event)
            location = _prop(event, "LOCATION")
            location_text = None if location is None else (str(location).strip() or None)
            if index is not None and location_text:
                code, how = resolve_commune(location_text, index)
                values["code_commune"] = code
                if code is None:
                    problems.append(("LOCATION", location_text, f"commune_unresolved: {how}, no single commune found", "warning"))
                elif how == "postcode_only":
                    problems.append(("LOCATION", location_text, f"commune_by_postcode_only: read as {code}, name not recognised", "warning"))
            else:
                reason = "no LOCATION" if not location_text else "no communes reference given"
                problems.append(("LOCATION", location_text, f"commune_unresolved: {reason}", "warning"))
            extras.append((problems, flags, location_text))
            yield line, values

    def checked() -> Iterator[tuple[CheckedRow, dict | None]]:
        # An .ics export has no audience, and its location is free text resolved at best
        # effort: those fields' `required` cannot hold, the rest of the schema does.
        for row in iter_validate_rows(load_schema("events"), rows(), source_file, labels=ICS_LABELS,
                                      relax_required={"code_commune", "nom_organisateur"}):
            problems, flags, location_text = extras.popleft()
            row.problems[:0] = [Problem(source_file, str(row.source_row), f, None if v is None else str(v), r, s)
                                for f, v, r, s in problems]
            check_event_rules(row, ICS_LABELS, source_file, None)
            yield row, event_record(source_file, row, "ics", location_text, row.flags() + flags) if row.ok else None

    def tables(batch: list[tuple[CheckedRow, dict | None]]) -> dict[str, pl.DataFrame]:
        return {"events": events_frame([record for _, record in batch if record is not None])}

    yield from file_batches(source_file, header_problems, checked(), batch_rows, tables)


def _check_calendar(path: Path, encoding: str, source_file: str) -> None:
    """The calendar outside its events, parsed first, as parsing the whole file would
    refuse it: a line icalendar cannot read there, or a BEGIN:VEVENT that is no event."""
    calendar: list[RawLine] = []
    size, limit = 0, ICS_COMPONENT_BYTES.value()
    for what, raws in ics_components(path, encoding, source_file):
        if what == "calendar":
            calendar += raws
            size += sum(len(t) for _, t in raws)
            if size > limit:
                raise ICS_COMPONENT_BYTES.refuse(source_file, "1", f"its lines outside events are over {limit:,} bytes")
    try:
        calendars = icalendar.Calendar.from_ical("".join(t for _, t in calendar), multiple=True)
    except ValueError as error:
        raise SourceError(source_file, "1", f"ics: {error}") from None
    stray = len(vevent_line_numbers(calendar)) - sum(len(cal.walk("VEVENT")) for cal in calendars)
    if stray:  # a BEGIN:VEVENT line that is no event (a continuation line...): as before, refused
        raise SourceError(source_file, "1", f"ics: {stray} BEGIN:VEVENT lines but no event parsed from them")


def _events(path: Path, encoding: str, source_file: str) -> Iterator[tuple[int, icalendar.Event]]:
    """(line of its BEGIN:VEVENT, the event) for each VEVENT, each block parsed alone."""
    for what, raws in ics_components(path, encoding, source_file):
        if what != "event":
            continue
        try:
            component = icalendar.Event.from_ical("".join(t for _, t in raws))
        except ValueError as error:
            raise SourceError(source_file, "1", f"ics: {error}") from None
        vevents = component.walk("VEVENT")
        lines = vevent_line_numbers(raws)
        if len(lines) != len(vevents):
            raise SourceError(source_file, "1", f"ics: {len(lines)} BEGIN:VEVENT lines but {len(vevents)} "
                                                f"events parsed in the event at line {raws[0][0]}")
        yield from zip(lines, vevents, strict=True)
