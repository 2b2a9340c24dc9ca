"""Organisations and jobs readers, and their Frictionless Table Schemas: the schemas are valid and
say what the brief says, valid files agree with Frictionless, hostile files are rejected line by line.

Every file is written by the test itself; expected figures come from the raw text (stdlib csv,
line scans, zoneinfo), never from the reader under test.
"""

from __future__ import annotations

import json

import pytest
from frictionless import Schema

from pipelines.sources.common import SourceError
from pipelines.sources.contracts import JOB_TABLES, ORGANISATION_TABLES
from pipelines.sources.local import read_jobs, read_organisations
from pipelines.sources.local.table_schema import load_schema
from local_files import (
    BAD,
    JOB_HEADER,
    ORG_HEADER,
    S1,
    S2,
    S3,
    S4,
    SCHEMAS,
    assert_balanced,
    data_rows,
    frictionless_report,
    reasons,
    rejected_lines,
    write,
)


# --- the schemas ----------------------------------------------------------------

@pytest.mark.parametrize("name", ["organisations", "jobs", "events"])
def test_schema_is_a_valid_table_schema(name):
    descriptor = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    schema = Schema.from_descriptor(descriptor)  # raises on an invalid Table Schema
    assert Schema.validate_descriptor(descriptor).valid
    assert [f.name for f in schema.fields] == [f["name"] for f in descriptor["fields"]]
    for f in descriptor["fields"]:
        assert f["title"] and f["description"], f["name"]


def test_schema_constraints_match_the_brief():
    org = {f["name"]: f for f in load_schema("organisations")["fields"]}
    assert org["siret"]["constraints"] == {"required": True, "pattern": r"^\d{14}$"}
    assert org["code_commune"]["constraints"]["pattern"] == r"^(\d{5}|2[AB]\d{3})$"
    assert org["type_structure"]["constraints"]["enum"] == [
        "ong", "commerce_equitable", "cooperative", "collectivite", "etablissement_scolaire",
        "entreprise", "fondation", "autre",
    ]
    jobs = load_schema("jobs")
    assert jobs["primaryKey"] == ["siret", "annee"]
    j = {f["name"]: f for f in jobs["fields"]}
    assert (j["annee"]["constraints"]["minimum"], j["annee"]["constraints"]["maximum"]) == (2000, 2100)
    assert j["etp"]["type"] == "number" and j["effectif"]["type"] == "integer"
    assert "required" not in j["benevoles"]["constraints"]
    ev = {f["name"]: f for f in load_schema("events")["fields"]}
    assert ev["debut"]["type"] == ev["fin"]["type"] == "datetime"
    assert ev["type_evenement"]["constraints"]["enum"] == [
        "conference", "projection", "marche_equitable", "intervention_scolaire", "exposition",
        "atelier", "concert", "repas", "autre",
    ]
    assert {n for n, f in ev.items() if not f["constraints"].get("required")} == {
        "siret_organisateur", "public", "public_jeune",
    }


# --- organisations --------------------------------------------------------------

VALID_ORGS = f"""{ORG_HEADER}
{S1},Artisans du Monde Lyon,9220,94.99Z,69123,69001,commerce_equitable
{S2},"Lycée Ampère, Lyon",7331,85.31Z,69123,69002,etablissement_scolaire
{S3},Cités Unies Saint-Étienne,9220,9499Z,42218,42000,ong
{S4},Scop Éthiquable Corse,5458,46.37Z,2A004,20000,cooperative
"""


def test_valid_organisations_agree_with_frictionless(tmp_path):
    path = write(tmp_path, "organisations.csv", VALID_ORGS)
    raw = data_rows(path)
    result = read_organisations(path)
    frame = result.tables["organisations"]
    assert dict(frame.schema) == ORGANISATION_TABLES["organisations"]
    assert result.rows_read == len(raw) == frame.height == 4
    assert result.problems == []
    assert frame["siret"].to_list() == [r["siret"] for r in raw]
    assert frame["name"].to_list() == [r["nom"] for r in raw]
    assert frame["org_type"].to_list() == [r["type_structure"] for r in raw]
    assert frame["commune_code"].to_list() == [r["code_commune"] for r in raw]
    assert frame["source_row"].to_list() == [2, 3, 4, 5]
    report = frictionless_report(path, "organisations")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type"])
    assert report.tasks[0].stats["rows"] == frame.height


