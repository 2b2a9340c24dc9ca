"""Codes the reference tables do not know are kept, and explained.

A tiny raw folder, written here, holds IATI activities with unknown country and sector
codes (activity and transaction level, next to a newer DAC code of a known category that
is fine) and organisations/events with unknown INSEE commune codes. After a full run the
snapshot's rejected_rows holds one warning per unknown code naming file, XPath or line,
field and value; the money is counted as unallocated and the people under 'inconnu';
nothing is rejected (read = accepted + rejected); data_quality counts the codes.
Expected figures come from the raw files and the shipped reference CSVs, read with
ElementTree and csv.
"""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import PROJECT_ROOT

REFERENCE = PROJECT_ROOT / "data" / "reference"


def siret(n: int) -> str:
    """A valid SIRET (Luhn key), distinct for each n."""
    body = f"{781000000 + n:09d}{n + 10:04d}"
    for last in "0123456789":
        digits = [int(d) for d in body + last]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return body + last
    raise AssertionError("unreachable")


ATTRIBUANT = siret(999)


def activity(i: int, places: str, sectors: str, transactions: str) -> str:
    return f"""<iati-activity default-currency="EUR" xml:lang="fr">
  <iati-identifier>FR-SIRET-{ATTRIBUANT}-UC-{i}</iati-identifier>
  <reporting-org ref="FR-SIRET-{ATTRIBUANT}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>Projet {i}</narrative></title>
  <activity-status code="2"/>
  <activity-date iso-date="2024-01-01" type="2"/>
  {places}
  {sectors}
  {transactions}
</iati-activity>
"""


def tx(kind: str, value: str, inner: str = "") -> str:
    return (f'<transaction><transaction-type code="{kind}"/><transaction-date iso-date="2024-03-01"/>'
            f'<value value-date="2024-03-01">{value}</value>{inner}</transaction>')


BF = '<recipient-country code="BF" percentage="100"/>'
WATER = '<sector vocabulary="1" code="14030" percentage="100"/>'
IATI = ('<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">\n'
        + activity(1, BF, WATER, tx("2", "1000.00") + tx("3", "400.00"))
        # half in Burkina Faso, half in an unknown country
        + activity(2, '<recipient-country code="BF" percentage="50"/><recipient-country code="XX" percentage="50"/>',
                   WATER, tx("3", "300.00"))
        # a 5-digit code of an unknown category (999), and a newer code of a known one (140)
        + activity(3, BF, '<sector vocabulary="1" code="99999" percentage="25"/>'
                          '<sector vocabulary="1" code="14099" percentage="75"/>', tx("3", "200.00"))
        # the transaction's own country and sector win, and are unknown
        + activity(4, BF, WATER, tx("3", "50.00") + tx("3", "100.00", '<recipient-country code="QQ"/>'
                                                                        '<sector vocabulary="1" code="99901"/>'))
        + "</iati-activities>\n")

ORG_HEADER = "siret,nom,categorie_juridique,code_naf,code_commune,code_postal,type_structure"
ORGS = [  # (commune, postcode): known; unknown commune of a known postcode; both unknown
    ("69123", "69001"), ("99999", "69001"), ("99998", "99998"),
]
EVENT_HEADER = "id,titre,debut,fin,code_commune,siret_organisateur,nom_organisateur,type_evenement,public,public_jeune"
EVENT_COMMUNES = ["69123", "99999"]


