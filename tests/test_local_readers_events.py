"""Events readers (CSV and iCalendar) against Frictionless and an independent reading, commune
resolution, the key joining CSV and iCalendar events, and the typed checks of validate_rows.

Every file is written by the test itself; expected figures come from the raw text (stdlib csv,
line scans, zoneinfo), never from the reader under test.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pipelines.sources.common import SourceError
from pipelines.sources.contracts import EVENT_TABLES
from pipelines.sources.local import build_commune_index, event_match_key, read_events, resolve_commune
from pipelines.sources.local.table_schema import load_schema, validate_rows
from local_files import (
    BAD,
    EVENT_HEADER,
    S1,
    S2,
    assert_balanced,
    data_rows,
    frictionless_report,
    reasons,
    rejected_lines,
    write,
)


# --- events CSV -----------------------------------------------------------------

VALID_EVENTS = f"""{EVENT_HEADER}
fs-2024-001,Ciné-débat « Demain »,2024-11-16T20:00:00,2024-11-16T22:30:00,69266,{S1},Artisans du Monde Lyon,projection,85,30
fs-2024-002,Marché équitable de Noël,2024-11-23T09:00:00,2024-11-23T18:00:00,69266,,Collectif Festisol Villeurbanne,marche_equitable,,
fs-2024-003,"Intervention au lycée Ampère",2024-11-19T10:00:00,2024-11-19T12:00:00,69123,{S2},Lycée Ampère,intervention_scolaire,60,60
"""


def test_valid_events_csv_agrees_with_frictionless(tmp_path):
    path = write(tmp_path, "evenements_2024.csv", VALID_EVENTS)
    raw = data_rows(path)
    result = read_events(path)
    frame = result.tables["events"]
    assert dict(frame.schema) == EVENT_TABLES["events"]
    assert result.problems == []
    assert frame["event_id"].to_list() == [r["id"] for r in raw]
    assert frame["start"].to_list() == [datetime.fromisoformat(r["debut"]) for r in raw]
    assert frame["audience"].to_list() == [int(r["public"]) if r["public"] else None for r in raw]
    assert frame["organiser_siret"].to_list() == [r["siret_organisateur"] or None for r in raw]
    assert set(frame["origin"]) == {"csv"}
    report = frictionless_report(path, "events")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type"])
    assert report.tasks[0].stats["rows"] == frame.height == 3


def test_hostile_events_csv(tmp_path):
    text = f"""{EVENT_HEADER}
e1,OK,2024-11-16T20:00:00,2024-11-16T22:00:00,69123,,Org,concert,10,2
e2,Negative audience,2024-11-16T20:00:00,2024-11-16T22:00:00,69123,,Org,concert,-5,
e3,Ends before start,2024-11-16T20:00:00,2024-11-16T19:00:00,69123,,Org,concert,10,2
e4,More young than audience,2024-11-16T20:00:00,2024-11-16T22:00:00,69123,,Org,atelier,10,11
e5,Unknown type,2024-11-16T20:00:00,2024-11-16T22:00:00,69123,,Org,flashmob,10,2
e6,Bad organiser key,2024-11-16T20:00:00,2024-11-16T22:00:00,69123,{BAD},Org,repas,10,2
e7,French date,16/11/2024 20:00,2024-11-16T22:00:00,69123,,Org,repas,10,2
e8,Unknown commune,2024-11-16T20:00:00,2024-11-16T22:00:00,99999,,Org,repas,10,2
"""
    path = write(tmp_path, "evenements_2024.csv", text.replace(",", ";"))
    communes = pl.DataFrame({"commune_code": ["69123"], "name": ["Lyon"], "postcode": ["69001"]})
    result = read_events(path, communes=communes)
    assert result.rows_read == len(data_rows(path, ";")) == 8
    assert_balanced(result, "events")
    assert rejected_lines(result) == {3, 4, 5, 6, 8}
    why = reasons(result)
    assert why[(3, "public")] == ["error:minimum"]
    assert why[(4, "fin")] == ["error:end_before_start"]
    assert why[(5, "public_jeune")] == ["error:young_above_audience"]
    assert why[(6, "type_evenement")] == ["error:enum"]
    assert why[(7, "siret_organisateur")] == ["warning:siret_checksum"]
    assert why[(8, "debut")] == ["error:type"]
    assert why[(9, "code_commune")] == ["warning:commune_unknown"]
    frame = result.tables["events"]
    assert frame["event_id"].to_list() == ["e1", "e6", "e8"]
    # A wrong organiser key costs the link, not the event and its audience.
    e6 = frame.row(1, named=True)
    assert e6["organiser_siret"] is None and e6["audience"] == 10 and e6["flags"] == "siret_checksum"


# --- events iCalendar -----------------------------------------------------------

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Festisol//Agenda//FR
BEGIN:VEVENT
UID:fs-2024-001
SUMMARY:Ciné-débat « Demain »
DTSTART;TZID=Europe/Paris:20241116T200000
DTEND;TZID=Europe/Paris:20241116T223000
LOCATION:Cinéma Le Zola\\, 69100 Villeurbanne
CATEGORIES:Projection
ORGANIZER;CN="Artisans du Monde Lyon":mailto:contact@adm-lyon.example
END:VEVENT
BEGIN:VEVENT
UID:fs-2024-010
SUMMARY:Conférence en visio depuis New York
DTSTART;TZID=America/New_York:20241120T090000
DTEND:20241120T160000Z
LOCATION:Maison des associations\\, 42000 Saint-Étienne
CATEGORIES:Conférence-débat
ORGANIZER;CN=Cités Unies:mailto:info@cites.example
END:VEVENT
BEGIN:VEVENT
UID:fs-2024-011
SUMMARY:Marché équitable
DTSTART;VALUE=DATE:20241123
DTEND;VALUE=DATE:20241124
LOCATION:Place Bellecour\\, Lyon
CATEGORIES:Marché équitable
ORGANIZER;CN=Collectif Festisol:mailto:festisol@example.org
END:VEVENT
BEGIN:VEVENT
UID:fs-2024-012
SUMMARY:Flashmob solidaire
DTSTART:20240701T120000Z
LOCATION:Salle polyvalente\\, Saint-Denis
CATEGORIES:Flashmob
ORGANIZER;CN=Jeunes solidaires:mailto:js@example.org
END:VEVENT
BEGIN:VEVENT
UID:fs-2024-013
SUMMARY:Atelier à l'envers
DTSTART:20241125T180000
DTEND:20241125T170000
CATEGORIES:Atelier
ORGANIZER;CN=MJC:mailto:mjc@example.org
END:VEVENT
END:VCALENDAR
"""

