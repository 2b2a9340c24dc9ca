"""Local-impact marts recomputed from the raw files: jobs by département, campaign reach,
their KPIs, and the commune → département rule.

Organisations, jobs and events are read with `csv`, the agenda with `icalendar`, and the
département follows the INSEE rule by hand: the first two characters of the commune code
(three in the overseas 97x), so Lyon's arrondissements 69381–69389 fall in 69 and Corsica's
2A/2B codes in 2A/2B; a postcode stands in when the commune code is missing (20xxx: 2A below
20200, else 2B). `data/reference/communes.csv` is used only as the list of commune codes
that exist and, for the agenda's free-text places, of (postcode, name) pairs.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
import unicodedata
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import duckdb
import icalendar
import pytest

from luhn import luhn_ok, with_key  # the tests' own Luhn arithmetic

PROJECT_ROOT = Path(__file__).resolve().parents[1]
COMMUNES_FILE = PROJECT_ROOT / "data" / "reference" / "communes.csv"


def departement_of_commune(code: str) -> str:
    code = code.strip().upper()
    return code[:3] if code.startswith("97") else code[:2]


def departement_of_postcode(postcode: str) -> str:
    if postcode.startswith("20"):
        return "2A" if int(postcode) < 20200 else "2B"
    return postcode[:3] if postcode.startswith("97") else postcode[:2]


def fold(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.strip()) if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", plain.lower())


def load_communes() -> tuple[set[str], dict[tuple[str, str], str]]:
    codes, by_postcode_name = set(), {}
    with COMMUNES_FILE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            codes.add(row["commune_code"])
            if row["kind"] == "commune":
                by_postcode_name.setdefault((row["postcode"], fold(row["name"]).strip()), row["commune_code"])
    return codes, by_postcode_name


COMMUNE_CODES, COMMUNE_BY_POSTCODE_NAME = load_communes()


def organisation_departements(raw_dir: Path) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for path in sorted((raw_dir / "organisations").glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                commune, postcode = row["code_commune"].strip(), row["code_postal"].strip()
                if commune in COMMUNE_CODES:
                    dep = departement_of_commune(commune)
                elif re.fullmatch(r"\d{5}", postcode):
                    dep = departement_of_postcode(postcode)
                else:
                    dep = None
                out.setdefault(row["siret"].strip(), dep)
    return out


def expected_jobs(raw_dir: Path) -> dict[tuple[int, str], tuple[int, int, float]]:
    """(year, département) -> (organisations, headcount, fte)."""
    deps = organisation_departements(raw_dir)
    seen: set[tuple[str, int]] = set()
    acc: dict[tuple[int, str], list] = defaultdict(lambda: [set(), 0, 0.0])
    for path in sorted((raw_dir / "jobs").glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                siret = row["siret"].strip()
                try:
                    year, headcount, fte = int(row["annee"]), int(row["effectif"]), float(row["etp"])
                except ValueError:
                    continue
                if not (re.fullmatch(r"\d{14}", siret) and luhn_ok(siret)) or headcount < 0 or fte < 0:
                    continue  # rejected by the jobs schema
                if (siret, year) in seen:
                    continue
                seen.add((siret, year))
                cell = acc[(year, deps.get(siret) or "inconnu")]
                cell[0].add(siret)
                cell[1] += headcount
                cell[2] += fte
    return {k: (len(v[0]), v[1], v[2]) for k, v in acc.items()}


def event_types() -> list[str]:
    schema = json.loads((PROJECT_ROOT / "data" / "schemas" / "events.schema.json").read_text(encoding="utf-8"))
    return next(f for f in schema["fields"] if f["name"] == "type_evenement")["constraints"]["enum"]


def commune_of_location(text: str | None) -> str | None:
    """'Salle des fêtes, 69007 Lyon' -> the commune with that postcode and that name."""
    match = re.search(r"(\d{5})\s+([^,]+)$", text or "")
    if not match:
        return None
    return COMMUNE_BY_POSTCODE_NAME.get((match.group(1), fold(match.group(2)).strip()))


def read_events(raw_dir: Path) -> list[dict]:
    types, events = event_types(), []
    for path in sorted((raw_dir / "events").glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            for line, row in enumerate(csv.DictReader(fh), start=2):
                start, end = datetime.fromisoformat(row["debut"]), datetime.fromisoformat(row["fin"])
                audience = int(row["public"]) if row["public"] else None
                young = int(row["public_jeune"]) if row["public_jeune"] else None
                if end < start or row["type_evenement"] not in types or (audience or 0) < 0 \
                        or (young or 0) < 0 or (young or 0) > (audience or 0):
                    continue  # rejected: end before start, unknown type, bad audience
                events.append({"id": row["id"], "title": row["titre"], "start": start, "commune": row["code_commune"],
                               "type": row["type_evenement"], "audience": audience, "young": young,
                               "rank": (0, str(path), line)})
    for path in sorted((raw_dir / "events").glob("*.ics")):
        text = path.read_text(encoding="utf-8")
        lines = [i for i, ln in enumerate(text.splitlines(), start=1) if ln.strip() == "BEGIN:VEVENT"]
        vevents = icalendar.Calendar.from_ical(text).walk("VEVENT")
        for line, ev in zip(lines, vevents, strict=True):
            start = ev.decoded("DTSTART")
            start = start.replace(tzinfo=None) if isinstance(start, datetime) else datetime.combine(start, datetime.min.time())
            category = [str(c) for c in ev.get("CATEGORIES").cats][0] if ev.get("CATEGORIES") else None
            events.append({"id": str(ev.get("UID")), "title": str(ev.get("SUMMARY")), "start": start,
                           "commune": commune_of_location(str(ev.get("LOCATION") or "")),
                           "type": category if category in types else "autre", "audience": None, "young": None,
                           "rank": (1, str(path), line)})
    return events


def deduplicated(events: list[dict]) -> list[dict]:
    """Same id counts once, then same folded title, day and commune; the CSV row wins."""
    by_id: dict[str, dict] = {}
    for e in sorted(events, key=lambda e: e["rank"]):
        by_id.setdefault(e["id"], e)
    by_content: dict[tuple, dict] = {}
    for e in sorted(by_id.values(), key=lambda e: e["rank"]):
        by_content.setdefault((fold(e["title"]), e["start"].date(), e["commune"] or ""), e)
    return list(by_content.values())


def expected_reach(raw_dir: Path) -> dict[tuple[int, str, str], tuple[int, int, int]]:
    acc: dict[tuple[int, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for e in deduplicated(read_events(raw_dir)):
        dep = departement_of_commune(e["commune"]) if e["commune"] in COMMUNE_CODES else "inconnu"
        cell = acc[(e["start"].year, dep, e["type"])]
        cell[0] += 1
        cell[1] += e["audience"] or 0
        cell[2] += e["young"] or 0
    return {k: tuple(v) for k, v in acc.items()}


def rows(serving: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(serving), read_only=True) as conn:
        return conn.sql(sql).fetchall()


# ---------------------------------------------------------------- the sample

def test_jobs_by_departement_matches_the_raw_files(sample_dir, serving):
    expected = expected_jobs(sample_dir)
    actual = {(y, d): (n, h, f) for y, d, n, h, f in rows(
        serving, "select year, departement_code, organisations, headcount, fte from jobs_by_departement")}
    assert sorted(actual) == sorted(expected)
    for key, (n, h, f) in expected.items():
        assert actual[key][:2] == (n, h), key
        assert actual[key][2] == pytest.approx(f, abs=1e-6), key
    # the negative-FTE row of 2020 is rejected: one (organisation, year) fewer than rows read
    assert sum(n for n, _, _ in expected.values()) == sum(1 for _ in (sample_dir / "jobs" / "emplois.csv").open()) - 2


def test_campaign_reach_matches_the_raw_files(sample_dir, serving):
    expected = expected_reach(sample_dir)
    actual = {(y, d, t): (e, p, yp) for y, d, t, e, p, yp in rows(
        serving,
        "select year, departement_code, event_type, events, participants, young_participants from campaign_reach")}
    assert sorted(actual) == sorted(expected)
    diff = {k: (expected[k], actual[k]) for k in expected if expected[k] != actual[k]}
    assert not diff, list(diff.items())[:5]
    # the agenda-only events with no place ("En ligne"...) and the unknown commune 38999 are counted, unplaced
    assert sum(v[0] for (y, d, t), v in expected.items() if d == "inconnu") > 0


def test_events_and_jobs_kpis_per_year(sample_dir, serving):
    jobs, reach = expected_jobs(sample_dir), expected_reach(sample_dir)
    values: dict[tuple[int, str], float] = defaultdict(float)
    for (year, _), (_, headcount, fte) in jobs.items():
        values[(year, "jobs_headcount")] += headcount
        values[(year, "jobs_fte")] += fte
    for (year, _, _), (events, participants, young) in reach.items():
        values[(year, "events")] += events
        values[(year, "participants")] += participants
        values[(year, "young_participants")] += young
    with (PROJECT_ROOT / "data" / "config" / "targets.toml").open("rb") as fh:
        targets = tomllib.load(fh)["target"]
    got = rows(serving, "select year, indicator, value, previous_value, target from kpis where indicator in "
                        "('jobs_headcount', 'jobs_fte', 'events', 'participants', 'young_participants')")
    assert {(y, i) for y, i, *_ in got} == set(values)
    for year, indicator, value, previous, target in got:
        # kpis.value is DECIMAL (euros among these counts); FTE sums are floats here
        value, previous = float(value), (None if previous is None else float(previous))
        assert value == pytest.approx(values[(year, indicator)], abs=1e-6)
        assert previous == (pytest.approx(values[(year - 1, indicator)], abs=1e-6)
                            if (year - 1, indicator) in values else None)
        expected_target = [t["target"] for t in targets if t["indicator"] == indicator
                           and t["from_year"] <= year <= t.get("to_year", 9999)]
        assert target == (float(expected_target[0]) if expected_target else None)


# ---------------------------------------------------------------- commune -> département

def test_the_insee_rule_by_hand():
    assert [departement_of_commune(f"6938{i}") for i in range(1, 10)] == ["69"] * 9
    assert departement_of_commune("2A004") == "2A" and departement_of_commune("2b033") == "2B"
    assert departement_of_commune("97411") == "974"
    assert departement_of_postcode("20000") == "2A" and departement_of_postcode("20200") == "2B"
    assert commune_of_location("Hôtel de ville, 69008 Lyon") == "69123"


def write_directory(raw: Path, rows_: list[tuple[str, str, str]]) -> None:
    """Organisations (siret, commune code, postcode) with one job row each in 2024."""
    (raw / "organisations").mkdir(parents=True)
    (raw / "jobs").mkdir()
    with (raw / "organisations" / "organisations.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("siret", "nom", "categorie_juridique", "code_naf", "code_commune", "code_postal", "type_structure"))
        for i, (siret, commune, postcode) in enumerate(rows_):
            w.writerow((siret, f"Association {i}", "9220", "94.99Z", commune, postcode, "ong"))
    with (raw / "jobs" / "emplois.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("siret", "annee", "effectif", "etp", "benevoles"))
        for siret, _, _ in rows_:
            w.writerow((siret, 2024, 1, "1.0", 0))


def test_communes_map_to_departements_in_the_warehouse(tmp_path):
    """Lyon's arrondissements, Corsica's 2A/2B codes and postcodes standing in for missing
    commune codes, through the real pipeline (organisations → jobs_by_departement)."""
    from pipelines.run import materialize_all

    placed = [(f"6938{i}", f"6900{i}", "69") for i in range(1, 10)]  # Lyon 1er..9e
    placed += [("2A004", "20000", "2A"), ("2B033", "20200", "2B"), ("", "38000", "38"), ("", "20090", "2A"),
               ("", "69003", "69"), ("01053", "", "01")]
    directory = [(with_key(f"{5000000000000 + i * 1000:013d}"), commune, postcode)
                 for i, (commune, postcode, _) in enumerate(placed)]
    write_directory(tmp_path / "raw", directory)
    outcome = materialize_all(tmp_path / "raw", tmp_path / "w.duckdb", tmp_path / "s.duckdb")
    assert outcome.success, outcome.report_lines()
    expected: dict[str, int] = defaultdict(int)
    for _, _, dep in placed:
        expected[dep] += 1
    assert organisation_departements(tmp_path / "raw") == {s: d for (s, _, _), (_, _, d) in zip(directory, placed)}
    got = dict(rows(tmp_path / "s.duckdb", "select departement_code, headcount from jobs_by_departement"))
    assert got == dict(expected)
