"""One `<iati-activity>` of the IATI export, built detached, element by element in the XSD's order:
a grant's (`grant_activity`) or a co-financed IATI activity's (`cofinancing_activity`),
with its places, sectors, transactions and results, from what
`pipelines.export.iati_warehouse` read. What each element holds, and why, is told in
`pipelines/export/iati.py`. Every written amount is added to a `Tally`: the export's report
gives those exact sums.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from typing import Any

from lxml import etree

REGION_ORG_TYPE = "11"  # IATI OrganisationType: Local Government (sub-national)
LANG = "fr"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PERSON_TITLE = "Subvention à une personne physique"

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


def money(value: Decimal | float) -> str:
    """An amount as an exact xsd:decimal, no exponent: the warehouse's exact DECIMAL without
    its trailing zeros (money), or a double's shortest repr (an indicator's value)."""
    number = value.normalize() if isinstance(value, Decimal) else Decimal(repr(float(value)))
    text = format(number, "f")
    return "0" if text in ("-0", "-0.0") else text


class Tally:
    """The transactions written and their exact sums by year: committed (type 2), disbursed."""

    def __init__(self):
        self.transactions = 0
        self.committed: dict[int, Decimal] = defaultdict(Decimal)
        self.disbursed: dict[int, Decimal] = defaultdict(Decimal)

    def add(self, kind: str, year: int, text: str) -> None:
        self.transactions += 1
        (self.committed if kind == "2" else self.disbursed)[year] += Decimal(text)


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


# what XML 1.0 cannot hold: control characters but tab, newline and carriage return, U+FFFE, U+FFFF
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Characters XML 1.0 cannot hold are dropped (one regular expression: this runs for
    every narrative of the export, 2.6 million characters tested one by one at ×1)."""
    return _NOT_XML.sub("", text)


def _activity(identifier: str, ref: str, name: str, generated: dt.datetime):
    """A detached `<iati-activity>`: the export writes it, then drops it (one in memory at a time)."""
    act = etree.Element("iati-activity", {
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


def _transaction(act, kind: str, day: dt.date, value: float, value_date: dt.date, tally: Tally, *,
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


def _flows(act, flows: list[dict], tally: Tally, *, orgs: tuple | None = None) -> None:
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


def grant_activity(g: dict, identifier: str, ref: str, name: str, data: dict, flows: list[dict],
                   generated: dt.datetime, tally: Tally) -> etree._Element:
    person = bool(g["is_natural_person"])
    linked = g["iati_identifier"]
    source = data["activities"].get(linked) if linked else None
    act = _activity(identifier, ref, name, generated)
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
    return act


def cofinancing_activity(a: dict, identifier: str, ref: str, name: str, data: dict,
                         flows: list[dict], generated: dt.datetime, tally: Tally) -> etree._Element:
    original = a["iati_identifier"]
    act = _activity(identifier, ref, name, generated)
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
    return act


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
