"""Raw source folders the tests write or read themselves: real files copied into a raw folder,
hand-written organisations and grants CSVs, and a CSV read the way a person opens it.

Written from the file formats (SCDL, the organisations directory), never from the readers
under test; one home for every test module that needs them.
"""

from __future__ import annotations

import csv
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterable, Iterator

ORGANISATIONS_HEADER = ("siret", "nom", "categorie_juridique", "code_naf", "code_commune", "code_postal",
                        "type_structure")
SCDL_HEADER = ("nomAttribuant", "idAttribuant", "dateConvention", "referenceDecision", "nomBeneficiaire",
               "idBeneficiaire", "objet", "montant", "nature", "dispositifAide")


def copy_raw(raw: Path, grants: Iterable[Path], iati: Iterable[Path]) -> Path:
    """A raw folder holding these grant files under grants/ and these IATI files under iati/."""
    (raw / "grants").mkdir(parents=True)
    (raw / "iati").mkdir()
    for path in grants:
        shutil.copy(path, raw / "grants" / path.name)
    for path in iati:
        shutil.copy(path, raw / "iati" / path.name)
    return raw


def write_organisations(path: Path, rows: Iterable[tuple]) -> None:
    """The organisations directory (comma-separated, UTF-8): rows in ORGANISATIONS_HEADER order."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ORGANISATIONS_HEADER)
        w.writerows(rows)


def write_region_grants(path: Path, region_siret: str, grants: Iterable[tuple]) -> None:
    """An SCDL grants CSV (`;`, UTF-8) of the Auvergne-Rhône-Alpes region, one grant in cash per
    (reference, date, beneficiary, idBeneficiaire as written, montant, objet, programme)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(SCDL_HEADER)
        for ref, day, name, siret, amount, objet, programme in grants:
            w.writerow(("Région Auvergne-Rhône-Alpes", region_siret, day, ref, name, siret, objet, amount,
                        "aide en numéraire", programme))


def csv_records(path: Path) -> list[dict[str, str]]:
    """The rows of a one-line-per-row CSV; UTF-8 (BOM or not) else cp1252, and `;` when the
    header holds more of them than commas."""
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    header = text.splitlines()[0]
    sep = ";" if header.count(";") > header.count(",") else ","
    return list(csv.DictReader(text.splitlines(), delimiter=sep))


def local(tag: str) -> str:
    """An XML tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def iati_activities(path: Path) -> Iterator[tuple[str, ET.Element, list[ET.Element]]]:
    """(identifier, activity, its transactions) for every activity of an IATI file, read with
    ElementTree whatever its namespace: a lone <iati-activity> or the children of <iati-activities>."""
    root = ET.parse(path).getroot()
    acts = [root] if local(root.tag) == "iati-activity" else (
        [a for a in root if local(a.tag) == "iati-activity"] if local(root.tag) == "iati-activities" else [])
    for act in acts:
        ident = next((c.text or "" for c in act if local(c.tag) == "iati-identifier"), "").strip()
        yield ident, act, [c for c in act if local(c.tag) == "transaction"]
