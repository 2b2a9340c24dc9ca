"""The sample generator: deterministic bytes, realistic shape, valid IATI.

Every figure is recomputed here from the written files with the csv module and
ElementTree, independently of the generator's own records.
"""

from __future__ import annotations

import csv
import hashlib
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from pipelines.sample import write_sample
from pipelines.sample.ids import luhn_complete

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
YEARS = range(2015, 2026)
ARA_DEPARTEMENTS = {"01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"}


def luhn_ok(number: str) -> bool:
    """Luhn check written here on purpose, independent of the package."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def read_grants(folder: Path, year: int) -> list[dict[str, str]]:
    path = folder / "grants" / f"subventions_{year}.csv"
    raw = path.read_bytes()
    try:
        text, sep = raw.decode("utf-8"), ";"
    except UnicodeDecodeError:
        text, sep = raw.decode("cp1252"), ","
    return list(csv.DictReader(text.splitlines(), delimiter=sep))


def amount(value: str) -> float | None:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("sample")
    messages: list[str] = []
    counts = write_sample(out, scale=1, seed=2026, progress=messages.append)
    assert len(messages) >= 11  # progress is reported per year
    return out, counts


def test_same_seed_same_bytes_other_seed_other_bytes(sample, tmp_path):
    first, _ = sample
    again = tmp_path / "again"
    write_sample(again, scale=1, seed=2026)
    other = tmp_path / "other"
    write_sample(other, scale=1, seed=7)
    expected = digest(first)
    # grants ×11, events ×22, payments ×11, iati, orgs, jobs, and the SAMPLE-DATA.txt marker
    assert len(expected) == 4 + 4 * len(YEARS)
    assert "SAMPLE-DATA.txt" in expected
    assert digest(again) == expected
    other_digest = digest(other)
    assert other_digest.keys() == expected.keys()
    assert all(other_digest[name] != expected[name] for name in expected)


def test_region_siret_and_luhn_helper():
    assert luhn_ok("20005376700014")
    assert luhn_complete("2000537670001") == "20005376700014"
    assert luhn_ok(luhn_complete("12345678"))


def test_grants_layout_totals_and_people(sample):
    folder, counts = sample
    schema_order = [
        "nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
        "idBeneficiaire", "rnaBeneficiaire", "objet", "montant", "nature", "conditionsVersement",
        "datesPeriodeVersement", "idRAE", "notificationUE", "pourcentageSubvention", "dispositifAide",
    ]
    import json

    schema = json.loads((REFERENCE / "scdl" / "schema" / "schema_v2.1.1.json").read_text(encoding="utf-8"))
    assert [f["name"] for f in schema["fields"]] == schema_order
    total_rows = 0
    people = 0
    for year in YEARS:
        rows = read_grants(folder, year)
        assert list(rows[0].keys()) == schema_order
        total_rows += len(rows)
        assert 200 <= len(rows) <= 900, year
        total = sum(a for r in rows if (a := amount(r["montant"])) is not None and a > 0)
        assert 8_000_000 <= total <= 12_000_000, (year, total)
        assert {r["idAttribuant"] for r in rows} == {"20005376700014"}
        people += sum(1 for r in rows if not r["idBeneficiaire"] and r["dispositifAide"] == "Jeunesse solidaire")
        for r in rows:
            siret = r["idBeneficiaire"].replace(" ", "")
            if siret and not (year == 2018 and not luhn_ok(siret)):
                assert len(siret) == 14 and luhn_ok(siret), (year, r)
    assert counts["grants"] == total_rows
    assert people >= 50
    # The cp1252 year really is cp1252 with dot decimals.
    raw = (folder / "grants" / "subventions_2017.csv").read_bytes()
    assert "Région".encode("cp1252") in raw and b";" not in raw.splitlines()[0]
    beneficiaries = {r["idBeneficiaire"] for y in YEARS for r in read_grants(folder, y) if r["idBeneficiaire"]}
    assert 300 <= len(beneficiaries) <= 700


def test_grant_flaws_are_exactly_the_documented_ones(sample):
    folder, _ = sample
    spaces = [(y, r) for y in YEARS for r in read_grants(folder, y) if " " in r["idBeneficiaire"]]
    assert [y for y, _ in spaces] == [2016]
    bad_luhn = [y for y in YEARS for r in read_grants(folder, y)
                if r["idBeneficiaire"] and " " not in r["idBeneficiaire"] and not luhn_ok(r["idBeneficiaire"])]
    assert bad_luhn == [2018]
    dmy = [y for y in YEARS for r in read_grants(folder, y) if "/" in r["dateConvention"]]
    assert dmy == [2019]
    pct = [y for y in YEARS for r in read_grants(folder, y) if amount(r["pourcentageSubvention"]) > 1]
    assert pct == [2021]
    bad_amounts = [(y, r["montant"]) for y in YEARS for r in read_grants(folder, y)
                   if amount(r["montant"]) is None or amount(r["montant"]) <= 0]
    assert [y for y, _ in bad_amounts] == [2022, 2023]
    assert bad_amounts[1][1] == "quinze mille euros"


@pytest.fixture(scope="module")
def iati_tree(sample):
    folder, _ = sample
    return ET.parse(folder / "iati" / "region-activities.xml")


def test_iati_file_validates_against_the_2_03_schema(sample):
    folder, _ = sample
    schema = etree.XMLSchema(etree.parse(str(REFERENCE / "iati" / "schema_v2.03" / "iati-activities-schema.xsd")))
    doc = etree.parse(str(folder / "iati" / "region-activities.xml"))
    assert schema.validate(doc), schema.error_log.last_error


def test_iati_countries_sectors_and_links(sample, iati_tree):
    folder, counts = sample
    activities = iati_tree.getroot().findall("iati-activity")
    assert len(activities) == counts["iati_activities"]
    countries = {c.get("code") for c in iati_tree.iter("recipient-country")}
    assert 60 <= len(countries) <= 80
    known_countries = {i.findtext("code") for i in ET.parse(REFERENCE / "codelists/iati_nonembedded/Country.xml").iter("codelist-item")}
    known_sectors = {i.findtext("code") for i in ET.parse(REFERENCE / "codelists/iati_nonembedded/Sector.xml").iter("codelist-item")}
    assert countries <= known_countries
    assert {s.get("code") for s in iati_tree.iter("sector")} <= known_sectors
    grant_refs = {r["referenceDecision"]: r for y in YEARS for r in read_grants(folder, y)}
    unlinked = 0
    currencies = Counter()
    for act in activities:
        assert act.find("reporting-org").get("ref") == "FR-SIRET-20005376700014"
        currencies[act.get("default-currency")] += 1
        for tag in ("recipient-country", "sector"):
            parts = act.findall(tag) + (act.findall("recipient-region") if tag == "recipient-country" else [])
            assert sum(float(p.get("percentage")) for p in parts) == 100
        links = [o.get("ref") for o in act.findall("other-identifier") if o.get("type") == "A1"]
        txs = [(t.find("transaction-type").get("code"), float(t.findtext("value"))) for t in act.findall("transaction")]
        commitments = [v for c, v in txs if c == "2"]
        assert len(commitments) == 1
        assert sum(v for c, v in txs if c == "3") <= commitments[0] + 0.005
        if not links:
            unlinked += 1
            continue
        grant = grant_refs[links[0]]
        assert grant["dispositifAide"] not in ("Commerce équitable", "Éducation à la citoyenneté mondiale")
        if act.get("default-currency") == "EUR" and amount(grant["montant"]):
            assert commitments[0] == pytest.approx(abs(amount(grant["montant"])))
        # Natural persons are never named in IATI.
        if not grant["idBeneficiaire"]:
            assert grant["nomBeneficiaire"] not in ET.tostring(act, encoding="unicode")
    assert 0.05 <= unlinked / len(activities) <= 0.10
    assert currencies["USD"] > 0 and currencies["XOF"] > 0 and currencies["EUR"] > 0.85 * len(activities)
    with_results = sum(1 for a in activities if a.find("result") is not None)
    assert 0.35 <= with_results / len(activities) <= 0.65
    assert any(a.find("recipient-region") is not None for a in activities)


def test_organisations_and_jobs(sample):
    folder, _ = sample
    with (folder / "organisations" / "organisations.csv").open(encoding="utf-8", newline="") as fh:
        orgs = list(csv.DictReader(fh))
    assert list(orgs[0].keys()) == ["siret", "nom", "categorie_juridique", "code_naf", "code_commune", "code_postal", "type_structure"]
    assert 1_000 <= len(orgs) <= 1_200
    deps = Counter(o["code_commune"][:2] for o in orgs)
    assert set(deps) == ARA_DEPARTEMENTS
    assert deps.most_common(1)[0][0] == "69"
    assert all(luhn_ok(o["siret"]) for o in orgs)
    assert len({o["siret"] for o in orgs}) == len(orgs)
    assert {o["type_structure"] for o in orgs} == {
        "ong", "commerce_equitable", "cooperative", "collectivite", "etablissement_scolaire", "entreprise", "fondation", "autre",
    }
    # Postcodes agree with the commune's département (Lyon arrondissements: 6938x -> 6900x).
    assert all(o["code_postal"][:2] == o["code_commune"][:2] for o in orgs)
    assert {o["code_postal"] for o in orgs if o["code_commune"] == "69387"} <= {"69007"}
    with (folder / "jobs" / "emplois.csv").open(encoding="utf-8", newline="") as fh:
        jobs = list(csv.DictReader(fh))
    assert list(jobs[0].keys()) == ["siret", "annee", "effectif", "etp", "benevoles"]
    headcount_2025 = sum(int(j["effectif"]) for j in jobs if j["annee"] == "2025")
    fte_2025 = sum(float(j["etp"]) for j in jobs if j["annee"] == "2025")
    assert 1_200 <= headcount_2025 <= 1_400
    assert 950 <= fte_2025 <= 1_250
    assert sum(int(j["effectif"]) for j in jobs if j["annee"] == "2015") < headcount_2025
    assert [j for j in jobs if float(j["etp"]) < 0] and len([j for j in jobs if float(j["etp"]) < 0]) == 1
    assert {j["siret"] for j in jobs} <= {o["siret"] for o in orgs}


def test_events_csv_and_agenda(sample):
    folder, counts = sample
    total_csv = total_ics = 0
    for year in YEARS:
        with (folder / "events" / f"evenements_{year}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert list(rows[0].keys()) == [
            "id", "titre", "debut", "fin", "code_commune", "siret_organisateur", "nom_organisateur",
            "type_evenement", "public", "public_jeune",
        ]
        assert 1_000 <= len(rows) <= 5_000, year
        november = sum(1 for r in rows if r["debut"][5:7] == "11")
        assert november / len(rows) >= 0.70, year
        young = sum(int(r["public_jeune"]) for r in rows) / sum(int(r["public"]) for r in rows)
        assert 0.30 <= young <= 0.50, (year, young)
        total_csv += len(rows)
        ics = (folder / "events" / f"agenda_{year}.ics").read_text(encoding="utf-8")
        uids = [line[4:] for line in ics.splitlines() if line.startswith("UID:")]
        total_ics += len(uids)
        ids = {r["id"] for r in rows}
        shared = [u for u in uids if u in ids]
        assert 0.25 <= len(shared) / len(rows) <= 0.35, year
        assert len(uids) > len(shared)  # some events are only in the agenda
        assert "DTSTAMP:20260101T000000Z" in ics
    assert counts["events_csv"] == total_csv and counts["events_ics"] == total_ics


def test_event_flaws(sample):
    folder, _ = sample

    def rows(year):
        with (folder / "events" / f"evenements_{year}.csv").open(encoding="utf-8", newline="") as fh:
            return list(csv.reader(fh))[1:]

    backwards = [y for y in YEARS for r in rows(y) if r[3] < r[2]]
    assert backwards == [2018]
    duplicated = [y for y in YEARS if len(rows(y)) != len({tuple(r) for r in rows(y)})]
    assert duplicated == [2023]
    unknown = [y for y in YEARS for r in rows(y) if r[4] == "38999"]
    assert unknown == [2024]


def test_scale_two_doubles_the_volume(sample, tmp_path):
    _, one = sample
    two = write_sample(tmp_path / "x2", scale=2, seed=2026)
    assert two["grants"] == 2 * one["grants"]
    assert two["organisations"] == 2 * one["organisations"]
    assert two["events_csv"] == 2 * one["events_csv"] - 1  # the duplicated flaw row is written once
    grants_2025 = read_grants(tmp_path / "x2", 2025)
    assert len(grants_2025) == 2 * len(read_grants(sample[0], 2025))
    assert 16_000_000 <= sum(amount(r["montant"]) for r in grants_2025) <= 24_000_000


def test_local_files_meet_the_frictionless_schemas_except_documented_flaws(sample):
    import json

    from frictionless import Resource, Schema, validate

    folder, _ = sample
    schemas = Path(__file__).resolve().parents[1] / "data" / "schemas"

    def errors(relative: str, schema: str) -> list[list]:
        descriptor = json.loads((schemas / f"{schema}.schema.json").read_text(encoding="utf-8"))
        resource = Resource(path=relative, basepath=str(folder), schema=Schema.from_descriptor(descriptor))
        return validate(resource).flatten(["fieldName", "type"])

    assert errors("organisations/organisations.csv", "organisations") == []
    assert errors("jobs/emplois.csv", "jobs") == [["etp", "constraint-error"]]
    assert errors("events/evenements_2025.csv", "events") == []
    assert errors("events/evenements_2023.csv", "events") == [[None, "primary-key"]]


def test_agenda_parses_with_icalendar(sample):
    from icalendar import Calendar

    folder, _ = sample
    cal = Calendar.from_ical((folder / "events" / "agenda_2024.ics").read_bytes())
    events = cal.walk("VEVENT")
    assert len(events) > 1_000
    assert len(cal.walk("VTIMEZONE")) == 1
    types = {str(c) for e in events for c in e.get("CATEGORIES").cats}
    assert types <= {"conference", "projection", "marche_equitable", "intervention_scolaire", "exposition",
                     "atelier", "concert", "repas", "autre"}
    locations = [str(e.get("LOCATION")) for e in events]
    assert sum(1 for loc in locations if not any(ch.isdigit() for ch in loc)) >= 1  # a few unresolvable
    assert all(e.get("DTSTART").dt.tzinfo is not None for e in events)
