"""The region's programme as an IATI 2.03 activity file (`export_iati`).

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
  (1 January of the grant's year when unknown) and the linked activity's counted
  disbursements and expenditures (types 3/4); the linked activity's results.
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
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
from lxml import etree

from pipelines.export import warehouse_connection
from pipelines.privacy import MIN_IDENTIFIER_LENGTH, PrivacyLeak
from pipelines.settings import DATA_DIR

SCHEMA_DIR = DATA_DIR / "schemas" / "iati-2.03"
SCHEMA_PATH = SCHEMA_DIR / "iati-activities-schema.xsd"
IATI_VERSION = "2.03"
DEFAULT_REPORTING_REF = "FR-SIRET-20005376700014"
DEFAULT_REPORTING_NAME = "Région Auvergne-Rhône-Alpes"
REGION_ORG_TYPE = "11"  # IATI OrganisationType: Local Government (sub-national)
LANG = "fr"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FIRST_ERRORS = 20
PERSON_TITLE = "Subvention à une personne physique"
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]+")

# staging.grants.beneficiary_type (SIRENE/directory `type_structure`) -> IATI OrganisationType
ORG_TYPES = {
    "ong": "22",                     # National NGO
    "commerce_equitable": "22",
    "fondation": "60",               # Foundation
    "cooperative": "70",             # Private Sector
    "entreprise": "70",
    "collectivite": "11",            # Local Government
    "etablissement_scolaire": "80",  # Academic, Training and Research
    "autre": "90",                   # Other
}


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


def money(value: Decimal | float) -> str:
    """An amount as an exact xsd:decimal, no exponent: the warehouse's exact DECIMAL without
    its trailing zeros (money), or a double's shortest repr (an indicator's value)."""
    number = value.normalize() if isinstance(value, Decimal) else Decimal(repr(float(value)))
    text = format(number, "f")
    return "0" if text in ("-0", "-0.0") else text


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
        data = _load(conn)
    ref, name = _identity(data, reporting_org_ref, reporting_org_name)

    root = etree.Element("iati-activities", {"version": IATI_VERSION,
                                             "generated-datetime": generated.isoformat()})
    tally = _Tally()
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
        _grant_activity(root, g, identifier, ref, name, data, flows, generated, tally)

    for act in data["unlinked"]:
        original = act["iati_identifier"]
        identifier = ids.make(original if original.startswith(ref + "-") else f"{ref}-{original}")
        _cofinancing_activity(root, act, identifier, ref, name, data, flows_by_activity.get(original, []),
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


# ------------------------------------------------------------------------------ reading

_COUNTED = """
    semi join staging.activity_copies as k
        on k.iati_identifier = {t}.iati_identifier and k.source_file = {t}.source_file
        and {match} and k.counted
