"""The money marts on a second, tiny raw folder (`edge`) that holds what the sample lacks:
natural persons with and without a SIRET, percentages that do not sum to 100 or are missing,
transaction-level countries and sectors, USD/XOF/unknown currencies, weekend value dates, an
unknown country code and commitments of an unlinked activity.

Expected figures come from the independent model (tests/raw_model.py, tests/money_model.py),
never from the project's readers, SQL or reference tables.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import duckdb
import pytest

from luhn import with_key
from money_model import CENT, assert_same_money, converter, money_flows, snapshot_rows, totals
from raw_files import write_organisations, write_region_grants


# ---------------------------------------------------------------- edge cases and privacy

REGION_SIRET = "20005376700014"
PERSON_NO_SIRET = "Camille Privatova"
PERSON_WITH_SIRET = "Jean Secretin"
PERSON_REJECTED = "Léa Rejetée-Durand"


ORG_SIRET = with_key("4123456780001")
PERSON_SIRET = with_key("8765432100001")

EDGE_GRANTS = [
    # (reference, date, beneficiary, idBeneficiaire as written, montant, objet, programme)
    ("CP-EDGE-1", "2022-03-01", "Association Alpha Solidarité", ORG_SIRET, "100 000,00", "Eau potable (Sénégal)",
     "Coopération décentralisée"),
    ("CP-EDGE-2", "2022-04-01", PERSON_NO_SIRET, "", "1500,00", f"Chantier de {PERSON_NO_SIRET} au Togo",
     "Jeunesse solidaire"),
    ("CP-EDGE-3", "2023-05-02", PERSON_WITH_SIRET,
     f"{PERSON_SIRET[:3]} {PERSON_SIRET[3:6]} {PERSON_SIRET[6:9]} {PERSON_SIRET[9:]}", "2500,00",
     f"Projet de {PERSON_WITH_SIRET}", "Jeunesse solidaire"),
    ("CP-EDGE-4", "2023-06-01", PERSON_REJECTED, "", "mille euros", "Stage", "Jeunesse solidaire"),
    ("CP-EDGE-5", "2023-06-02", "Fair Trade Shop", "", "800,00", "Boutique", ""),
]

EDGE_IATI = f"""<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" generated-datetime="2026-01-01T00:00:00Z">
 <iati-activity default-currency="EUR" hierarchy="1">
  <iati-identifier>FR-SIRET-{REGION_SIRET}-EDGE-1</iati-identifier>
  <reporting-org ref="FR-SIRET-{REGION_SIRET}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>Eau potable</narrative></title>
  <other-identifier ref="CP-EDGE-1" type="A1"/>
  <recipient-country code="SN" percentage="50"/>
  <recipient-country code="ML" percentage="30"/>
  <recipient-region code="289" vocabulary="1" percentage="40"/>
  <sector vocabulary="1" code="14030"/>
  <sector vocabulary="1" code="15110"/>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2022-03-01"/>
   <value value-date="2022-03-01">100000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2022-03-07"/>
   <value currency="USD" value-date="2022-03-05">12000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2022-09-01"/>
   <value value-date="2022-09-01">5000</value>
   <recipient-country code="BF"/><sector vocabulary="2" code="151"/></transaction>
  <transaction><transaction-type code="4"/><transaction-date iso-date="2023-01-10"/>
   <value currency="XOF" value-date="2023-01-10">655957</value></transaction>
 </iati-activity>
 <iati-activity default-currency="EUR" hierarchy="1">
  <iati-identifier>FR-SIRET-{REGION_SIRET}-EDGE-2</iati-identifier>
  <reporting-org ref="FR-SIRET-{REGION_SIRET}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>Cofinancement</narrative></title>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2023-02-01"/>
   <value value-date="2023-02-01">40000</value></transaction>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2023-02-01"/>
   <value currency="ZZZ" value-date="2023-02-01">1000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2023-03-01"/>
   <value value-date="2023-03-01">3000</value><recipient-country code="XX"/></transaction>
 </iati-activity>
 <iati-activity default-currency="USD" hierarchy="1">
  <iati-identifier>FR-SIRET-{REGION_SIRET}-EDGE-3</iati-identifier>
  <reporting-org ref="FR-SIRET-{REGION_SIRET}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>Chantier de jeunes</narrative></title>
  <participating-org role="4" type="90"><narrative>{PERSON_NO_SIRET}</narrative></participating-org>
  <other-identifier ref="CP-EDGE-2" type="A1"/>
  <recipient-country code="TG"/>
  <recipient-region code="298" vocabulary="1"/>
  <sector vocabulary="2" code="160" percentage="100"/>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2022-05-02"/>
   <value value-date="2022-05-02">1500</value>
   <receiver-org><narrative>{PERSON_NO_SIRET}</narrative></receiver-org></transaction>
  <result type="1"><title><narrative>Jeunes</narrative></title>
   <indicator measure="1" ascending="1"><title><narrative>Jeunes partis</narrative></title>
    <baseline year="2022" iso-date="2022-01-01" value="0"/>
    <period><period-start iso-date="2022-01-01"/><period-end iso-date="2022-12-31"/>
     <target value="12"/><actual value="9"/></period>
   </indicator>
  </result>
 </iati-activity>
 <iati-activity default-currency="EUR" hierarchy="1">
  <iati-identifier>FR-SIRET-{REGION_SIRET}-EDGE-4</iati-identifier>
  <reporting-org ref="FR-SIRET-{REGION_SIRET}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>Projet jeune</narrative></title>
  <other-identifier ref="CP-EDGE-3" type="A1"/>
  <recipient-country code="TG" percentage="100"/>
  <sector vocabulary="1" code="11110" percentage="100"/>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2023-06-10"/>
   <value value-date="2023-06-10">2000</value></transaction>
 </iati-activity>