def test_hostile_organisations(tmp_path):
    text = f"""{ORG_HEADER}
{S1},Good one,9220,94.99Z,69123,69001,ong
{BAD},Typo in key,9220,94.99Z,69123,69001,ong
{S2[:13]},Thirteen digits,9220,94.99Z,69123,69001,ong
{S3},Unknown type,9220,94.99Z,69123,69001,association
{S1},Duplicate of line 2,9220,94.99Z,69123,69001,ong
{S4},,9220,94.99Z,6912,69001,ong
"{S2[:3]} {S2[3:6]} {S2[6:9]} {S2[9:]}",Spaced SIRET,9220,94.99Z,69123,69001,fondation
"""
    path = write(tmp_path, "organisations.csv", text)
    result = read_organisations(path)
    assert_balanced(result, "organisations")
    assert result.rows_read == len(data_rows(path)) == 7
    assert rejected_lines(result) == {3, 4, 5, 6, 7}
    why = reasons(result)
    assert why[(3, "siret")] == ["error:siret_checksum"]
    assert why[(4, "siret")] == ["error:pattern"]
    assert why[(5, "type_structure")] == ["error:enum"]
    assert why[(6, "siret")] == ["error:primary_key"]
    assert why[(7, "nom")] == ["error:required"] and why[(7, "code_commune")] == ["error:pattern"]
    assert why[(8, "siret")] == ["warning:siret_cleaned"]
    frame = result.tables["organisations"]
    assert frame["source_row"].to_list() == [2, 8]
    assert frame["siret"].to_list() == [S1, S2]
    message = next(p for p in result.problems if p.source_row == "3").message()
    assert message.startswith(f"{path}:3:siret: siret_checksum")


def test_missing_required_column_names_file_line_and_column(tmp_path):
    path = write(tmp_path, "organisations.csv", "siret,categorie_juridique,type_structure\n" f"{S1},9220,ong\n")
    with pytest.raises(SourceError) as info:
        read_organisations(path)
    assert str(info.value).startswith(f"{path}:1:nom: required column missing")


def test_cp1252_semicolon_bom_crlf_quoted_newline(tmp_path):
    # Windows-1252 and ';' as a French spreadsheet exports them.
    text = ORG_HEADER.replace(",", ";") + "\r\n" + (
        f"{S1};Société Coopérative Équitable;5458;46.37Z;69123;69001;cooperative\r\n"
        f'{S2};"Maison des Solidarités\r\nlocales et internationales";9220;94.99Z;69266;69100;ong\r\n'
        f"{BAD};Clé fausse;9220;94.99Z;69266;69100;ong\r\n"
    )
    cp = write(tmp_path, "cp1252.csv", text, "cp1252")
    assert "é".encode("cp1252") in cp.read_bytes()
    result = read_organisations(cp)
    raw = data_rows(cp, ";", "cp1252")
    frame = result.tables["organisations"]
    assert frame["name"].to_list() == [raw[0]["nom"], raw[1]["nom"]]
    assert frame["name"][0] == "Société Coopérative Équitable"
    # The quoted newline makes row 2 span lines 3-4, so the bad row is on line 5.
    physical = [i for i, line in enumerate(text.split("\r\n"), start=1) if line.startswith(BAD)]
    assert physical == [5]
    assert frame["source_row"].to_list() == [2, 3]
    assert rejected_lines(result) == {5}
    assert_balanced(result, "organisations")

    bom = write(tmp_path, "bom.csv", "\ufeff" + VALID_ORGS.replace("\n", "\r\n"), "utf-8")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    result = read_organisations(bom)
    assert result.tables["organisations"]["siret"].to_list() == [r["siret"] for r in data_rows(bom)]
    assert result.problems == []


