"""Real IATI files read another way, for tests/test_iati_real_money.py and
tests/test_iati_real_money_reader.py: the reference files used (CAFOD/DFID, the Global Fund,
IATI 2.03's examples), their transactions read with the standard library's ElementTree and
amounts with `decimal.Decimal` — never with the pipeline's reader, reference loaders or SQL —
and an activity written alone as a file's root, into tmp_path at test time, never into the
repository.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
REF = PROJECT.parent / "shared" / "reference" / "iati"
DFID = REF / "publishers_v1" / "complex_example_dfid.xml"  # CAFOD, GBP 2007-2013, IATI 1.00
GLOBAL_FUND = REF / "publishers_v1" / "single_activity.xml"  # USD 2009-2012, no version
EXAMPLE_203 = REF / "examples_v2.03" / "activity-standard-example-annotated.xml"
ORGANISATION_203 = REF / "examples_v2.03" / "organisation-standard-example-annotated.xml"
BOM = b"\xef\xbb\xbf"
# IATI 1.0x TransactionType codes by their codelist names, independent of iati_codes.
V1_TO_V2 = {"C": "2", "D": "3", "E": "4", "IF": "1", "IR": "5", "LR": "6", "R": "7", "QP": "8", "QS": "9",
            "CG": "10"}


# --- independent readings ---------------------------------------------------------------

@dataclass(frozen=True)
class Tx:
    source_file: str
    identifier: str
    index: int
    ttype: str
    day: date
    value: Decimal
    currency: str
    value_date: date


def activities_of(root: ET.Element) -> list[ET.Element]:
    return [root] if root.tag == "iati-activity" else root.findall("iati-activity")


def et_transactions(path: Path) -> list[Tx]:
    out = []
    for act in activities_of(ET.parse(path).getroot()):
        ident = act.findtext("iati-identifier").strip()
        for n, tx in enumerate(act.findall("transaction"), start=1):
            code = tx.find("transaction-type").get("code").strip()
            day = date.fromisoformat(tx.find("transaction-date").get("iso-date")[:10])
            value = tx.find("value")
            vdate = value.get("value-date")
            out.append(Tx(path.name, ident, n, V1_TO_V2.get(code, code), day, Decimal(value.text.strip()),
                          (value.get("currency") or act.get("default-currency")).strip().upper(),
                          date.fromisoformat(vdate[:10]) if vdate else day))
    return out


# --- a real activity exported alone, as a bare <iati-activity> root ---------------------

def bare_activity(src: Path, position: int, dest: Path, *, version: str | None = None, bom: bool = False) -> Path:
    """Activity number `position` of a real file, written alone as the file's root (as a
    publisher's per-activity export is), with the wrapper's version carried over unless given."""
    root = ET.parse(src).getroot()
    act = activities_of(root)[position]
    version = version or root.get("version")
    if version:
        act.set("version", version)
    body = ET.tostring(act, encoding="utf-8", xml_declaration=True)
    dest.write_bytes((BOM if bom else b"") + body)
    return dest
