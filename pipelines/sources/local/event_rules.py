"""The rules every awareness-campaign event follows, whichever file it comes from.

The agenda's CSV (`events_csv`) and its iCalendar export (`events_ics`) both land in the
contract table `events` (docs/data-contracts.md): the raw field -> column mapping, the
checks events.schema.json cannot express (the end does not precede the start, the young
audience does not exceed the audience, the organiser SIRET's checksum, a commune code
the reference knows), the event types and their agenda labels, and the key under which
the same event arriving from both files is matched in SQL staging (`event_match_key`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from typing import Any

import polars as pl

from pipelines.sources.common import Problem
from pipelines.sources.local.commune_lookup import CommuneIndex, build_commune_index, fold
from pipelines.sources.contracts import EVENT_TABLES
from pipelines.sources.local.organisations import check_siret_key
from pipelines.sources.local.table_schema import CheckedRow, load_schema

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


def as_commune_index(communes: pl.DataFrame | CommuneIndex | None) -> CommuneIndex | None:
    """The index both readers look communes up in, from a communes frame (or as given)."""
    if communes is None or isinstance(communes, CommuneIndex):
        return communes
    if _LAST_INDEX and _LAST_INDEX[0][0] is communes:  # same object (kept alive here, so no id reuse)
        return _LAST_INDEX[0][1]
    index = build_commune_index(communes)
    _LAST_INDEX[:] = [(communes, index)]
    return index


def check_event_rules(row: CheckedRow, labels: Mapping[str, str], source_file: str, index: CommuneIndex | None) -> None:
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


def events_frame(records: list[dict[str, Any]]) -> pl.DataFrame:
    """Accepted records as the contract table `events` (its columns and types even when empty)."""
    if not records:
        return pl.DataFrame(schema=dict(EVENT_DTYPES))
    return pl.DataFrame(records, schema=dict(EVENT_DTYPES), orient="row")


def event_record(source_file: str, row: CheckedRow, origin: str, location_text: str | None, flags: list[str]) -> dict[str, Any]:
    """One accepted row as a record of table `events`; its flags each once, in order."""
    return {
        "source_file": source_file,
        "source_row": row.source_row,
        **{out: row.values.get(raw) for raw, out in EVENT_COLUMNS.items()},
        "location_text": location_text,
        "origin": origin,
        "flags": ";".join(dict.fromkeys(flags)) or None,
    }
