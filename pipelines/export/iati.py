"""The region's programme as an IATI 2.03 activity file (`export_iati`).

Read from the warehouse by `iati_warehouse` (a chunk of grants at a time), each activity
built by `iati_activity`; here: the file's identifiers, the privacy check, writing and
validating it.

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
  free text. Once built, every text and attribute of each activity is compared with the
  natural persons' names and SIRETs of `staging.grants` (as pipelines/privacy.py does for
  the snapshot): a match raises `PrivacyLeak` and no file is written.

Writing: a stream (`lxml.etree.xmlfile`), one activity in memory at a time, into a partial
file beside `out` that replaces it once whole and leak-free; the bytes are those of the
whole tree pretty-printed (as before the stream: at ×100 that tree was 23.7 GB).

Validation: lxml's XMLSchema against the IATI 2.03 activity schema shipped in
`data/schemas/iati-2.03/` (the official files, CC BY 4.0: data/schemas/SOURCES.md), while the
file is parsed as a stream (`validate_iati`). The report carries the outcome
(`validation["valid"]`, the error count and the first errors, without line numbers in this
mode); an invalid file is still written, and the report says so.

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
import itertools
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

from lxml import etree

from pipelines.export import warehouse_connection
from pipelines.export.iati_activity import Tally, cofinancing_activity, grant_activity
from pipelines.export.iati_warehouse import CHUNK, ExportChunks, read_export_head
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

    Streamed: each activity is built, checked for leaks, written and dropped (the whole tree
    took 23.7 GB at ×100), into a partial file beside `out` that replaces it only once whole
    and leak-free. The bytes are those `ElementTree.write(pretty_print=True)` gave for the
    whole tree: each activity indented at level 1, the file ending with a newline.
    """
    generated = generated or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    attrs = {"version": IATI_VERSION, "generated-datetime": generated.isoformat()}
    tally, counts = Tally(), Counter()
    leaks: list[str] = []
    try:
        with warehouse_connection(warehouse) as conn:
            head = read_export_head(conn)
            ref, name = _identity(head, reporting_org_ref, reporting_org_name)
            chunks = ExportChunks(conn, head["unlinked"], CHUNK)
            try:
                with open(partial, "wb") as f:
                    with etree.xmlfile(f, encoding="UTF-8") as xf:
                        xf.write_declaration()
                        activities = _activities(chunks, head, ref, name, generated, tally, counts)
                        first = next(activities, None)
                        if first is None:  # as the tree wrote an empty root
                            xf.write(etree.Element("iati-activities", attrs))
                        else:
                            with xf.element("iati-activities", attrs):
                                for act in itertools.chain([first], activities):
                                    # after a leak, every activity is still checked (the error names
                                    # them all) but nothing more is written
                                    leaks += _leaks(act, head["secrets"])
                                    if not leaks:
                                        etree.indent(act, space="  ", level=1)
                                        xf.write("\n  ", act)
                                        counts["written"] += 1
                                xf.write("\n")
                    f.write(b"\n")
            finally:
                chunks.close()
        if leaks:
            raise PrivacyLeak(f"IATI export not written: {len(leaks)} element(s) would name a natural person "
                              f"({', '.join(sorted(set(leaks))[:5])})")
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return IatiExportReport(
        path=out,
        activities=counts["written"],
        grant_activities=counts["grants"],
        cofinancing_activities=counts["cofinancing"],
        transactions=tally.transactions,
        committed_by_year=dict(sorted(tally.committed.items())),
        disbursed_by_year=dict(sorted(tally.disbursed.items())),
        natural_persons=counts["natural_persons"],
        transactions_without_rate=head["without_rate"],
        reporting_org_ref=ref,
        reporting_org_name=name,
        validation=validate_iati(out),
    )


def _activities(chunks: ExportChunks, head: dict, ref: str, name: str, generated: dt.datetime, tally: Tally,
                counts: Counter) -> Iterator[Any]:
    """Every `<iati-activity>` of the file in its order, built one at a time from what is read
    a chunk at a time: the grants', then the co-financed activities'."""
    ids = _Identifiers(ref)
    for chunk, grants in enumerate(chunks.grant_chunks()):
        data = chunks.activity_data(chunk)
        payments = chunks.payments(chunk)
        for g in grants:
            linked = g["iati_identifier"]
            stable = g["reference_decision"]
            if not (stable and g["reference_count"] == 1 and _SAFE_ID.fullmatch(stable)):
                stable = "G" + hashlib.blake2b(g["grant_key"].encode(), digest_size=8).hexdigest()
            identifier = ids.make(f"{ref}-{stable}")
            # an activity linked by several grants gives its disbursements to its first grant only
            flows = data["flows"].get(linked, []) if g["first_of_activity"] else []
            # its payments on the region's records (when they pay it, its activity's IATI disbursements
            # are not among the counted flows: money is written once)
            flows = flows + payments.get(g["grant_key"], [])
            counts["grants"] += 1
            counts["natural_persons"] += bool(g["is_natural_person"])
            yield grant_activity(g, identifier, ref, name, data, flows, generated, tally)

    for chunk, originals in chunks.unlinked_chunks():
        data = chunks.activity_data(chunk)
        for original in originals:
            identifier = ids.make(original if original.startswith(ref + "-") else f"{ref}-{original}")
            counts["cofinancing"] += 1
            yield cofinancing_activity(data["activities"][original], identifier, ref, name, data,
                                       data["flows"].get(original, []), generated, tally)


def validate_iati(path: Path, schema: Path = SCHEMA_PATH) -> dict[str, Any]:
    """lxml XMLSchema validation of `path` against the IATI 2.03 activity schema, as a stream.

    The file is validated while `iterparse` reads it, each activity cleared once read, so
    memory stays flat whatever its size. libxml2 goes on validating after an error and counts
    them all, but in this mode it gives no line numbers: `first_errors` are the first
    messages without their line. A file that is not well-formed stops the parse: its error
    (or a schema error it causes) is the one counted, and a file that ends too soon, which
    that parse lets through silently, is caught by its root never closing (`errors` is at
    least 1 whenever `valid` is False).
    """
    if not schema.is_file():
        return {"ran": False, "valid": None, "errors": None, "schema": str(schema),
                "first_errors": [f"not validated: schema {schema} not found"]}
    xsd = etree.XMLSchema(etree.parse(str(schema)))
    events = etree.iterparse(str(path), events=("end",), tag=("iati-activity", "iati-activities"), schema=xsd,
                             resolve_entities=False, no_network=True, load_dtd=False)
    stopped, whole = None, False
    try:
        for _, el in events:
            if el.tag == "iati-activities":
                whole = True
                continue
            el.clear()
            while el.getprevious() is not None:  # the activities already read
                del el.getparent()[0]
    except etree.XMLSyntaxError as e:
        stopped = e
    errors = [e for e in events.error_log if e.level >= etree.ErrorLevels.ERROR]
    first = [f"line {e.line}: {e.message}" if e.line else e.message for e in errors[:FIRST_ERRORS]]
    if stopped is not None and not errors:
        first = [str(stopped)]
    elif not whole and stopped is None:
        # lxml's validating iterparse says nothing of a file that ends too soon: seen here
        stopped = "no </iati-activities> at the end: the file is cut short, or not an IATI activity file"
        first.append(stopped)
    return {
        "ran": True, "valid": stopped is None and not errors, "errors": max(len(errors), int(stopped is not None)),
        "schema": str(schema), "first_errors": first,
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
    """Texts or attribute values of the tree (an activity, as the export checks them) equal to
    a natural person's name or SIRET."""
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