def write_raw(raw: Path) -> None:
    for folder in ("grants", "iati", "organisations", "jobs", "events"):
        (raw / folder).mkdir(parents=True)
    (raw / "grants" / "subventions_2024.csv").write_text(
        "nomAttribuant;idAttribuant;dateConvention;referenceDecision;nomBeneficiaire;idBeneficiaire;"
        "rnaBeneficiaire;objet;montant;nature;conditionsVersement;datesPeriodeVersement;idRAE;notificationUE;"
        "pourcentageSubvention;dispositifAide\n"
        + "".join(f"Région;{ATTRIBUANT};2024-02-1{i};UC-2024-{i};Association {i};{siret(i)};;Projet {i};"
                  f"{1000 * (i + 1)};aide en numéraire;unique;2024-05-01;;non;0.5;Coopération décentralisée\n"
                  for i in range(2)),
        encoding="utf-8",
    )
    (raw / "iati" / "activities.xml").write_text(IATI, encoding="utf-8")
    (raw / "organisations" / "organisations.csv").write_text(
        ORG_HEADER + "\n" + "".join(f"{siret(i)},Association {i},9220,94.99Z,{c},{p},ong\n"
                                    for i, (c, p) in enumerate(ORGS)), encoding="utf-8")
    (raw / "jobs" / "emplois.csv").write_text(
        "siret,annee,effectif,etp,benevoles\n" + "".join(f"{siret(i)},2024,{i + 2},{i + 1}.5,3\n"
                                                         for i in range(len(ORGS))), encoding="utf-8")
    (raw / "events" / "evenements_2024.csv").write_text(
        EVENT_HEADER + "\n" + "".join(f"EVT-2024-{i:06d},Ciné-débat {i},2024-11-16T20:00:00,2024-11-16T22:30:00,"
                                      f"{c},{siret(i)},Association {i},projection,{80 + i},20\n"
                                      for i, c in enumerate(EVENT_COMMUNES)), encoding="utf-8")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from pipelines.run import materialize_all

    root = tmp_path_factory.mktemp("unknown_codes")
    write_raw(root / "raw")
    outcome = materialize_all(root / "raw", root / "warehouse.duckdb", root / "serving.duckdb")
    assert outcome.success, outcome.report_lines()
    conn = duckdb.connect(str(root / "serving.duckdb"), read_only=True)
    yield root / "raw", conn
    conn.close()


def reference(name: str, column: str) -> set[str]:
    with open(REFERENCE / f"{name}.csv", encoding="utf-8", newline="") as handle:
        return {row[column] for row in csv.DictReader(handle)}


def expected_iati(path: Path) -> tuple[set[tuple[str, str, str]], float, float]:
    """(XPath, field, value) of each unknown code, and the disbursed euros without a
    country and without a DAC category, from the XML and the reference CSVs."""
    countries = reference("countries", "alpha2")
    purpose_codes, categories = reference("dac_sectors", "code5"), reference("dac_categories", "code3")
    unknown, no_country, no_sector = set(), 0.0, 0.0

    def sector_known(code: str) -> bool:
        return code in purpose_codes or code[:3] in categories

    for a, act in enumerate(ET.parse(path).getroot().findall("iati-activity"), start=1):
        xpath = f"/iati-activities/iati-activity[{a}]"
        places = act.findall("recipient-country")
        sectors = act.findall("sector")
        for k, el in enumerate(places, start=1):
            if el.get("code") not in countries:
                unknown.add((xpath, f"recipient-country[{k}]/@code", el.get("code")))
        for k, el in enumerate(sectors, start=1):
            if not sector_known(el.get("code")):
                unknown.add((xpath, f"sector[{k}]/@code", el.get("code")))
        for t, el in enumerate(act.findall("transaction"), start=1):
            country, sector = el.find("recipient-country"), el.find("sector")
            if country is not None and country.get("code") not in countries:
                unknown.add((xpath, f"transaction[{t}]/recipient-country/@code", country.get("code")))
            if sector is not None and not sector_known(sector.get("code")):
                unknown.add((xpath, f"transaction[{t}]/sector/@code", sector.get("code")))
            if el.find("transaction-type").get("code") != "3":
                continue
            value = float(el.find("value").text)
            if country is not None:
                no_country += value * (country.get("code") not in countries)
            else:
                total = sum(float(p.get("percentage")) for p in places)
                no_country += value * sum(float(p.get("percentage")) for p in places
                                          if p.get("code") not in countries) / total
            if sector is not None:
                no_sector += value * (not sector_known(sector.get("code")))
            else:
                total = sum(float(s.get("percentage")) for s in sectors)
                no_sector += value * sum(float(s.get("percentage")) for s in sectors
                                         if not sector_known(s.get("code"))) / total
    return unknown, no_country, no_sector


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text(encoding="utf-8").splitlines()))


