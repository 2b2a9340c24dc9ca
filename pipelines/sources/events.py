"""Awareness-campaign events: the agenda's CSV export and its iCalendar (.ics) export.

Both land in the contract table `events` (see docs/data-contracts.md) with an `origin`
column ('csv' | 'ics'), and both are checked against `data/schemas/events.schema.json`
(the ICS values are mapped onto the schema's fields first). Rules a Table Schema
cannot express are added here: the end does not precede the start, the young
audience does not exceed the audience, the organiser SIRET's checksum.

Times are naive Europe/Paris wall-clock datetimes. An all-day ICS event starts at
00:00 and ends at 00:00 of its (exclusive, RFC 5545) DTEND day; it is flagged `all_day`.

The same event may arrive from both files; it is merged later in SQL staging, by
the rule documented on `event_match_key`.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import icalendar
from icalendar.parser import Contentline
import polars as pl

from pipelines.limits import ICS_BYTES, ICS_COMPONENT_BYTES, ICS_EVENTS, check_file_size
from pipelines.sources.bounded import scan_text
from pipelines.sources.common import Problem, ReadResult, SourceError
from pipelines.sources.commune_lookup import CommuneIndex, build_commune_index, fold, resolve_commune
from pipelines.sources.contracts import EVENT_TABLES
from pipelines.sources.organisations import check_siret_key, checked_table
from pipelines.sources.table_schema import CheckedRow, iter_validate_rows, load_schema

EVENT_DTYPES = EVENT_TABLES["events"]

# Raw schema field -> contract column (location_text, origin, flags are added per origin).
EVENT_COLUMNS = {
    "id": "event_id",
    "titre": "title",
    "debut": "start",
    "fin": "end",
    "code_commune": "commune_code",
    "siret_organisateur": "organiser_siret",
    "nom_organisateur": "organiser_name",
    "type_evenement": "event_type",
    "public": "audience",
    "public_jeune": "young_audience",
}

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

# Agenda category labels (folded by `fold`, then joined with '_') -> schema enum.
# The enum codes themselves are accepted as they are.
EVENT_TYPE_ALIASES = {
    "conference_debat": "conference",
    "debat": "conference",
    "table_ronde": "conference",
    "rencontre": "conference",
    "cine_debat": "projection",
    "projection_debat": "projection",
    "film": "projection",
    "cinema": "projection",
    "marche": "marche_equitable",
    "commerce_equitable": "marche_equitable",
    "marche_solidaire": "marche_equitable",
    "intervention_en_milieu_scolaire": "intervention_scolaire",
    "animation_scolaire": "intervention_scolaire",
    "scolaire": "intervention_scolaire",
    "expo": "exposition",
    "musique": "concert",
    "spectacle": "concert",
    "repas_solidaire": "repas",
    "buffet": "repas",
}


def event_types() -> list[str]:
    return list(_event_types())


@cache
def _event_types() -> frozenset[str]:
    # Cached: called once per row label; re-reading the schema each time cost ~4% of a x10 run.
    spec = next(f for f in load_schema("events")["fields"] if f["name"] == "type_evenement")
    return frozenset(spec["constraints"]["enum"])


def event_type_from_label(label: str | None) -> str | None:
    """'Marché équitable' -> 'marche_equitable'; None when the label is not recognised."""
    key = fold(label).replace(" ", "_")
    if key in _event_types():
        return key
    return EVENT_TYPE_ALIASES.get(key)


def event_match_key(title: str | None, start: date | datetime | None, commune_code: str | None) -> str:
    """The key under which a CSV row and an ICS VEVENT are taken as the same event.

    Rule (applied in SQL staging): two events are the same event when they have
    the same `event_id` (the agenda gives a VEVENT the CSV row's `id` as UID);
    otherwise when their match keys are equal. The key is
    `{folded title}|{start date YYYY-MM-DD}|{commune code}`, where the folded title is
    lower case with accents, punctuation and repeated spaces removed ('œ' -> 'oe',
    'St' -> 'saint'), the date ignores the time of day (an ICS all-day entry
    matches a timed CSV row) and an unknown commune is the empty string.

    >>> event_match_key("Ciné-débat : « Demain »", datetime(2024, 11, 16, 20, 30), "69123")
    'cine debat demain|2024-11-16|69123'
    """
    day = start.date() if isinstance(start, datetime) else start
    return f"{fold(title)}|{day.isoformat() if day else ''}|{commune_code or ''}"


# The last communes frame indexed and its index: the pipeline passes the same frame for
# every events file, and rebuilding the index per file cost ~10% of a x10 run (py-spy).
_LAST_INDEX: list[tuple[pl.DataFrame, CommuneIndex]] = []


def _as_index(communes: pl.DataFrame | CommuneIndex | None) -> CommuneIndex | None:
    if communes is None or isinstance(communes, CommuneIndex):
        return communes
    if _LAST_INDEX and _LAST_INDEX[0][0] is communes:  # same object (kept alive here, so no id reuse)
        return _LAST_INDEX[0][1]
    index = build_commune_index(communes)
    _LAST_INDEX[:] = [(communes, index)]
    return index


def _row_rules(row: CheckedRow, labels: Mapping[str, str], source_file: str, index: CommuneIndex | None) -> None:
    """The checks events.schema.json cannot express."""
    v = row.values
    line = str(row.source_row)

    def add(name: str, value: Any, reason: str, severity: str = "error") -> None:
        row.problems.append(Problem(source_file, line, labels.get(name, name), None if value is None else str(value), reason, severity))

    if v.get("debut") is not None and v.get("fin") is not None and v["fin"] < v["debut"]:
        add("fin", v["fin"].isoformat(), f"end_before_start: ends before it starts ({v['debut'].isoformat()})")
    if v.get("public") is not None and v.get("public_jeune") is not None and v["public_jeune"] > v["public"]:
        add("public_jeune", v["public_jeune"], f"young_above_audience: more young people than the audience ({v['public']})")
    # The organiser SIRET is optional: a wrong key costs the link to the
    # directory, not the event and its audience.
    if check_siret_key(row, "siret_organisateur", labels.get("siret_organisateur", "siret_organisateur"), source_file, "warning"):
        v["siret_organisateur"] = None
    if index is not None and v.get("code_commune") is not None and v["code_commune"] not in index.codes:
        add("code_commune", v["code_commune"], "commune_unknown: not in the communes reference", "warning")


def _frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    if not records:
        return pl.DataFrame(schema=dict(EVENT_DTYPES))
    return pl.DataFrame(records, schema=dict(EVENT_DTYPES), orient="row")


def _record(source_file: str, row: CheckedRow, origin: str, location_text: str | None, flags: list[str]) -> dict[str, Any]:
    return {
        "source_file": source_file,
        "source_row": row.source_row,
        **{out: row.values.get(raw) for raw, out in EVENT_COLUMNS.items()},
        "location_text": location_text,
        "origin": origin,
        "flags": ";".join(dict.fromkeys(flags)) or None,
    }


def read_events_csv(path: str | Path, communes: pl.DataFrame | CommuneIndex | None = None) -> ReadResult:
    """Read an agenda CSV (`id,titre,debut,fin,code_commune,...,public_jeune`) -> table `events`.

    `communes`, if given, only flags commune codes absent from the reference.
    """
    index = _as_index(communes)
    table, checked = checked_table(path, "events", ["siret_organisateur"])
    records = []
    for row in checked:
        _row_rules(row, table.labels, table.source_file, index)
        if row.ok:
            records.append(_record(table.source_file, row, "csv", None, row.flags()))
    problems = [p for p in table.problems if p.source_row == "1"] + [p for row in checked for p in row.problems]
    return ReadResult(table.source_file, table.rows_read, {"events": _frame(records)}, problems)


# --- iCalendar, read event by event (issue 20) ---------------------------------------
#
# The file is never held whole, nor parsed whole: icalendar holds ~7 kB an event while it
# parses a calendar (an agenda of 100,000 events took 775 MB). Instead, after one bounded
# pass over the bytes (`scan_text`: size, line lengths, encoding, number of BEGIN:VEVENT),
# the lines are walked twice: first for the calendar outside its events (VCALENDAR,
# VTIMEZONE...: parsed first, so that the time zones are known as icalendar knows them),
# then for the events, each VEVENT block (nested components included) parsed alone by
# icalendar. Lines are split and unfolded as icalendar does (a line ends with LF or CRLF;
# a line starting with a space or tab, after any blank lines, continues the previous
# one); components are told by BEGIN/END lines, counted as icalendar's stack counts them.
# Whole-file outcomes are those of parsing the whole text: a line icalendar refuses outside
# an event, or in a component of an event that does not forgive errors, refuses the file;
# a file that ends inside an event, or inside a component holding events, is truncated.

_Raw = tuple[int, str]  # (line number, the physical line as decoded, line break included)


def _ics_lines(path: Path, encoding: str) -> Iterator[_Raw]:
    """The physical lines (split on LF only, as icalendar splits), numbered as before:
    CRLF, LF and a lone CR each end a line for the numbering."""
    number, first = 1, True
    with path.open("rb") as fh:
        for raw in fh:  # every line is under LINE_BYTES: scan_text has refused longer ones
            text = raw.decode("utf-8-sig" if first and encoding == "utf-8" else encoding)
            first = False
            yield number, text
            number += text.endswith("\n") + text.count("\r") - text.endswith("\r\n")


def _body(text: str) -> str:
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def _vevent_line_numbers(raws: list[_Raw]) -> list[int]:
    """The numbers of the lines that read BEGIN:VEVENT, as the whole-file reader found them."""
    return [number + i for number, text in raws for i, part in enumerate(_body(text).split("\r"))
            if part.strip().upper() == "BEGIN:VEVENT"]


def _logical_lines(lines: Iterator[_Raw], source_file: str) -> Iterator[tuple[list[_Raw], str]]:
    """(its physical lines, its unfolded text) for each content line; a blank line alone."""
    limit = ICS_COMPONENT_BYTES.value()
    raws: list[_Raw] | None = None
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


def _ics_components(path: Path, encoding: str, source_file: str) -> Iterator[tuple[str, list[_Raw]]]:
    """('calendar', lines) for the lines outside events, ('event', lines) for each VEVENT
    block, in file order; refuses a file that ends inside an event or inside a component
    holding events."""
    limit = ICS_COMPONENT_BYTES.value()
    depth, block, block_depth, block_size = 0, None, 0, 0
    top_line, top_events = 0, 0  # the open top-level component and the events in it
    for raws, text in _logical_lines(_ics_lines(path, encoding), source_file):
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
    """Read an iCalendar agenda export -> table `events` (origin 'ics').

    `source_row` is the line of each `BEGIN:VEVENT`. LOCATION is kept as
    `location_text` and resolved to a commune code with `communes` (a frame
    `commune_code, name, postcode`); unresolved -> null + warning `commune_unresolved`.
    Read event by event (see the section above): memory grows with the rows kept, never
    with the file's text; the file's size, lines, events and each event's size are bounded
    (`pipelines.limits`).
    """
    source_file = str(path)
    path = Path(path)
    check_file_size(path, source_file, ICS_BYTES)
    scan = scan_text(path, source_file, cr_breaks=False, count=b"BEGIN:VEVENT")
    if not scan.utf8 and scan.cp1252_error is not None:
        reason, start = scan.cp1252_error
        raise SourceError(source_file, "1", f"encoding: neither UTF-8 nor Windows-1252 ({reason} at byte {start})")
    encoding = "utf-8" if scan.utf8 else "cp1252"
    header_problems: list[Problem] = []
    if encoding != "utf-8":
        header_problems.append(Problem(source_file, "1", "", encoding, "encoding_cp1252: iCalendar must be UTF-8; read as Windows-1252", "warning"))
    first = next((piece.strip() for _, line in _ics_lines(path, encoding) for piece in line.splitlines() if piece.strip()), "")
    if first.upper() != "BEGIN:VCALENDAR":
        raise SourceError(source_file, "1", f"not an iCalendar file: first line is {first[:40]!r}, expected BEGIN:VCALENDAR")
    ICS_EVENTS.check(source_file, "1", scan.matches, f"{scan.matches:,} BEGIN:VEVENT in the file")

    # The calendar outside its events, parsed first (its time zones are then known).
    calendar: list[_Raw] = []
    size, limit = 0, ICS_COMPONENT_BYTES.value()
    for what, raws in _ics_components(path, encoding, source_file):
        if what == "calendar":
            calendar += raws
            size += sum(len(t) for _, t in raws)
            if size > limit:
                raise ICS_COMPONENT_BYTES.refuse(source_file, "1", f"its lines outside events are over {limit:,} bytes")
    try:
        calendars = icalendar.Calendar.from_ical("".join(t for _, t in calendar), multiple=True)
    except ValueError as error:
        raise SourceError(source_file, "1", f"ics: {error}") from None
    stray = len(_vevent_line_numbers(calendar)) - sum(len(cal.walk("VEVENT")) for cal in calendars)
    if stray:  # a BEGIN:VEVENT line that is no event (a continuation line...): as before, refused
        raise SourceError(source_file, "1", f"ics: {stray} BEGIN:VEVENT lines but no event parsed from them")
    del calendar, calendars

    index = _as_index(communes)
    extras: deque = deque()
    counted = [0]

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for what, raws in _ics_components(path, encoding, source_file):
            if what != "event":
                continue
            try:
                component = icalendar.Event.from_ical("".join(t for _, t in raws))
            except ValueError as error:
                raise SourceError(source_file, "1", f"ics: {error}") from None
            vevents = component.walk("VEVENT")
            lines = _vevent_line_numbers(raws)
            if len(lines) != len(vevents):
                raise SourceError(source_file, "1", f"ics: {len(lines)} BEGIN:VEVENT lines but {len(vevents)} "
                                                    f"events parsed in the event at line {raws[0][0]}")
            for line, event in zip(lines, vevents, strict=True):
                counted[0] += 1
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

    # An .ics export has no audience, and its location is free text resolved at best
    # effort: those fields' `required` cannot hold, the rest of the schema does.
    schema = load_schema("events")
    frames, records, all_problems = [], [], header_problems
    for row in iter_validate_rows(schema, rows(), source_file, labels=ICS_LABELS,
                                  relax_required={"code_commune", "nom_organisateur"}):
        problems, flags, location_text = extras.popleft()
        row.problems[:0] = [Problem(source_file, str(row.source_row), f, None if v is None else str(v), r, s) for f, v, r, s in problems]
        _row_rules(row, ICS_LABELS, source_file, None)
        if row.ok:
            records.append(_record(source_file, row, "ics", location_text, row.flags() + flags))
            if len(records) == _FRAME_BATCH:
                frames.append(_frame(records))
                records = []
        all_problems += row.problems
    frames.append(_frame(records))
    events = frames[0] if len(frames) == 1 else pl.concat(frames)
    return ReadResult(source_file, counted[0], {"events": events}, all_problems)


# accepted rows become a frame every so many: a list of dicts costs ~1.5 kB a row
_FRAME_BATCH = 10_000


def read_events(path: str | Path, communes: pl.DataFrame | CommuneIndex | None = None) -> ReadResult:
    """Read an events file, dispatching on its suffix: `.csv` or `.ics` -> table `events`."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return read_events_csv(path, communes)
    if suffix in (".ics", ".ical", ".ifb", ".icalendar"):
        return read_events_ics(path, communes)
    raise SourceError(str(path), "1", f"unknown events format {suffix!r}: expected .csv or .ics")