COMMUNES = pl.DataFrame(
    {
        "commune_code": ["69123", "69123", "69266", "42218", "93066", "97411", "01053"],
        "name": ["Lyon", "Lyon", "Villeurbanne", "Saint-Étienne", "Saint-Denis", "Saint-Denis", "Bourg-en-Bresse"],
        "postcode": ["69001", "69002", "69100", "42000", "93200", "97400", "01000"],
    }
)


def begin_vevent_lines(path: Path) -> list[int]:
    text = path.read_bytes().decode("utf-8")
    return [i for i, line in enumerate(text.splitlines(), start=1) if line == "BEGIN:VEVENT"]


def test_ics_events(tmp_path):
    path = write(tmp_path, "agenda_2024.ics", ICS.replace("\n", "\r\n"))
    result = read_events(path, communes=COMMUNES)
    lines = begin_vevent_lines(path)
    assert result.rows_read == len(lines) == 5
    assert_balanced(result, "events")
    frame = result.tables["events"]
    assert dict(frame.schema) == EVENT_TABLES["events"]
    assert frame["source_row"].to_list() == lines[:4]
    assert rejected_lines(result) == {lines[4]}  # the event ending before it starts
    assert reasons(result)[(lines[4], "DTEND")] == ["error:end_before_start"]
    rows = {r["event_id"]: r for r in frame.iter_rows(named=True)}
    paris = ZoneInfo("Europe/Paris")

    first = rows["fs-2024-001"]
    assert (first["start"], first["end"]) == (datetime(2024, 11, 16, 20, 0), datetime(2024, 11, 16, 22, 30))
    assert first["title"] == "Ciné-débat « Demain »"
    assert first["location_text"] == "Cinéma Le Zola, 69100 Villeurbanne"
    assert first["commune_code"] == "69266" and first["event_type"] == "projection"
    assert first["organiser_name"] == "Artisans du Monde Lyon" and first["origin"] == "ics"

    ny = rows["fs-2024-010"]  # tz-aware -> Paris wall clock, naive
    expected_start = datetime(2024, 11, 20, 9, tzinfo=ZoneInfo("America/New_York")).astimezone(paris).replace(tzinfo=None)
    expected_end = datetime(2024, 11, 20, 16, tzinfo=ZoneInfo("UTC")).astimezone(paris).replace(tzinfo=None)
    assert (ny["start"], ny["end"]) == (expected_start, expected_end) == (datetime(2024, 11, 20, 15), datetime(2024, 11, 20, 17))
    assert ny["commune_code"] == "42218" and ny["event_type"] == "conference"

    market = rows["fs-2024-011"]  # all day, no postcode: resolved by unique name
    assert (market["start"], market["end"]) == (datetime(2024, 11, 23), datetime(2024, 11, 24))
    assert market["commune_code"] == "69123" and market["event_type"] == "marche_equitable"
    assert market["flags"] == "all_day"

    flashmob = rows["fs-2024-012"]  # UTC in summer, no DTEND, ambiguous commune, unknown type
    assert flashmob["start"] == flashmob["end"] == datetime(2024, 7, 1, 14)
    assert flashmob["commune_code"] is None and flashmob["event_type"] == "autre"
    assert flashmob["flags"] == "event_type_unknown;commune_unresolved"
    why = reasons(result)
    assert why[(lines[3], "CATEGORIES")] == ["warning:event_type_unknown"]
    assert why[(lines[3], "LOCATION")] == ["warning:commune_unresolved"]


