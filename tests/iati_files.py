"""IATI activity files for the reader's tests (tests/test_iati_reader_*.py): the reference folders, files
written here, and their figures recomputed with the standard library's ElementTree, independently of the reader.
"""

from __future__ import annotations

import json
from decimal import Decimal
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path


REF = Path(__file__).resolve().parents[2] / "shared" / "reference" / "iati"
PROJECT = Path(__file__).resolve().parents[1]


# Written from the IATI 1.0x TransactionType codelist names, independently of
# pipelines.sources.iati.codes: Commitment, Disbursement, Expenditure, Incoming
# Funds, Interest Repayment, Loan Repayment, Reimbursement, Purchase/Sale of
# Equity, Credit Guarantee.
V1_TO_V2 = {"C": "2", "D": "3", "E": "4", "IF": "1", "IR": "5", "LR": "6",
            "R": "7", "QP": "8", "QS": "9", "CG": "10"}


def et_figures(path: Path) -> tuple[int, int, dict[str, Decimal]]:
    """(activities, transactions, value sum per 2.0x type) by plain ElementTree."""
    root = ET.parse(path).getroot()
    activities = root.findall("iati-activity")
    sums: dict[str, Decimal] = {}
    n_tx = 0
    for act in activities:
        for tx in act.findall("transaction"):
            n_tx += 1
            code = tx.find("transaction-type").get("code")
            code = V1_TO_V2.get(code, code)
            sums[code] = sums.get(code, Decimal(0)) + Decimal(tx.find("value").text.strip())
    return len(activities), n_tx, sums


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    return path


def activity(identifier: str, *children: str, currency: str = "EUR") -> str:
    return (f'<iati-activity default-currency="{currency}"><iati-identifier>{identifier}'
            f"</iati-identifier>{''.join(children)}</iati-activity>\n")


def tx(code: str, value: str, iso: str = "2023-03-01") -> str:
    return (f'<transaction><transaction-type code="{code}"/><transaction-date iso-date="{iso}"/>'
            f"<value>{value}</value></transaction>")


def activities_file(tmp_path: Path, *acts: str, version: str = "2.03") -> Path:
    return write(tmp_path, "gen.xml",
                 f'<?xml version="1.0"?>\n<iati-activities version="{version}">\n{"".join(acts)}</iati-activities>\n')


# --- generated files: hostile and broken XML -----------------------------------

def _read_in_subprocess(path: Path) -> dict:
    """Run the reader in a child with a timeout, so a hang fails instead of blocking."""
    code = textwrap.dedent(f"""
        import json
        from pipelines.sources.common import SourceError
        from pipelines.sources.iati import read_activities
        try:
            r = read_activities({str(path)!r})
            print(json.dumps({{"ok": r.rows_read}}))
        except SourceError as e:
            print(json.dumps({{"error": str(e), "reason": e.reason, "where": e.where}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT, capture_output=True,
                          text=True, timeout=120, check=True)
    return json.loads(done.stdout)