"""
_CHILD = _COUNTED.format(t="{t}", match="starts_with({t}.source_row, k.activity_row || '/')")


def _rows(conn: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = conn.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _load(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    data: dict[str, Any] = {}
    data["authority"] = conn.execute(
        """select attribuant_id, attribuant_nom, count(*) as n from raw.grants
           where attribuant_id is not null group by all order by n desc, attribuant_id, attribuant_nom limit 1"""
    ).fetchall()
    data["grants"] = _rows(conn, """
        select g.grant_key, g.year, g.programme, g.attribuant_id, g.attribuant_nom, g.reference_decision,
               g.date_convention, g.beneficiary_siret, g.beneficiary_name, g.is_natural_person,
               g.beneficiary_type, g.purpose, g.amount_eur, ga.iati_identifier
        from staging.grants as g
        left join staging.grant_activities as ga on ga.grant_key = g.grant_key
        order by g.year, g.date_convention nulls last, g.reference_decision nulls last, g.grant_key
    """)
    data["activities"] = {a["iati_identifier"]: a for a in _rows(conn, f"""
        select a.iati_identifier, a.title, a.description, a.activity_status, a.start_date, a.end_date
        from raw.activities as a {_COUNTED.format(t='a', match='k.activity_row = a.source_row')}
    """)}
    linked = {g["iati_identifier"] for g in data["grants"] if g["iati_identifier"] is not None}
    data["unlinked"] = [a for key, a in sorted(data["activities"].items()) if key not in linked]

    flows: dict[str, list[dict]] = defaultdict(list)
    for f in _rows(conn, """
        select f.iati_identifier, f.flow_kind, f.year, f.amount_eur, f.tx_country, f.tx_region,
               f.tx_sector_vocabulary, f.tx_sector_code,
               t.transaction_index, t.transaction_type, t.transaction_date, t.value_date,
               t.provider_org_ref, t.receiver_org_ref
        from staging.money_flows as f
        inner join staging.transactions_eur as t
            on f.flow_id = 'iati:' || t.iati_identifier || ':' || t.transaction_index
        where f.origin = 'iati' and not t.rate_missing
        order by t.transaction_date, t.transaction_index
    """):
        flows[f["iati_identifier"]].append(f)
    data["flows"] = flows
    data["without_rate"] = conn.execute(
        "select count(*) from staging.transactions_eur where rate_missing").fetchall()[0][0]

    alpha2 = dict(conn.execute("select alpha3, alpha2 from ref.countries").fetchall())
    region_vocab = {(i, c): v for i, c, v in conn.execute(f"""
        select l.iati_identifier, l.code, min(l.vocabulary) from raw.activity_locations as l
        {_CHILD.format(t='l')} where l.kind = 'region' group by all
    """).fetchall()}
    unplaced: dict[str, list] = defaultdict(list)
    for i, code in conn.execute(f"""
        select l.iati_identifier, l.code from raw.activity_locations as l {_CHILD.format(t='l')}
        where l.kind = 'country' and not exists (select 1 from ref.countries as c where c.alpha2 = upper(l.code))
        order by l.source_row
    """).fetchall():
        unplaced[i].append(code)
    places: dict[str, list[tuple]] = defaultdict(list)
    for i, kind, code, share in conn.execute(
        "select iati_identifier, location_kind, location_code, share from staging.location_shares "
        "order by iati_identifier, location_kind, location_code"
    ).fetchall():
        if kind == "country":
            places[i].append(("country", alpha2[code], None, share))
        elif kind == "region":
            places[i].append(("region", code, region_vocab.get((i, code)), share))
        else:  # codes the reference does not know: as published, the share split among them
            codes = unplaced.get(i) or [None]
            places[i] += [("country", c, None, share / len(codes)) for c in codes]
    data["places"] = places

    unsectored: dict[str, list] = defaultdict(list)
    for i, vocabulary, code in conn.execute(f"""
        with s as (
            select s.iati_identifier, coalesce(s.vocabulary, '1') as vocabulary, s.code, s.source_row
            from raw.activity_sectors as s {_CHILD.format(t='s')}
            where coalesce(s.vocabulary, '1') in ('1', '2')
        ),
        chosen as (select iati_identifier, min(vocabulary) as vocabulary from s group by all)
        select s.iati_identifier, s.vocabulary, s.code from s
        semi join chosen as c on c.iati_identifier = s.iati_identifier and c.vocabulary = s.vocabulary
        where not exists (select 1 from ref.dac_categories as k
                          where k.code3 = case when s.vocabulary = '1' then left(s.code, 3) else s.code end)
        order by s.source_row
    """).fetchall():
        unsectored[i].append((vocabulary, code))
    sectors: dict[str, list[tuple]] = defaultdict(list)
    for i, code5, code3, share in conn.execute(
        "select iati_identifier, sector_code, category_code, share from staging.sector_shares "
        "order by iati_identifier, category_code, sector_code"
    ).fetchall():
        if code5 != "unallocated":
            sectors[i].append(("1", code5, share))
        elif code3 != "unallocated":
            sectors[i].append(("2", code3, share))
        else:
            codes = unsectored.get(i) or [("1", None)]
            sectors[i] += [(v, c, share / len(codes)) for v, c in codes]
    data["sectors"] = sectors

    results: dict[str, list[dict]] = defaultdict(list)
    for r in _rows(conn, f"""
        select r.* from raw.results as r {_CHILD.format(t='r')}
        order by r.iati_identifier, r.result_index, r.indicator_index, r.source_row
    """):
        results[r["iati_identifier"]].append(r)
    data["results"] = results

    orgs: dict[str, list[dict]] = defaultdict(list)
    for o in _rows(conn, f"""
        select p.iati_identifier, p.role, p.ref, p.name, p.org_type
        from raw.participating_orgs as p {_CHILD.format(t='p')}
        order by p.iati_identifier, p.source_row
    """):
        orgs[o["iati_identifier"]].append(o)
    data["orgs"] = orgs

    data["secrets"] = {row[0] for row in conn.execute(
        """select distinct identifier from (
               select trim(beneficiary_name) as identifier from staging.grants where is_natural_person
               union all
               select beneficiary_siret from staging.grants where is_natural_person)
           where identifier is not null and length(identifier) >= ?""",
        [MIN_IDENTIFIER_LENGTH],
    ).fetchall()}
    return data


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


class _Tally:
    def __init__(self):
        self.transactions = 0
        self.committed: dict[int, Decimal] = defaultdict(Decimal)
        self.disbursed: dict[int, Decimal] = defaultdict(Decimal)

    def add(self, kind: str, year: int, text: str) -> None:
        self.transactions += 1
        (self.committed if kind == "2" else self.disbursed)[year] += Decimal(text)


# ------------------------------------------------------------------------------ writing

def _sub(parent, tag: str, attrs: dict[str, Any] | None = None, text: str | None = None):
    el = etree.SubElement(parent, tag, {k: str(v) for k, v in (attrs or {}).items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _narrative(parent, tag: str | None, text: str | None, attrs: dict[str, Any] | None = None):
    el = parent if tag is None else _sub(parent, tag, attrs)
    if text is not None and text.strip():
        _sub(el, "narrative", None, _xml_text(text.strip()))
    return el


def _clean(text: str | None) -> str | None:
    """The text as XML 1.0 can hold it, stripped; None when nothing is left."""
    return _xml_text(text).strip() or None if text is not None else None


def _xml_text(text: str) -> str:
    """Characters XML 1.0 cannot hold (control characters) are dropped."""
    return "".join(c for c in text if c in "\t\n\r" or ord(c) >= 0x20 and c not in "\ufffe\uffff")


def _activity(root, identifier: str, ref: str, name: str, generated: dt.datetime):
    act = _sub(root, "iati-activity", {
        "last-updated-datetime": generated.isoformat(), XML_LANG: LANG,
        "default-currency": "EUR", "hierarchy": "1",
    })
    _sub(act, "iati-identifier", None, identifier)
    _narrative(act, "reporting-org", name, {"ref": ref, "type": REGION_ORG_TYPE})
    return act


def _places(act, places: list[tuple]) -> None:
    for kind, code, _vocab, share in places:
        if kind == "country":
            _sub(act, "recipient-country", {"code": code or "", "percentage": money(share * 100)})
    for kind, code, vocab, share in places:
        if kind == "region":
            _sub(act, "recipient-region", {"code": code, "vocabulary": vocab or "1",
                                           "percentage": money(share * 100)})


def _sectors(act, sectors: list[tuple]) -> None:
    for vocabulary, code, share in sectors:
        _sub(act, "sector", {"vocabulary": vocabulary, "code": code or "", "percentage": money(share * 100)})


def _transaction(act, kind: str, day: dt.date, value: float, value_date: dt.date, tally: _Tally, *,
                 provider: tuple | None = None, receiver: tuple | None = None, flow: dict | None = None) -> None:
    tx = _sub(act, "transaction")
    _sub(tx, "transaction-type", {"code": kind})
    _sub(tx, "transaction-date", {"iso-date": day.isoformat()})
    text = money(value)
    _sub(tx, "value", {"currency": "EUR", "value-date": value_date.isoformat()}, text)
    if provider:
        _narrative(tx, "provider-org", provider[1], {"ref": provider[0]})
    if receiver:
        _narrative(tx, "receiver-org", receiver[1], {"ref": receiver[0]})
    if flow is not None:
        if flow["tx_sector_code"] is not None:
            _sub(tx, "sector", {"vocabulary": flow["tx_sector_vocabulary"] or "1", "code": flow["tx_sector_code"]})
        if flow["tx_country"] is not None:
            _sub(tx, "recipient-country", {"code": flow["tx_country"]})
        elif flow["tx_region"] is not None:
            _sub(tx, "recipient-region", {"code": flow["tx_region"]})
    tally.add(kind, day.year, text)


def _flows(act, flows: list[dict], tally: _Tally, *, orgs: tuple | None = None) -> None:
    """The counted IATI transactions; `orgs` = (provider, receiver) replaces the published
    provider/receiver refs (a grant's activity: the authority and the beneficiary, or no
    receiver for a natural person)."""
    for f in flows:
        if orgs is None:
            provider = (f["provider_org_ref"], None) if f["provider_org_ref"] else None
            receiver = (f["receiver_org_ref"], None) if f["receiver_org_ref"] else None
        else:
            provider, receiver = orgs
        _transaction(act, f["transaction_type"], f["transaction_date"], f["amount_eur"],
                     f["value_date"] or f["transaction_date"], tally, provider=provider, receiver=receiver, flow=f)


def _grant_activity(root, g: dict, identifier: str, ref: str, name: str, data: dict, flows: list[dict],
                    generated: dt.datetime, tally: _Tally) -> None:
    person = bool(g["is_natural_person"])
    linked = g["iati_identifier"]
    source = data["activities"].get(linked) if linked else None
    act = _activity(root, identifier, ref, name, generated)
    reference = g["reference_decision"]
    if person:
        title = PERSON_TITLE
        description = f"{PERSON_TITLE} (dispositif : {g['programme']}, {g['year']})."
    else:
        title = _clean(g["purpose"]) or f"Subvention {reference or ''}".strip()
        description = f"{title}. Dispositif : {g['programme']}." + (f" Décision {reference}." if reference else "")
    _narrative(act, "title", title)
    _narrative(_sub(act, "description", {"type": "1"}), None, description)

    authority_ref = f"FR-SIRET-{g['attribuant_id']}" if g["attribuant_id"] else ref
    authority_name = g["attribuant_nom"] or name
    _narrative(act, "participating-org", authority_name, {"ref": authority_ref, "role": "1", "type": REGION_ORG_TYPE})
    receiver = None
    if person:
        _sub(act, "participating-org", {"role": "4"})
    else:
        siret_ref = f"FR-SIRET-{g['beneficiary_siret']}" if g["beneficiary_siret"] else None
        _narrative(act, "participating-org", g["beneficiary_name"],
                   {"ref": siret_ref, "role": "4", "type": ORG_TYPES.get(g["beneficiary_type"])})
        receiver = (siret_ref, g["beneficiary_name"])
    if reference:
        _sub(act, "other-identifier", {"ref": reference, "type": "A1"})
    if linked and linked != identifier:
        _sub(act, "other-identifier", {"ref": linked, "type": "B1"})

    day = g["date_convention"] or dt.date(g["year"], 1, 1)
    status = source and source["activity_status"]
    if not status:
        status = "2" if g["year"] >= generated.year - 1 else "4"
    _sub(act, "activity-status", {"code": status})
    _sub(act, "activity-date", {"type": "2", "iso-date": ((source and source["start_date"]) or day).isoformat()})
    if source and source["end_date"]:
        _sub(act, "activity-date", {"type": "3", "iso-date": source["end_date"].isoformat()})

    _places(act, data["places"].get(linked, []) if linked else [])
    _sectors(act, data["sectors"].get(linked, []) if linked else [])
    _sub(act, "default-finance-type", {"code": "110"})  # standard grant
    if g["amount_eur"] is not None:
        _transaction(act, "2", day, g["amount_eur"], day, tally, provider=(authority_ref, authority_name),
                     receiver=receiver)
    _flows(act, flows, tally, orgs=((authority_ref, authority_name), receiver))
    if linked:
        _results(act, data["results"].get(linked, []))


def _cofinancing_activity(root, a: dict, identifier: str, ref: str, name: str, data: dict,
                          flows: list[dict], generated: dt.datetime, tally: _Tally) -> None:
    original = a["iati_identifier"]
    act = _activity(root, identifier, ref, name, generated)
    title = _clean(a["title"]) or original
    _narrative(act, "title", title)
    _narrative(_sub(act, "description", {"type": "1"}), None, _clean(a["description"]) or title)
    orgs = [o for o in data["orgs"].get(original, []) if o["role"]]
    if not any(o["role"] == "1" for o in orgs):
        orgs.insert(0, {"role": "1", "ref": ref, "name": name, "org_type": REGION_ORG_TYPE})
    for o in orgs:
        _narrative(act, "participating-org", o["name"], {"ref": o["ref"], "role": o["role"], "type": o["org_type"]})
    if identifier != original:
        _sub(act, "other-identifier", {"ref": original, "type": "B1"})
    _sub(act, "activity-status", {"code": a["activity_status"] or ("2" if flows else "1")})
    start = a["start_date"] or (min(f["transaction_date"] for f in flows) if flows else None)
    if start:
        _sub(act, "activity-date", {"type": "2", "iso-date": start.isoformat()})
    else:
        _sub(act, "activity-date", {"type": "1", "iso-date": generated.date().isoformat()})
    if a["end_date"]:
        _sub(act, "activity-date", {"type": "3", "iso-date": a["end_date"].isoformat()})
    _places(act, data["places"].get(original, []))
    _sectors(act, data["sectors"].get(original, []))
    _flows(act, flows, tally)
    _results(act, data["results"].get(original, []))


def _results(act, rows: list[dict]) -> None:
    by_result: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        by_result[r["result_index"]].append(r)
    for _, result_rows in sorted(by_result.items()):
        first = result_rows[0]
        result = _sub(act, "result", {"type": first["result_type"] or "1"})
        _narrative(result, "title", _clean(first["result_title"]) or "Résultat")
        by_indicator: dict[int, list[dict]] = defaultdict(list)
        for r in result_rows:
            by_indicator[r["indicator_index"]].append(r)
        for _, periods in sorted(by_indicator.items()):
            head = periods[0]
            indicator = _sub(result, "indicator", {"measure": head["measure"] or "1",
                                                   "ascending": "1" if head["ascending"] else "0"})
            _narrative(indicator, "title", _clean(head["indicator_title"]) or "Indicateur")
            if head["baseline_year"] is not None and head["baseline_year"] > 0:
                _sub(indicator, "baseline", {
                    "year": head["baseline_year"],
                    "value": None if head["baseline_value"] is None else money(head["baseline_value"]),
                })
            for p in periods:
                if p["period_start"] is None or p["period_end"] is None:
                    continue
                period = _sub(indicator, "period")
                _sub(period, "period-start", {"iso-date": p["period_start"].isoformat()})
                _sub(period, "period-end", {"iso-date": p["period_end"].isoformat()})
                if p["target_value"] is not None:
                    _sub(period, "target", {"value": money(p["target_value"])})
                if p["actual_value"] is not None:
                    _sub(period, "actual", {"value": money(p["actual_value"])})


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
