"""The region's programme as an IATI 2.03 activity file (`export_iati`).

Read from the warehouse by `iati_warehouse`, each activity built by `iati_activity`; here:
the file's identifiers, the privacy check, writing and validating it.

What is written (one `<iati-activities version="2.03">`, elements in the XSD's order)
- One `<iati-activity>` per grant (`staging.grants`, exact repeated lines already removed):
  iati-identifier = reporting-org ref + "-" + the decision reference when it is unique among
  the grants and safe in an identifier (letters, digits, `.`, `_`, `-`), else
  "G" + a blake2b digest of the grant_key (stable from one run to the next);
  title = the grant's purpose (`objet`); participating-org funding = the grant's authority
  (`FR-SIRET-{idAttribuant}`, type 11 Local Government), implementing = the beneficiary
  (`FR-SIRET-{siret}` when it has one, else no ref; its IATI type from the organisation
  directory's `type_structure`); other-identifier A1 = the decision reference (the link
  key of docs/money-rules.md) and B1 = the linked IATI activity's own identifier when it
  differs; places and sectors of the linked IATI activity (`staging.grant_activities`);
  transactions: one commitment (type 2) of the grant's amount at its convention date
  (1 January of the grant's year when unknown), its payments on the region's own records
  (type 3, at the payment date: docs/money-rules.md "Payments") and the linked activity's
  counted disbursements and expenditures (types 3/4: for a grant the records do not pay);
  the linked activity's results.
- One `<iati-activity>` per counted IATI activity that no grant links to (co-financing),
  with its own identifier (prefixed by the reporting-org ref when it is not already), its
  title, description, participating organisations, places, sectors, counted commitments
  (type 2) and disbursements/expenditures (types 3/4), and results.
- Money: exactly the flows of `staging.money_flows` (the figures of marts.funding), all in
  EUR (`default-currency="EUR"`; IATI amounts converted at their value date by
  `staging.transactions_eur`, with that date as `value-date`). Amounts are the warehouse's
  exact DECIMALs written without their trailing zeros: no exponent, no rounding. Transactions without a euro rate are not money the
  programme counts (docs/money-rules.md): they are left out and counted in the report.
- Places and sectors: the activity's shares (`staging.location_shares`,
  `staging.sector_shares`) as percentages (share x 100, exact: shares are DECIMALs of 10
  places, so an activity's percentages sum to 100 within a few 10^-8). Countries are written ISO alpha-2 (ref.countries), regions with
  their vocabulary; a share the warehouse could not place (an unknown country code, a DAC
  code of an unknown category) keeps the code as published, so a reader applying the same
  rules leaves it unallocated again and the placed money stays the same. Sectors use
  vocabulary 1 (DAC 5-digit) or 2 (DAC 3-digit), as the warehouse chose. A transaction's
  own country, region or sector is written on the transaction.
- Natural persons (CRPA art. L.312-1-2): neutral title and description, an implementing
  organisation with no name and no ref, no receiver-org; nothing from the linked activity's
  free text. After building, every text and attribute of the tree is compared with the
  natural persons' names and SIRETs of `staging.grants` (as pipelines/privacy.py does for
  the snapshot): a match raises `PrivacyLeak` and no file is written.

Validation: lxml's XMLSchema against the IATI 2.03 activity schema shipped in
`data/schemas/iati-2.03/` (the official files, CC BY 4.0: data/schemas/SOURCES.md). The
report carries the outcome (`validation["valid"]`, the error count and the first errors);
an invalid file is still written, and the report says so.

Known limits
- The XSD is checked, not IATI's rulesets/codelists: an activity with no place (a grant
  funding work at home) has no recipient-country or region; an activity's own
  recipient-country and transaction-level ones can coexist when the source had both.
- Activity status and dates of a grant with no IATI activity are not in the data: status
  2 (implementation) for a grant of the current or previous year, else 4 (closed); dates:
  the convention date as actual start.
- A result baseline without a year, or a result period without both dates, is left out
  (the XSD requires them); budgets and planned disbursements are not exported.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from pipelines.export import warehouse_connection
from pipelines.export.iati_activity import Tally, cofinancing_activity, grant_activity
from pipelines.export.iati_warehouse import read_export_data
from pipelines.privacy import PrivacyLeak
from pipelines.settings import DATA_DIR

SCHEMA_DIR = DATA_DIR / "schemas" / "iati-2.03"
SCHEMA_PATH = SCHEMA_DIR / "iati-activities-schema.xsd"
IATI_VERSION = "2.03"
DEFAULT_REPORTING_REF = "FR-SIRET-20005376700014"
DEFAULT_REPORTING_NAME = "Région Auvergne-Rhône-Alpes"
FIRST_ERRORS = 20
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]+")


@dataclass
class IatiExportReport:
    path: Path
    activities: int
    grant_activities: int
    cofinancing_activities: int
    transactions: int
    committed_by_year: dict[int, Decimal] = field(default_factory=dict)  # exact sums of what is written
    disbursed_by_year: dict[int, Decimal] = field(default_factory=dict)
    natural_persons: int = 0          # grant activities written without the person's identity
    transactions_without_rate: int = 0  # IATI transactions left out: no euro rate (not counted money)
    reporting_org_ref: str = ""
    reporting_org_name: str = ""
    validation: dict[str, Any] = field(default_factory=dict)

    def summary_lines(self) -> list[str]:
        v = self.validation
        valid = ("valid against the IATI 2.03 schema" if v.get("valid")
                 else "not validated" if not v.get("ran")
                 else f"INVALID against the IATI 2.03 schema: {v.get('errors')} errors")
        lines = [
            f"{self.path}: {self.activities} activities ({self.grant_activities} grants, "
            f"{self.cofinancing_activities} co-financed), {self.transactions} transactions, {valid}",
        ]
        for year in sorted(set(self.committed_by_year) | set(self.disbursed_by_year)):
            lines.append(f"  {year}: committed {self.committed_by_year.get(year, Decimal(0))} EUR, "
                         f"disbursed {self.disbursed_by_year.get(year, Decimal(0))} EUR")
        if self.transactions_without_rate:
            lines.append(f"  {self.transactions_without_rate} IATI transactions without a euro rate left out")
        lines += [f"  {e}" for e in v.get("first_errors", [])]
        return lines


def export_iati(
    warehouse: Path,
    out: Path,
    *,
    reporting_org_ref: str | None = None,
    reporting_org_name: str | None = None,
    generated: dt.datetime | None = None,
) -> IatiExportReport:
    """Write the programme as an IATI 2.03 activity file at `out`; return what was written.

    `reporting_org_ref` / `reporting_org_name` default to the most frequent grant authority
    of `raw.grants` ("FR-SIRET-" + its SIRET, its name), else the region's own.
    """
    generated = generated or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with warehouse_connection(warehouse) as conn:
        data = read_export_data(conn)
    ref, name = _identity(data, reporting_org_ref, reporting_org_name)

    root = etree.Element("iati-activities", {"version": IATI_VERSION,
                                             "generated-datetime": generated.isoformat()})
    tally = Tally()
    ids = _Identifiers(ref)
    flows_by_activity = data["flows"]
    # an activity linked by several grants gives its disbursements to the first grant only
    # (as staging.money_flows counts them once)
    first_grant = {}
    for g in data["grants"]:
        if g["iati_identifier"] is not None:
            first_grant.setdefault(g["iati_identifier"], g["grant_key"])
    references = Counter(g["reference_decision"] for g in data["grants"])

    for g in data["grants"]:
        linked = g["iati_identifier"]
        stable = g["reference_decision"]
        if not (stable and references[stable] == 1 and _SAFE_ID.fullmatch(stable)):
            stable = "G" + hashlib.blake2b(g["grant_key"].encode(), digest_size=8).hexdigest()
        identifier = ids.make(f"{ref}-{stable}")
        flows = flows_by_activity.get(linked, []) if linked and first_grant[linked] == g["grant_key"] else []
        # its payments on the region's records (when they pay it, its activity's IATI disbursements
        # are not among the counted flows: money is written once)
        flows = flows + data["payments"].get(g["grant_key"], [])
        grant_activity(root, g, identifier, ref, name, data, flows, generated, tally)

    for act in data["unlinked"]:
        original = act["iati_identifier"]
        identifier = ids.make(original if original.startswith(ref + "-") else f"{ref}-{original}")
        cofinancing_activity(root, act, identifier, ref, name, data, flows_by_activity.get(original, []),
                              generated, tally)

    leaks = _leaks(root, data["secrets"])
    if leaks:
        raise PrivacyLeak(f"IATI export not written: {len(leaks)} element(s) would name a natural person "
                          f"({', '.join(sorted(set(leaks))[:5])})")

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tree = etree.ElementTree(root)
    tree.write(str(out), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return IatiExportReport(
        path=out,
        activities=len(root),
        grant_activities=len(data["grants"]),
        cofinancing_activities=len(data["unlinked"]),
        transactions=tally.transactions,
        committed_by_year=dict(sorted(tally.committed.items())),
        disbursed_by_year=dict(sorted(tally.disbursed.items())),
        natural_persons=sum(1 for g in data["grants"] if g["is_natural_person"]),
        transactions_without_rate=data["without_rate"],
        reporting_org_ref=ref,
        reporting_org_name=name,
        validation=validate_iati(out),
    )


def validate_iati(path: Path, schema: Path = SCHEMA_PATH) -> dict[str, Any]:
    """lxml XMLSchema validation of `path` against the IATI 2.03 activity schema."""
    if not schema.is_file():
        return {"ran": False, "valid": None, "errors": None, "schema": str(schema),
                "first_errors": [f"not validated: schema {schema} not found"]}
    xsd = etree.XMLSchema(etree.parse(str(schema)))
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    doc = etree.parse(str(path), parser)
    valid = xsd.validate(doc)
    errors = list(xsd.error_log)
    return {
        "ran": True, "valid": bool(valid), "errors": len(errors), "schema": str(schema),
        "first_errors": [f"line {e.line}: {e.message}" for e in errors[:FIRST_ERRORS]],
    }


def _identity(data: dict, ref: str | None, name: str | None) -> tuple[str, str]:
    authority = data["authority"]
    if ref is None:
        ref = f"FR-SIRET-{authority[0][0]}" if authority else DEFAULT_REPORTING_REF
    if name is None:
        name = authority[0][1] if authority and authority[0][1] else DEFAULT_REPORTING_NAME
    return ref, name


class _Identifiers:
    """Unique iati-identifiers: a clash (never expected) gets a digest suffix."""

    def __init__(self, ref: str):
        self.ref = ref
        self.seen: set[str] = set()

    def make(self, wanted: str) -> str:
        identifier = wanted
        if identifier in self.seen:
            identifier = f"{wanted}-{hashlib.blake2b(wanted.encode(), digest_size=4).hexdigest()}"
        self.seen.add(identifier)
        return identifier


def _leaks(root, secrets: set[str]) -> list[str]:
    """Texts or attribute values of the tree equal to a natural person's name or SIRET."""
    if not secrets:
        return []
    found = []
    for el in root.iter():
        values = [el.text or ""] + list(el.attrib.values())
        for value in values:
            value = value.strip()
            if value in secrets or (value.startswith("FR-SIRET-") and value[9:] in secrets):
                found.append(el.tag)
    return found
