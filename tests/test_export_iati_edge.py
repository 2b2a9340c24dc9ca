"""The IATI 2.03 export (`pipelines/export/iati.py`) of a second, tiny raw folder holding what the sample
lacks: percentages missing or not summing to 100, transaction-level countries and sectors, unknown
country and sector codes, USD/XOF and a currency without a rate, negative amounts, two grants with one
decision reference, a reference unfit for an identifier, natural persons with and without a SIRET whose
names the source IATI file carries. Valid, re-read to the snapshot's money (iati_export_checks.py),
its identifiers and links right, no natural person named, and the leak guard finds a name written by mistake.
The stream: the same bytes whatever the chunk size, a leak leaves no file, the streamed validation
counts every error.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from luhn import with_key
from raw_files import write_organisations, write_region_grants
from iati_export_checks import CENT, REGION_REF, REGION_SIRET, check_same_money_as_the_snapshot, xsd_errors


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


# ------------------------------------------------------------------------------ the stream

GENERATED = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_chunks_of_any_size_write_the_same_bytes(edge, tmp_path, monkeypatch):
    """Read one, two or three grants (and co-financed activities) at a time: the shared decision
    reference and EDGE-5's first grant cross a chunk boundary, and the file is unchanged."""
    from pipelines.export import iati

    warehouse = edge[2].parent / "warehouse.duckdb"
    whole = iati.export_iati(warehouse, tmp_path / "whole.xml", generated=GENERATED)
    for size in (1, 2, 3):
        monkeypatch.setattr(iati, "CHUNK", size)
        chunked = iati.export_iati(warehouse, tmp_path / f"chunked{size}.xml", generated=GENERATED)
        assert (tmp_path / f"chunked{size}.xml").read_bytes() == (tmp_path / "whole.xml").read_bytes()
        assert (chunked.activities, chunked.transactions, chunked.committed_by_year, chunked.disbursed_by_year) == (
            whole.activities, whole.transactions, whole.committed_by_year, whole.disbursed_by_year)
        assert chunked.natural_persons == 2 and chunked.grant_activities == 6 and chunked.cofinancing_activities == 1


def test_a_leak_found_while_streaming_leaves_no_file(edge, tmp_path, monkeypatch):
    from pipelines.export import iati
    from pipelines.privacy import PrivacyLeak

    warehouse = edge[2].parent / "warehouse.duckdb"
    out = tmp_path / "leak.xml"
    out.write_text("the previous export")
    read_head = iati.read_export_head

    def head_naming_an_organisation(conn):  # as if the association were a natural person
        head = read_head(conn)
        return {**head, "secrets": head["secrets"] | {"Association Alpha Solidarité"}}

    monkeypatch.setattr(iati, "read_export_head", head_naming_an_organisation)
    with pytest.raises(PrivacyLeak, match="would name a natural person"):
        iati.export_iati(warehouse, out, generated=GENERATED)
    assert out.read_text() == "the previous export"  # left as it was, no partial file beside it
    assert [p.name for p in tmp_path.iterdir()] == ["leak.xml"]


def test_streamed_validation_counts_every_error(edge, tmp_path):
    from pipelines.export.iati import validate_iati

    _, path, _ = edge
    text = path.read_text(encoding="utf-8")
    # two activities whose identifier element has a name the schema does not know
    broken = text.replace("<iati-identifier>", "<iati-identifierX>", 2).replace(
        "</iati-identifier>", "</iati-identifierX>", 2)
    (tmp_path / "invalid.xml").write_text(broken, encoding="utf-8")
    report = validate_iati(tmp_path / "invalid.xml")
    assert report["ran"] and report["valid"] is False
    assert report["errors"] == 2 == len(report["first_errors"])
    assert all("iati-identifierX" in e for e in report["first_errors"])
    # not well-formed: the parse stops, its error is the one counted
    (tmp_path / "truncated.xml").write_text(text[: len(text) // 2], encoding="utf-8")
    report = validate_iati(tmp_path / "truncated.xml")
    assert report["valid"] is False and report["errors"] == 1 and "cut short" in report["first_errors"][0]
    (tmp_path / "mismatched.xml").write_text(text.replace("</title>", "</titleX>", 1), encoding="utf-8")
    report = validate_iati(tmp_path / "mismatched.xml")
    assert report["valid"] is False and report["errors"] >= 1 and report["first_errors"]
    assert validate_iati(path)["valid"] is True


def test_the_exports_bound_duckdb_memory_and_leave_no_temporary_table(edge, tmp_path, monkeypatch):
    """The IATI export keeps its queries' results by chunk in temporary tables (linear time):
    DuckDB's memory is bounded while the exports are written (`SOLIDARITY_EXPORT_DUCKDB_MB`),
    set back after, and the temporary tables are dropped with the export."""
    import duckdb

    from pipelines.export import published

    def limit_mb(conn) -> float:
        number, unit = conn.execute("select current_setting('memory_limit')").fetchall()[0][0].split()
        return float(number) * {"MiB": 2**20, "GiB": 2**30}[unit] / 1e6

    seen: list[tuple[float, int]] = []
    real = published.export_iati

    def spy(conn, out, **kwargs):
        report = real(conn, out, **kwargs)
        temporary = conn.execute("select count(*) from duckdb_tables() where temporary").fetchall()[0][0]
        seen.append((limit_mb(conn), temporary))
        return report

    monkeypatch.setattr(published, "export_iati", spy)
    with duckdb.connect(str(edge[2].parent / "warehouse.duckdb"), read_only=True) as conn:
        default = limit_mb(conn)
        report = published.write_exports(conn, tmp_path / "serving.duckdb", "v1")
        assert len(seen) == 1 and abs(seen[0][0] - 256) / 256 < 0.05 and seen[0][1] == 0
        assert limit_mb(conn) == default
    assert [f["file"] for f in report["files"]][-1] == "iati-activities.xml"