def test_ics_cp1252_is_read_with_a_warning(tmp_path):
    path = write(tmp_path, "agenda.ics", ICS, "cp1252")
    result = read_events(path, communes=COMMUNES)
    assert result.tables["events"]["title"][0] == "Ciné-débat « Demain »"
    assert any(p.reason.startswith("encoding_cp1252") and p.severity == "warning" for p in result.problems)
    assert_balanced(result, "events")
    broken = tmp_path / "broken.ics"
    broken.write_bytes(ICS.encode("utf-8").replace("Ciné".encode(), b"Cin\x81"))
    with pytest.raises(SourceError, match=r"broken\.ics:1: encoding"):
        read_events(broken)
    not_ics = write(tmp_path, "notes.ics", "hello\n")
    with pytest.raises(SourceError, match=r"notes\.ics:1: not an iCalendar file"):
        read_events(not_ics)
    with pytest.raises(SourceError, match="unknown events format"):
        read_events(write(tmp_path, "agenda.txt", "x"))


# --- commune resolution and event matching ----------------------------------------

def test_resolve_commune():
    index = build_commune_index(
        pl.DataFrame(
            {
                "commune_code": ["69204", "53130", "01001", "01002", "69123"],
                "name": ["Saint-Genis-Laval", "Laval", "L'Abergement-Clémenciat", "L'Abergement-de-Varey", "Lyon"],
                "postcode": ["69230", "53000", "01400", "01640", "69001"],
            }
        )
    )
    assert resolve_commune("Salle, 69230 St-Genis-Laval", index) == ("69204", "postcode_name")
    assert resolve_commune("Salle des fêtes, LAVAL", index) == ("53130", "name")
    assert resolve_commune("Mairie, 01640 l'abergement de varey", index) == ("01002", "postcode_name")
    assert resolve_commune("Place du marché, 01400", index) == ("01001", "postcode_only")
    assert resolve_commune("Quelque part", index) == (None, "unresolved")
    assert resolve_commune(None, index) == (None, "unresolved")
    both = build_commune_index(COMMUNES)
    assert resolve_commune("Gymnase, 93200 Saint-Denis", both) == ("93066", "postcode_name")
    assert resolve_commune("Gymnase, Saint-Denis", both) == (None, "ambiguous")


def test_event_match_key_joins_csv_and_ics(tmp_path):
    csv_result = read_events(write(tmp_path, "evenements_2024.csv", VALID_EVENTS))
    ics_result = read_events(write(tmp_path, "agenda_2024.ics", ICS), communes=COMMUNES)
    keys = lambda frame: {  # noqa: E731
        event_match_key(r["title"], r["start"], r["commune_code"]): r["event_id"] for r in frame.iter_rows(named=True)
    }
    # The same event in both exports: same UID, and the same key (a timed CSV row
    # and its ICS twin share title, day and commune); no other event collides.
    csv_keys, ics_keys = keys(csv_result.tables["events"]), keys(ics_result.tables["events"])
    shared = set(csv_keys) & set(ics_keys)
    assert shared == {"cine debat demain|2024-11-16|69266"}
    assert {csv_keys[k] for k in shared} == {ics_keys[k] for k in shared} == {"fs-2024-001"}
    assert event_match_key("Ciné-débat « Demain »", datetime(2024, 11, 16, 20), "69266") == "cine debat demain|2024-11-16|69266"
    assert event_match_key("CINE DEBAT : demain", datetime(2024, 11, 16).date(), "69266") == "cine debat demain|2024-11-16|69266"
    assert event_match_key("Ciné-débat « Demain »", datetime(2024, 11, 17, 20), "69266").endswith("2024-11-17|69266")
    assert event_match_key("Marché", None, None) == "marche||"


def test_validate_rows_checks_typed_values_too():
    schema = load_schema("events")
    rows = [
        (10, {"id": "x", "titre": "T", "debut": datetime(2024, 1, 1, 10), "fin": datetime(2024, 1, 1, 11),
              "code_commune": "2B033", "nom_organisateur": "O", "type_evenement": "atelier", "public": 3}),
        (11, {"id": "y", "titre": "T", "debut": "2024-01-01T10:00:00+00:00", "fin": "2024-01-01T11:00",
              "code_commune": "2C033", "nom_organisateur": "O", "type_evenement": "atelier", "public": -1}),
    ]
    ok, bad = validate_rows(schema, rows, "f.csv")
    assert ok.ok and ok.values["public"] == 3
    assert [p.field for p in bad.problems] == ["code_commune", "public"]
    assert bad.values["debut"] == datetime(2024, 1, 1, 11)  # UTC 10:00 is 11:00 in Paris in winter
    assert [p.message() for p in bad.problems][0] == (
        r"f.csv:11:code_commune: pattern: does not match ^(\d{5}|2[AB]\d{3})$ (value: '2C033')"
    )