def test_header_only_and_empty_file(tmp_path):
    result = read_organisations(write(tmp_path, "header.csv", ORG_HEADER + "\n"))
    assert result.rows_read == 0 and result.rows_rejected == 0
    assert dict(result.tables["organisations"].schema) == ORGANISATION_TABLES["organisations"]
    empty = write(tmp_path, "empty.csv", "")
    with pytest.raises(SourceError) as info:
        read_organisations(empty)
    assert str(info.value).startswith(f"{empty}:1: empty file")


def test_undecodable_file_is_refused_clearly(tmp_path):
    path = tmp_path / "bytes.csv"
    path.write_bytes(ORG_HEADER.encode() + b"\n" + S1.encode() + b",Caf\x81,9220,94.99Z,69123,69001,ong\n")
    with pytest.raises(SourceError, match=r"bytes\.csv:1: encoding: neither UTF-8 nor Windows-1252"):
        read_organisations(path)


# --- jobs -----------------------------------------------------------------------

def test_jobs_valid_and_schema_errors_agree_with_frictionless(tmp_path):
    valid = f"{JOB_HEADER}\n{S1},2023,12,9.5,40\n{S1},2024,13,10.25,\n{S2},2024,0,0,15\n"
    path = write(tmp_path, "emplois.csv", valid)
    raw = data_rows(path)
    result = read_jobs(path)
    frame = result.tables["jobs"]
    assert dict(frame.schema) == JOB_TABLES["jobs"]
    assert frame["year"].to_list() == [int(r["annee"]) for r in raw]
    assert frame["fte"].to_list() == [float(r["etp"]) for r in raw]
    assert frame["volunteers"].to_list() == [int(r["benevoles"]) if r["benevoles"] else None for r in raw]
    assert frictionless_report(path, "jobs").valid
    assert result.problems == []

    # Schema-level errors only (no checksum rule), so both validators must flag the same rows.
    hostile = (
        f"{JOB_HEADER}\n"
        f"{S1},2024,12,9.5,40\n"      # 2 ok
        f"{S2},1999,3,2,1\n"          # 3 annee below 2000
        f"{S2},2024,-1,2,1\n"         # 4 negative headcount
        f"{S3},2024,4,abc,1\n"        # 5 etp not a number
        f",2024,4,3,1\n"              # 6 siret missing
        f"{S1},2024,5,4,0\n"          # 7 duplicate key of line 2
        f"{S3},2101,4,3,-2\n"         # 8 year above 2100, negative volunteers
        f"{S4},2024,2,3.5,\n"         # 9 ok, but more FTE than people: warning
    )
    path = write(tmp_path, "hostile.csv", hostile)
    result = read_jobs(path)
    assert_balanced(result, "jobs")
    assert result.rows_read == len(data_rows(path)) == 8
    report = frictionless_report(path, "jobs")
    frictionless_rows = {e.row_number for e in report.tasks[0].errors}
    assert rejected_lines(result) == frictionless_rows == {3, 4, 5, 6, 7, 8}
    assert reasons(result)[(9, "etp")] == ["warning:fte_above_headcount"]
    assert result.tables["jobs"]["source_row"].to_list() == [2, 9]


def test_jobs_bad_checksum_and_decimal_comma(tmp_path):
    path = write(tmp_path, "emplois.csv", f'{JOB_HEADER}\n{BAD},2024,3,2,1\n{S1},2024,3,"2,5",1\n')
    result = read_jobs(path)
    assert rejected_lines(result) == {2}
    assert reasons(result)[(3, "etp")] == ["warning:decimal_comma"]
    assert result.tables["jobs"]["fte"].to_list() == [2.5]
    assert_balanced(result, "jobs")