def rows(conn: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> list[tuple]:
    return conn.execute(sql, params or {}).fetchall()


def test_each_unknown_iati_code_is_a_warning_naming_file_xpath_field_and_value(run):
    raw, conn = run
    path = raw / "iati" / "activities.xml"
    unknown, _, _ = expected_iati(path)
    assert len(unknown) == 4  # XX, 99999, QQ and 99901 on a transaction; not the newer 14099
    got = rows(conn, "select source_file, source_row, field, value, severity, reason from rejected_rows "
                     "where source = 'iati'")
    assert {(r[1], r[2], r[3]) for r in got} == unknown
    assert len(got) == len(unknown)  # one message per code, no duplicate
    assert {r[0] for r in got} == {path.name} and {r[4] for r in got} == {"warning"}
    for _, _, field, value, _, reason in got:
        assert "unallocated" in reason and value not in reason
        assert reason.startswith("country_unknown" if "country" in field else "sector_unknown")


def test_money_of_unknown_codes_is_kept_as_unallocated(run):
    raw, conn = run
    _, no_country, no_sector = expected_iati(raw / "iati" / "activities.xml")
    assert no_country == pytest.approx(150 + 100) and no_sector == pytest.approx(50 + 100)
    got = rows(conn, """
        select sum(disbursed_eur) filter (where location_code = 'unallocated'),
               sum(disbursed_eur) filter (where category_code = 'unallocated'),
               sum(disbursed_eur)
        from funding""")[0]
    assert got[0] == pytest.approx(no_country)
    assert got[1] == pytest.approx(no_sector)
    assert got[2] == pytest.approx(400 + 300 + 200 + 50 + 100)  # nothing lost
    # the newer code of a known category keeps its sector
    assert rows(conn, "select sum(disbursed_eur) from funding where sector_code = '14099'")[0][0] == pytest.approx(150)
    assert rows(conn, "select count(*) from funding_by_sector where sector_code in ('99999', '99901')") == [(0,)]


def test_unknown_communes_are_warned_once_and_people_counted_under_inconnu(run):
    raw, conn = run
    communes = reference("communes", "commune_code")
    postcodes = reference("communes", "postcode")
    orgs = read_csv(raw / "organisations" / "organisations.csv")
    expected_orgs = {(str(line), o["code_commune"]) for line, o in enumerate(orgs, start=2)
                     if o["code_commune"] not in communes}
    assert len(expected_orgs) == 2
    got = rows(conn, "select source_row, value, field, severity, reason from rejected_rows "
                     "where source = 'organisations' and source_file = $f",
               {"f": str(raw / "organisations" / "organisations.csv")})
    assert {(r[0], r[1]) for r in got} == expected_orgs and len(got) == 2
    assert {(r[2], r[3]) for r in got} == {("code_commune", "warning")}
    by_line = {r[0]: r[4] for r in got}
    assert "postcode" in by_line["3"] and "inconnu" in by_line["4"]  # 69001 places it; 99998 does not

    # jobs of the organisation no commune nor postcode places
    lost = {o["siret"] for o in orgs if o["code_commune"] not in communes and o["code_postal"] not in postcodes}
    jobs = read_csv(raw / "jobs" / "emplois.csv")
    headcount = sum(int(j["effectif"]) for j in jobs if j["siret"] in lost)
    assert rows(conn, "select headcount from jobs_by_departement where departement_code = 'inconnu'") == [(headcount,)]

    events = read_csv(raw / "events" / "evenements_2024.csv")
    expected_events = {(str(line), e["code_commune"]) for line, e in enumerate(events, start=2)
                       if e["code_commune"] not in communes}
    got = rows(conn, "select source_row, value from rejected_rows where source = 'events' and field = 'code_commune'")
    assert sorted(got) == sorted(expected_events)  # the reader's own warning, not a second one
    audience = sum(int(e["public"]) for e in events if e["code_commune"] not in communes)
    reach = rows(conn, "select sum(participants) from campaign_reach where departement_code = 'inconnu'")
    assert reach == [(audience,)]


def test_nothing_is_rejected_and_data_quality_counts_the_codes(run):
    raw, conn = run
    unknown, _, _ = expected_iati(raw / "iati" / "activities.xml")
    read = {"iati": len(ET.parse(raw / "iati" / "activities.xml").getroot().findall("iati-activity")),
            "organisations": len(ORGS), "events": len(EVENT_COMMUNES)}
    manifest = dict((s, (r, a, j)) for s, r, a, j in rows(
        conn, "select source, sum(rows_read), sum(rows_accepted), sum(rows_rejected) from manifest group by source"))
    for source, n in read.items():
        assert manifest[source] == (n, n, 0), source
    assert rows(conn, "select count(*) from rejected_rows where severity = 'error'") == [(0,)]
    quality = dict(rows(conn, "select source, value from data_quality where metric = 'unknown_codes'"))
    assert quality == {"iati": len(unknown), "organisations": 2, "events": 1}
