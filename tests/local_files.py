"""Files for the organisations, jobs and events readers' tests (tests/test_local_readers_*.py): the
headers, SIRETs from the tests' own Luhn arithmetic (tests/luhn.py), and the independent readings
(stdlib csv, Frictionless) the readers are compared with.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from frictionless import Resource, Schema

from luhn import with_key, wrong_key  # the tests' own Luhn arithmetic


SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"
ORG_HEADER = "siret,nom,categorie_juridique,code_naf,code_commune,code_postal,type_structure"
JOB_HEADER = "siret,annee,effectif,etp,benevoles"
EVENT_HEADER = "id,titre,debut,fin,code_commune,siret_organisateur,nom_organisateur,type_evenement,public,public_jeune"


# --- independent helpers: tests/luhn.py -----------------------------------------

siret, bad_siret = with_key, wrong_key  # a 13-digit prefix + its key, or a broken one



S1, S2, S3, S4 = siret("7846716950008"), siret("3804755580005"), siret("4421853830001"), siret("5012345670001")
BAD = bad_siret("7846716950008")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def data_rows(path: Path, delimiter: str = ",", encoding: str = "utf-8-sig") -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def frictionless_report(path: Path, schema_name: str):
    # A dict, not a path: frictionless refuses absolute paths outside its basepath.
    schema = Schema.from_descriptor(json.loads((SCHEMAS / f"{schema_name}.schema.json").read_text(encoding="utf-8")))
    return Resource(path.name, basepath=str(path.parent), schema=schema).validate()


def rejected_lines(result) -> set[int]:
    return {int(p.source_row) for p in result.problems if p.severity == "error"}


def reasons(result) -> dict[tuple[int, str], list[str]]:
    out: dict[tuple[int, str], list[str]] = {}
    for p in result.problems:
        out.setdefault((int(p.source_row), p.field), []).append(f"{p.severity}:{p.reason.split(':', 1)[0]}")
    return out


def assert_balanced(result, table: str) -> None:
    assert result.rows_read == result.tables[table].height + result.rows_rejected