</iati-activities>
"""


def write_edge_folder(root: Path) -> Path:
    for sub in ("grants", "iati", "organisations", "events"):
        (root / sub).mkdir(parents=True)
    write_organisations(root / "organisations" / "organisations.csv", [
        (ORG_SIRET, "Association Alpha Solidarité", "9220", "94.99Z", "69383", "69003", "ong"),
        (PERSON_SIRET, PERSON_WITH_SIRET, "1000", "74.90B", "2A004", "20000", "autre")])
    write_region_grants(root / "grants" / "subventions_edge.csv", REGION_SIRET, EDGE_GRANTS)
    (root / "iati" / "edge.xml").write_text(EDGE_IATI, encoding="utf-8")
    with (root / "events" / "evenements_2023.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("id", "titre", "debut", "fin", "code_commune", "siret_organisateur", "nom_organisateur",
                    "type_evenement", "public", "public_jeune"))
        w.writerow(("EVT-EDGE-1", f"Soirée chez {PERSON_NO_SIRET}", "2023-11-18T19:00:00", "2023-11-18T22:00:00",
                    "2A004", "", PERSON_NO_SIRET, "repas", "30", "10"))
    return root


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    from pipelines.run import materialize_all

    root = tmp_path_factory.mktemp("edge")
    raw = write_edge_folder(root / "raw")
    outcome = materialize_all(raw, root / "warehouse.duckdb", root / "serving.duckdb")
    assert outcome.success, outcome.report_lines()
    return raw, root / "serving.duckdb"


def test_edge_cases_follow_the_money_rules(edge):
    raw, serving = edge
    flows, grants, _ = money_flows(raw)
    assert [g.reference for g in grants] == ["CP-EDGE-1", "CP-EDGE-2", "CP-EDGE-3", "CP-EDGE-5"]
    for sql, key in (
        ("select year, country_code, sum(committed_eur), sum(disbursed_eur) from funding_by_country group by all",
         lambda f, p, s: (f.year, p[1])),
        ("select year, sector_code, category_code, sum(committed_eur), sum(disbursed_eur) from funding_by_sector "
         "group by all",
         lambda f, p, s: (f.year, s[0], s[1])),
        ("select year, programme, committed_eur, disbursed_eur from funding_by_programme",
         lambda f, p, s: (f.year, f.programme)),
    ):
        assert_same_money(totals(flows, key), snapshot_rows(serving, sql))
    by_country = snapshot_rows(serving, "select year, country_code, sum(committed_eur), sum(disbursed_eur) "
                                        "from funding_by_country group by all")
    # 100 000 € over SN 50 / ML 30 / region 289 40 (sum 120, scaled to 100)
    assert by_country[(2022, "SEN")][0] == pytest.approx(100_000 * 50 / 120, abs=CENT)
    assert by_country[(2022, "289")][0] == pytest.approx(100_000 * 40 / 120, abs=CENT)
    # the transaction's own country wins; 655 957 XOF = 1 000 € at the legal parity
    assert by_country[(2022, "BFA")][1] == pytest.approx(5000, abs=CENT)
    assert by_country[(2023, "SEN")][1] == pytest.approx(1000 * 50 / 120, abs=CENT)
    # unlinked activity: its 40 000 € commitment counts, the ZZZ one (no rate) does not;
    # the grant with no activity (800 €) is unallocated; the 'XX' country too
    assert by_country[(2023, "unallocated")] == [pytest.approx(40_000 + 800, abs=CENT), pytest.approx(3000, abs=CENT)]
    # equal split when percentages are missing: TG and region 298 half each (1 500 € grant)
    assert by_country[(2022, "TGO")][0] == pytest.approx(750, abs=CENT)
    # a Saturday value date takes Friday's ECB rate
    usd = converter.convert(12000, "USD", "EUR", date=date(2022, 3, 4))
    assert by_country[(2022, "MLI")][1] == pytest.approx(usd * 30 / 120, abs=CENT)


def test_no_natural_person_reaches_the_snapshot_but_their_money_does(edge):
    _, serving = edge
    secrets = [PERSON_NO_SIRET, PERSON_WITH_SIRET, PERSON_REJECTED, PERSON_SIRET, "Privatova", "Secretin"]
    leaks = []
    with duckdb.connect(str(serving), read_only=True) as conn:
        columns = conn.sql(
            "select table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
        ).fetchall()
        assert len({t for t, _ in columns}) >= 15
        for table, column in columns:
            for secret in secrets:
                hits = conn.execute(
                    f'select count(*) from "{table}" where strpos(lower("{column}"), lower($s)) > 0', {"s": secret}
                ).fetchall()[0][0]
                if hits:
                    leaks.append((table, column, secret))
        jeunesse = conn.sql(
            "select sum(committed_eur) from funding_by_programme where programme = 'Jeunesse solidaire'"
        ).fetchall()[0][0]
        public = conn.sql(
            "select count(*), sum(amount_eur) from grants_public where beneficiary_type = 'personne_physique'"
        ).fetchall()[0]
    assert leaks == []
    assert jeunesse == 1500 + 2500  # exact decimals
    # a person only on positive evidence: "Fair Trade Shop" (800 €, no SIRET) is an organisation
    # and is shown as one; hiding it as a person would falsify the breakdown by beneficiary type
    assert public == (2, 1500 + 2500)  # exact decimals

