"""The IATI 2.03 export (`pipelines/export/iati.py`): valid, re-readable, the same money.

Each figure is checked against one computed another way: the file is validated with lxml
against the official XSD where it lies in the shared reference folder (not the copy the
project ships); it is re-read with the project's own IATI reader and its transactions are
summed here, with Decimal, by year and type, then split by the re-read places and sectors
(docs/money-rules.md applied by hand), and compared with the serving snapshot's marts to
the cent. A second, tiny raw folder holds what the sample lacks: percentages missing or not
summing to 100, transaction-level countries and sectors, unknown country and sector codes,
USD/XOF and a currency without a rate, negative amounts, two grants with one decision
reference, a reference unfit for an identifier, natural persons with and without a SIRET
whose names the source IATI file carries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from lxml import etree

from pipelines.sources.iati import read_activities
from pipelines.sources.person_names import reads_as_person
from luhn import with_key
from raw_files import csv_records, write_organisations, write_region_grants

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
XSD = SHARED_REFERENCE / "iati" / "schema_v2.03" / "iati-activities-schema.xsd"
CENT = Decimal("0.005")
REGION_SIRET = "20005376700014"
REGION_REF = f"FR-SIRET-{REGION_SIRET}"


# ------------------------------------------------------------------------------ helpers

def xsd_errors(path: Path) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    schema.validate(doc)
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def snapshot(serving: Path, sql: str) -> dict[tuple, list[Decimal]]:
    """{key columns: [committed, disbursed]} of a query whose last two columns are money."""
    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql(sql).fetchall()
    out: dict[tuple, list[Decimal]] = {}
    for *key, committed, disbursed in rows:
        out[tuple(key)] = [Decimal(committed or 0), Decimal(disbursed or 0)]
    return out


def assert_same_money(expected: dict, actual: dict) -> None:
    def nonzero(d):
        return {k for k, (c, s) in d.items() if abs(c) >= CENT or abs(s) >= CENT}

    zero = [Decimal(0), Decimal(0)]
    keys = nonzero(expected) | nonzero(actual)
    diff = {k: (expected.get(k, zero), actual.get(k, zero)) for k in sorted(keys, key=str)
            if any(abs(a - b) >= CENT for a, b in zip(expected.get(k, zero), actual.get(k, zero)))}
    assert diff == {}
    assert keys, "no money compared"


def _shares(items: list[tuple[tuple, float | None]]) -> dict[tuple, float]:
    """Percentages scaled to sum 1; equal split when any is missing or they sum to 0."""
    out: dict[tuple, float] = defaultdict(float)
    pcts = [p for _, p in items]
    total = sum(p for p in pcts if p is not None)
    for key, pct in items:
        out[key] += pct / total if None not in pcts and total > 0 else 1 / len(items)
    return out


class Reread:
    """The exported file read back with `pipelines.sources.iati.read_activities`, its money
    summed and split here by docs/money-rules.md (countries ISO alpha-3 through the
    snapshot's `countries`, DAC categories through its `dac_categories`)."""

    def __init__(self, path: Path, serving: Path):
        self.result = read_activities(path)
        with duckdb.connect(str(serving), read_only=True) as conn:
            self.alpha3 = dict(conn.sql("select alpha2, alpha3 from countries").fetchall())
            self.categories = {c for (c,) in conn.sql("select code3 from dac_categories").fetchall()}
        t = self.result.tables
        self.activities = t["activities"].to_dicts()
        self.places: dict[str, list] = defaultdict(list)
        for row in t["activity_locations"].iter_rows(named=True):
            code = (self.alpha3.get(row["code"], "unallocated") if row["kind"] == "country" else row["code"])
            self.places[row["iati_identifier"]].append(((code,), row["percentage"]))
        self.sectors: dict[str, list] = defaultdict(list)
        for row in t["activity_sectors"].iter_rows(named=True):
            self.sectors[row["iati_identifier"]].append(row)
        self.transactions = t["transactions"].to_dicts()

    def sector_of(self, vocabulary: str | None, code: str | None) -> tuple[str, str]:
        vocabulary = vocabulary or "1"
        category = (code or "")[:3] if vocabulary == "1" else (code or "")
        if category not in self.categories:
            return ("unallocated", "unallocated")
        return (code if vocabulary == "1" else "unallocated", category)

    def activity_sectors(self, identifier: str) -> dict[tuple, float]:
        rows = [r for r in self.sectors.get(identifier, []) if (r["vocabulary"] or "1") in ("1", "2")]
        if not rows:
            return {("unallocated", "unallocated"): 1.0}
        chosen = min(r["vocabulary"] or "1" for r in rows)
        return _shares([(self.sector_of(chosen, r["code"]), r["percentage"])
                        for r in rows if (r["vocabulary"] or "1") == chosen])

    def money(self, key) -> dict[tuple, list[Decimal]]:
        """{(year, *key(place, sector)): [committed, disbursed]} split by places and sectors."""
        out: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for tx in self.transactions:
            assert tx["currency"] == "EUR", tx
            assert tx["transaction_type"] in ("2", "3", "4"), tx
            column = 0 if tx["transaction_type"] == "2" else 1
            value = Decimal(tx["value"])
            identifier = tx["iati_identifier"]
            if tx["recipient_country"]:
                places = {(self.alpha3.get(tx["recipient_country"], "unallocated"),): 1.0}
            elif tx["recipient_region"]:
                places = {(tx["recipient_region"],): 1.0}
            elif self.places.get(identifier):
                places = _shares(self.places[identifier])
            else:
                places = {("unallocated",): 1.0}
            if tx["sector_code"] and (tx["sector_vocabulary"] or "1") in ("1", "2"):
                sectors = {self.sector_of(tx["sector_vocabulary"], tx["sector_code"]): 1.0}
            else:
                sectors = self.activity_sectors(identifier)
            for place, p_share in places.items():
                for sector, s_share in sectors.items():
                    out[(tx["transaction_date"].year, *key(place, sector))][column] += (
                        value * Decimal(p_share) * Decimal(s_share))
        return dict(out)

    def by_year(self) -> dict[tuple, list[Decimal]]:
        """Per year and type, no split: exact Decimal sums of the values as written."""
        out: dict[tuple, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
        for tx in self.transactions:
            out[(tx["transaction_date"].year,)][0 if tx["transaction_type"] == "2" else 1] += Decimal(tx["value"])
        return dict(out)


def check_same_money_as_the_snapshot(path: Path, serving: Path) -> Reread:
    reread = Reread(path, serving)
    assert reread.result.rows_rejected == 0
    assert [p for p in reread.result.problems if p.severity == "error"] == []
    assert_same_money(
        snapshot(serving, "select year, sum(committed_eur), sum(disbursed_eur) from funding group by year"),
        reread.by_year(),
    )
    assert_same_money(
        snapshot(serving, "select year, country_code, sum(committed_eur), sum(disbursed_eur) "
                          "from funding_by_country group by all"),
        reread.money(lambda place, sector: place),
    )
    assert_same_money(
        snapshot(serving, "select year, sector_code, category_code, sum(committed_eur), sum(disbursed_eur) "
                          "from funding_by_sector group by all"),
        reread.money(lambda place, sector: sector),
    )
    return reread


# ------------------------------------------------------------------------------ the sample

@pytest.fixture(scope="module")
def exported(built, tmp_path_factory):
    from pipelines.export.iati import export_iati

    outcome, warehouse, serving = built
    assert outcome.success, outcome.report_lines()
    out = tmp_path_factory.mktemp("iati_export") / "region-iati.xml"
    report = export_iati(warehouse, out)
    return report, out, serving


def test_the_sample_export_is_valid_iati_2_03(exported):
    report, path, serving = exported
    assert report.path == path and path.is_file()
    assert xsd_errors(path) == []
    assert report.validation["ran"] and report.validation["valid"] and report.validation["errors"] == 0
    root = etree.parse(str(path)).getroot()
    assert root.tag == "iati-activities" and root.get("version") == "2.03" and root.get("generated-datetime")
    acts = root.findall("iati-activity")
    with duckdb.connect(str(serving), read_only=True) as conn:
        grants = conn.sql("select count(*) from grants_public").fetchall()[0][0]
    assert report.activities == len(acts) == report.grant_activities + report.cofinancing_activities
    assert report.grant_activities == grants
    assert report.cofinancing_activities > 0
    ids = [a.findtext("iati-identifier") for a in acts]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith(REGION_REF + "-") for i in ids)
    assert {a.get("default-currency") for a in acts} == {"EUR"}
    assert {a.find("reporting-org").get("ref") for a in acts} == {REGION_REF}
    assert {a.find("reporting-org").get("type") for a in acts} == {"11"}
    # amounts: plain decimals, no exponent, always with a value-date
    values = root.findall(".//transaction/value")
    assert len(values) == report.transactions
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", v.text) and v.get("value-date") for v in values)


def test_the_sample_export_rereads_to_the_snapshot_money(exported):
    report, path, serving = exported
    reread = check_same_money_as_the_snapshot(path, serving)
    assert reread.result.rows_read == report.activities
    assert len(reread.transactions) == report.transactions
    # the report's totals are the written values, exactly (no rounding on the way)
    by_year = reread.by_year()
    assert {y: c for (y,), (c, _) in by_year.items() if c} == {y: c for y, c in report.committed_by_year.items() if c}
    assert {y: d for (y,), (_, d) in by_year.items() if d} == {y: d for y, d in report.disbursed_by_year.items() if d}


def _sample_beneficiaries(raw: Path) -> tuple[set[str], set[str]]:
    """(names of persons, names of organisations) of the sample's raw grant CSVs: a row with
    an empty idBeneficiaire whose name reads as a person's, and a row with an identifier."""
    persons, organisations = set(), set()
    for path in sorted((raw / "grants").glob("*.csv")):
        for row in csv_records(path):
            name = (row.get("nomBeneficiaire") or "").strip()
            if not (row.get("idBeneficiaire") or "").strip():
                if reads_as_person(name):
                    persons.add(name)
            elif name:
                organisations.add(name)
    return persons, organisations


def _xml_values(path: Path) -> list[str]:
    """Every text and attribute value of the file."""
    values = []
    for el in etree.parse(str(path)).getroot().iter():
        values += [v.strip() for v in [el.text or "", *el.attrib.values()] if v.strip()]
    return values


def test_no_natural_person_is_named_in_the_sample_export(exported, sample_dir):
    report, path, serving = exported
    names, organisations = _sample_beneficiaries(sample_dir)
    assert len(names) > 50
    # a person's name anywhere in a text or attribute, except inside an organisation's own
    # name published with its SIRET: "Collège Louise Michel" is a school, not the person
    # "Louise Michel" (a name both carry in the sample)
    organisations = {o.casefold() for o in organisations}
    leaks = [(n, v) for v in _xml_values(path) if v.casefold() not in organisations
             for n in names if n.casefold() in v.casefold()]
    assert leaks == []
    # their grants are still there, under a neutral title, with their money
    with duckdb.connect(str(serving), read_only=True) as conn:
        persons, amount = conn.sql("select count(*), sum(amount_eur) from grants_public "
                                   "where beneficiary_type = 'personne_physique'").fetchall()[0]
    root = etree.parse(str(path)).getroot()
    neutral = [a for a in root.findall("iati-activity")
               if a.findtext("title/narrative") == "Subvention à une personne physique"]
    assert len(neutral) == persons == report.natural_persons > 0
    written = sum(Decimal(a.xpath("transaction[transaction-type/@code='2']/value")[0].text) for a in neutral)
    assert abs(written - Decimal(amount)) < CENT
    for act in neutral:
        implementing = act.find("participating-org[@role='4']")
        assert implementing.get("ref") is None and implementing.find("narrative") is None
        assert act.find(".//receiver-org") is None


# ------------------------------------------------------------------------------ edge cases

ORG_SIRET = with_key("4123456780001")
PERSON_SIRET = with_key("8765432100001")
PERSON_NO_SIRET = "Camille Privatova"
PERSON_WITH_SIRET = "Hugo Secretin"

EDGE_GRANTS = [
    # (reference, date, beneficiary, idBeneficiaire, montant, objet, programme)
    ("CP-EDGE-1", "2022-03-01", "Association Alpha Solidarité", ORG_SIRET, "100000,00", "Eau potable (Sénégal)",
     "Coopération décentralisée"),
    ("CP-EDGE-2", "2022-04-01", PERSON_NO_SIRET, "", "1500,00", f"Chantier de {PERSON_NO_SIRET} au Togo",
     "Jeunesse solidaire"),
    ("CP-EDGE-3", "2023-05-02", PERSON_WITH_SIRET, PERSON_SIRET, "2500,00", f"Projet de {PERSON_WITH_SIRET}",
     "Jeunesse solidaire"),
    ("CP EDGE/5", "2023-06-02", "Fair Trade Shop", "", "800,00", "Boutique", ""),
    # one decision reference, two grants (two instalments): both link to EDGE-5
    ("CP-EDGE-6", "2024-01-15", "Association Alpha Solidarité", ORG_SIRET, "3000,00", "Forages (Mali)",
     "Coopération décentralisée"),
    ("CP-EDGE-6", "2024-07-15", "Association Alpha Solidarité", ORG_SIRET, "-500,00", "Forages (Mali), réduction",
     "Coopération décentralisée"),
]


def _act(n: int, body: str, currency: str = "EUR") -> str:
    return f"""
 <iati-activity default-currency="{currency}" hierarchy="1">
  <iati-identifier>{REGION_REF}-EDGE-{n}</iati-identifier>
  <reporting-org ref="{REGION_REF}" type="10"><narrative>Région</narrative></reporting-org>
  {body}
 </iati-activity>"""


def _tx(kind: str, day: str, value: str, extra: str = "", currency: str = "") -> str:
    cur = f' currency="{currency}"' if currency else ""
    return (f'<transaction><transaction-type code="{kind}"/><transaction-date iso-date="{day}"/>'
            f'<value{cur} value-date="{day}">{value}</value>{extra}</transaction>')


EDGE_IATI = '<?xml version="1.0" encoding="UTF-8"?>\n<iati-activities version="2.03">' + "".join([
    _act(1, f"""<title><narrative>Eau potable</narrative></title>
  <other-identifier ref="CP-EDGE-1" type="A1"/>
  <recipient-country code="SN" percentage="50"/><recipient-country code="ML" percentage="30"/>
  <recipient-region code="289" vocabulary="1" percentage="40"/>
  <sector vocabulary="1" code="14030"/><sector vocabulary="1" code="15110"/><sector vocabulary="2" code="140"/>
  {_tx("2", "2022-03-01", "100000")}
  {_tx("3", "2022-03-07", "12000", currency="USD")}
  {_tx("3", "2022-09-01", "5000", '<sector vocabulary="2" code="151"/><recipient-country code="BF"/>')}
  {_tx("4", "2023-01-10", "655957", currency="XOF")}
  {_tx("3", "2023-02-10", "-250.5")}
  {_tx("1", "2022-01-10", "99999")}"""),
    _act(2, f"""<title><narrative>Cofinancement</narrative></title>
  <participating-org role="1" ref="XM-DAC-41114" type="40"><narrative>PNUD</narrative></participating-org>
  <recipient-country code="SN" percentage="60"/><recipient-country code="QQ" percentage="40"/>
  <sector vocabulary="1" code="00010" percentage="25"/><sector vocabulary="1" code="11110" percentage="75"/>
  {_tx("2", "2023-02-01", "40000")}
  {_tx("2", "2023-02-01", "1000", currency="ZZZ")}
  {_tx("2", "2024-02-01", "-5000")}
  {_tx("3", "2023-03-01", "3000", '<recipient-country code="XX"/>')}"""),
    _act(3, f"""<title><narrative>Chantier de jeunes</narrative></title>
  <participating-org role="4" type="90"><narrative>{PERSON_NO_SIRET}</narrative></participating-org>
  <other-identifier ref="CP-EDGE-2" type="A1"/>
  <recipient-country code="TG"/><recipient-region code="298" vocabulary="1"/>
  <sector vocabulary="2" code="160" percentage="100"/>
  {_tx("3", "2022-05-02", "1500", f"<receiver-org><narrative>{PERSON_NO_SIRET}</narrative></receiver-org>")}
  <result type="1"><title><narrative>Jeunes</narrative></title>
   <indicator measure="1" ascending="1"><title><narrative>Jeunes partis</narrative></title>
    <baseline year="2022" value="0"/>
    <period><period-start iso-date="2022-01-01"/><period-end iso-date="2022-12-31"/>
     <target value="12"/><actual value="9"/></period>
   </indicator>
  </result>""", currency="USD"),
    _act(4, f"""<title><narrative>Projet de {PERSON_WITH_SIRET}</narrative></title>
  <participating-org role="4" ref="FR-SIRET-{PERSON_SIRET}"><narrative>{PERSON_WITH_SIRET}</narrative></participating-org>
  <other-identifier ref="CP-EDGE-3" type="A1"/>
  <recipient-country code="TG" percentage="100"/>
  <sector vocabulary="1" code="11110" percentage="100"/>
  {_tx("3", "2023-06-10", "2000")}"""),
    _act(5, f"""<title><narrative>Forages</narrative></title>
  <other-identifier ref="CP-EDGE-6" type="A1"/>
  <recipient-country code="ML" percentage="100"/>
  <sector vocabulary="1" code="14030" percentage="100"/>
  {_tx("2", "2024-01-15", "3000")}
  {_tx("3", "2024-03-01", "1200")}"""),
]) + "\n</iati-activities>\n"


def write_edge_folder(root: Path) -> Path:
    for sub in ("grants", "iati", "organisations"):
        (root / sub).mkdir(parents=True)
    write_organisations(root / "organisations" / "organisations.csv", [
        (ORG_SIRET, "Association Alpha Solidarité", "9220", "94.99Z", "69383", "69003", "ong"),
        (PERSON_SIRET, PERSON_WITH_SIRET, "1000", "74.90B", "69383", "69003", "autre")])
    write_region_grants(root / "grants" / "subventions_edge.csv", REGION_SIRET, EDGE_GRANTS)
    (root / "iati" / "edge.xml").write_text(EDGE_IATI, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    from pipelines.export.iati import export_iati
    from pipelines.run import materialize_all

    root = tmp_path_factory.mktemp("iati_edge")
    raw = write_edge_folder(root / "raw")
    outcome = materialize_all(raw, root / "warehouse.duckdb", root / "serving.duckdb")
    assert outcome.success, outcome.report_lines()
    report = export_iati(root / "warehouse.duckdb", root / "edge-export.xml")
    return report, root / "edge-export.xml", root / "serving.duckdb"


def test_edge_export_is_valid_and_rereads_to_the_snapshot_money(edge):
    report, path, serving = edge
    assert xsd_errors(path) == []
    assert report.validation["valid"]
    reread = check_same_money_as_the_snapshot(path, serving)
    by_country = reread.money(lambda place, sector: place)
    # hand figures: 100 000 € over SN 50 / ML 30 / region 289 40 (sum 120, scaled to 100)
    assert abs(by_country[(2022, "SEN")][0] - Decimal(100_000 * 50) / 120) < CENT
    assert abs(by_country[(2022, "289")][0] - Decimal(100_000 * 40) / 120) < CENT
    # the transaction's own country wins (5 000 € to Burkina Faso); the unknown XX and QQ
    # stay unallocated, with the 800 € grant that has no activity
    assert abs(by_country[(2022, "BFA")][1] - 5000) < CENT
    assert abs(by_country[(2023, "unallocated")][0] - (800 + Decimal(40_000 * 40) / 100)) < CENT
    assert abs(by_country[(2023, "unallocated")][1] - 3000) < CENT
    # a negative commitment of the co-financed activity nets in 2024
    assert abs(by_country[(2024, "SEN")][0] - Decimal(-5000 * 60) / 100) < CENT
    assert report.transactions_without_rate == 1  # the ZZZ commitment: not counted, not written


def test_edge_export_identifiers_and_links(edge):
    report, path, _ = edge
    root = etree.parse(str(path)).getroot()
    acts = {a.findtext("iati-identifier"): a for a in root.findall("iati-activity")}
    assert report.grant_activities == 6 and report.cofinancing_activities == 1
    assert f"{REGION_REF}-CP-EDGE-1" in acts and f"{REGION_REF}-EDGE-2" in acts
    # a shared or unsafe decision reference gives a digest identifier, stable and unique
    digests = [i for i in acts if re.fullmatch(rf"{REGION_REF}-G[0-9a-f]{{16}}", i)]
    assert len(digests) == 3
    shared = [a for a in acts.values() if a.find("other-identifier[@ref='CP-EDGE-6']") is not None]
    assert len(shared) == 2
    # EDGE-5's disbursement is counted once, on the first of its two grants
    assert sorted(len(a.xpath("transaction[transaction-type/@code='3']")) for a in shared) == [0, 1]
    # the result of the linked activity is carried
    person = acts[f"{REGION_REF}-CP-EDGE-2"]
    assert person.find("result/indicator/period/actual").get("value") == "9.0"
    assert person.find("other-identifier[@type='B1']").get("ref") == f"{REGION_REF}-EDGE-3"


def test_edge_export_names_no_natural_person(edge):
    report, path, _ = edge
    text = path.read_text(encoding="utf-8").lower()
    for secret in (PERSON_NO_SIRET, PERSON_WITH_SIRET, PERSON_SIRET, "privatova", "secretin"):
        assert secret.lower() not in text
    assert report.natural_persons == 2
    assert "association alpha solidarité" in text and f"fr-siret-{ORG_SIRET}" in text


def test_the_leak_guard_finds_a_name_or_siret_written_by_mistake():
    from pipelines.export.iati import _leaks

    root = etree.fromstring(
        f'<iati-activities><iati-activity><participating-org ref="FR-SIRET-{PERSON_SIRET}"/>'
        f"<title><narrative> {PERSON_NO_SIRET} </narrative></title>"
        f"<description><narrative>Projet de {PERSON_NO_SIRET}</narrative></description></iati-activity></iati-activities>"
    )
    # whole values equal to a name or SIRET (as pipelines/privacy.py compares), refs included
    assert sorted(_leaks(root, {PERSON_SIRET, PERSON_NO_SIRET})) == ["narrative", "participating-org"]
    assert _leaks(root, set()) == []
