"""Real public files read without the pipeline (issue "Real files, true figures"): `solidarity validate`
over every real and reference file, the classes of the issue each on a real file of its kind read by
the grants reader, and the header synonym table against every real file's header; expected values
from the independent reading of real_files_reading.py.
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal

import duckdb
from real_files_reading import CENT, IATI_FILES, SCDL, SHARED, money, scdl_path, sheet_records, text_records


def test_no_real_file_makes_validate_print_a_traceback():
    # the corpus, and every SCDL and IATI file of ../shared/reference (the IATI schema's own
    # should-pass/should-fail files, the official examples, the SCDL examples)
    shared = sorted(p for p in (SHARED / "iati").rglob("*.xml")) + sorted(
        p for p in (SHARED / "scdl").rglob("*") if p.suffix in (".csv", ".xlsx", ".xls", ".ods"))
    files = list(dict.fromkeys([scdl_path(n) for n in SCDL] + IATI_FILES + shared))
    assert len(files) > 700
    out = subprocess.run([sys.executable, "-m", "pipelines.cli", "validate", *map(str, files)],
                         capture_output=True, text=True, timeout=600)
    said = out.stdout + out.stderr
    assert "Traceback" not in said
    # one summary per file: read (with its counts) or refused (with its cause)
    assert said.count(": grants, ") + said.count(": iati, ") + said.count(": refused (") == len(files)


# --- the twelve classes of the issue, each on a real file of its kind ---------------------

def test_class1_bom_then_cp1252_reads_and_one_unreadable_file_is_refused_alone(tmp_path):
    from pipelines.ingest import ingest_source
    from pipelines.sources.contracts import GRANT_TABLES
    from pipelines.sources.scdl import read_grants

    name = "DEP_Somme_2018-03-02_conventions_bom-cp1252.csv"
    assert scdl_path(name).read_bytes().startswith(b"\xef\xbb\xbf")
    result = read_grants(scdl_path(name))
    names = result.tables["grants"]["beneficiaire_nom"].to_list()
    assert not any("\ufffd" in (n or "") or "Ã" in (n or "") for n in names)  # cp1252 read as such
    assert result.rows_read == result.rows_accepted == 41
    # a reader that fails in a way nobody foresaw refuses its own file, not the run
    files = [scdl_path(name), scdl_path("DEP_Vendee_2018-01_conventions.xlsx")]

    def reader(path):
        if path.name == name:
            raise RuntimeError("a decoder's surprise")
        return read_grants(path)

    conn = duckdb.connect()
    stats = ingest_source(conn, "grants", files, reader, GRANT_TABLES)
    assert stats["files_refused"] == 1
    loads = dict(conn.execute("select source_file, error from quality.file_loads").fetchall())
    assert "RuntimeError: a decoder's surprise" in loads[name] and loads["DEP_Vendee_2018-01_conventions.xlsx"] is None
    assert conn.execute("select count(*) from raw.grants").fetchone()[0] == 4


def test_class5_dates_as_published(tmp_path):
    from pipelines.sources.scdl import read_grants

    name = "DEP_Somme_2018-03-02_conventions_bom-cp1252.csv"
    records = text_records(scdl_path(name), "cp1252", ";")
    col = records[0].index("dateConvention")
    slashed = {i: r[col] for i, r in enumerate(records[1:], start=2) if re.fullmatch(r"\d{4}/\d{2}/\d{2}", r[col])}
    assert slashed
    got = dict(read_grants(scdl_path(name)).tables["grants"].select("source_row", "date_convention").rows())
    assert {i: got[i].isoformat() for i in slashed} == {i: v.replace("/", "-") for i, v in slashed.items()}


def test_class6_french_headers_and_attributaire_is_the_recipient():
    from pipelines.sources.scdl import read_grants

    name = "DEP_Deux-Sevres_2015-2017_conventions.xls"
    rows = sheet_records(scdl_path(name))
    header = rows[0]
    body = [r for r in rows[1:] if any(c.strip() for c in r)]
    expected = [r[header.index("Nom attributaire")] for r in body]
    grants = read_grants(scdl_path(name)).tables["grants"]
    assert grants.height == len(expected) == 467
    assert grants["beneficiaire_nom"].to_list() == [e.strip() or None for e in expected]
    # the grantor comes from "Autorité administrative", never from the recipients' column
    assert grants["attribuant_nom"].to_list() == [r[header.index("Autorité administrative")].strip() for r in body]
    assert not set(grants["attribuant_nom"]) & set(grants["beneficiaire_nom"])


def test_class10_unquoted_decimal_comma_repaired_on_a_real_file():
    from pipelines.sources.scdl import read_grants

    name = "DEP_Vendee_2018_conventions_cp1252.csv"
    records = text_records(scdl_path(name), "cp1252", ",")
    width, m = len(records[0]), records[0].index("montant")
    fixable = [i for i, r in enumerate(records[1:], start=2)
               if len(r) == width + 1 and re.fullmatch(r"\d{1,2}", r[m + 1]) and re.fullmatch(r"[\d\s\u00a0Â]+", r[m])]
    result = read_grants(scdl_path(name))
    repaired = sorted(int(p.source_row) for p in result.problems if p.reason.startswith("montant_comma_repaired"))
    assert repaired == fixable and len(fixable) > 80


def test_class11_nameless_grant_kept_and_total_line_set_aside(tmp_path):
    from pipelines.sources.scdl import read_grants

    name = "DEP_Lot_Subventions_2017_DONNEES.xlsx_pour_exemple.csv"
    raw = scdl_path(name).read_bytes()
    records = text_records(scdl_path(name), "cp1252", ";")
    header = records[0]
    total = sum(money(r[header.index("montant")]) for r in records[1:] if any(c.strip() for c in r))
    nameless = records[1][:]
    nameless[header.index("nomBeneficiaire")] = ""
    line = ";".join(nameless).encode("cp1252")
    total_line = ";".join("" if h != "montant" else f"{total}".replace(".", ",") for h in header).encode("cp1252")
    path = tmp_path / name
    path.write_bytes(raw.rstrip(b"\r\n") + b"\r\n" + total_line + b"\r\n" + line + b"\r\n")
    result = read_grants(path)
    grants, aside = result.tables["grants"], result.tables["grants_set_aside"]
    assert aside.select("reason", "montant_eur").rows() == [("total_line", float(total))]
    assert grants.height == 14 and grants["beneficiaire_nom"].null_count() == 1  # the nameless grant kept
    assert Decimal(grants["montant_eur"].sum()).quantize(CENT) == \
        (total + money(nameless[header.index("montant")])).quantize(CENT)
    assert result.rows_read == result.rows_accepted + result.rows_rejected == 15


def test_every_header_of_every_real_file_is_in_the_synonym_table():
    """The table (pipelines/sources/scdl/headers.csv) knows every header cell of every real
    file: as an SCDL column, or as a column known not to be one (kept in `extra`)."""
    from pipelines.sources.scdl.header import known_header

    unknown = set()
    for name, (encoding, sep, header_line, _, _) in SCDL.items():
        path = scdl_path(name)
        records = sheet_records(path) if encoding is None else text_records(path, encoding, sep)
        unknown |= {(name, cell) for cell in records[header_line - 1] if cell.strip() and not known_header(cell)}
    assert unknown == set()
