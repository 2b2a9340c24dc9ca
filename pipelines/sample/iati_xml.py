"""IATI 2.03 activity XML for the sample, written incrementally with lxml.etree.xmlfile.

Each activity is built as a small element tree and streamed out, so memory stays
flat at any scale. Element order follows the `iati-activity` sequence in
iati-activities-schema.xsd (2.03).
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Iterator

from lxml import etree

from pipelines.sample import vocab
from pipelines.sample.grants import REFERENCE_DATE, Project

GENERATED_AT = "2026-01-01T00:00:00Z"  # fixed, so files are byte-identical across runs
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# IATI OrganisationType codes for our organisation types.
_IATI_ORG_TYPE = {
    "ong": "22", "commerce_equitable": "22", "cooperative": "70", "collectivite": "10",
    "etablissement_scolaire": "80", "entreprise": "70", "fondation": "60", "autre": "22",
}


def sub(parent, tag: str, text: str | None = None, **attrs: str):
    el = etree.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def narrative(parent, tag: str, text: str, **attrs: str):
    el = sub(parent, tag, **attrs)
    sub(el, "narrative", text)
    return el


def _money(value: float) -> str:
    return f"{value:.2f}"


def activity_element(p: Project) -> etree._Element:
    act = etree.Element("iati-activity", {
        XML_LANG: "fr",
        "default-currency": p.currency,
        "last-updated-datetime": GENERATED_AT,
        "hierarchy": "1",
    })
    sub(act, "iati-identifier", p.identifier)
    narrative(act, "reporting-org", vocab.REGION_NAME, ref=vocab.REGION_IATI_REF, type="10")
    narrative(act, "title", p.title)
    narrative(act, "description", p.description, type="1")
    narrative(act, "participating-org", vocab.REGION_NAME, ref=vocab.REGION_IATI_REF, role="1", type="10")
    if p.co_funder:
        ref, name = p.co_funder
        narrative(act, "participating-org", name, ref=ref, role="1", type="10" if ref == "FR-3" else "40")
    if p.implementer is not None:  # natural persons are never named in IATI
        narrative(
            act, "participating-org", p.implementer.name,
            ref=f"FR-SIRET-{p.implementer.siret}", role="4", type=_IATI_ORG_TYPE[p.implementer.org_type],
        )
    if p.grant_reference:
        other = sub(act, "other-identifier", ref=p.grant_reference, type="A1")
        narrative(other, "owner-org", vocab.REGION_NAME, ref=vocab.REGION_IATI_REF)
    ended = p.planned_end <= REFERENCE_DATE
    closed = p.planned_end + timedelta(days=180) <= REFERENCE_DATE
    sub(act, "activity-status", code="4" if closed else "3" if ended else "2")
    sub(act, "activity-date", iso_date=p.start.isoformat(), type="1")
    if p.start <= REFERENCE_DATE:
        sub(act, "activity-date", iso_date=p.start.isoformat(), type="2")
    sub(act, "activity-date", iso_date=p.planned_end.isoformat(), type="3")
    if ended:
        sub(act, "activity-date", iso_date=p.planned_end.isoformat(), type="4")
    sub(act, "activity-scope", code="4" if p.region or len(p.countries) > 1 else "3")
    for code, pct in p.countries:
        sub(act, "recipient-country", code=code, percentage=str(pct))
    if p.region:
        sub(act, "recipient-region", code=p.region, vocabulary="1", percentage="100")
    for code, pct in p.sectors:
        sub(act, "sector", vocabulary="1", code=code, percentage=str(pct))
    sub(act, "collaboration-type", code="1")
    sub(act, "default-flow-type", code="10")
    sub(act, "default-finance-type", code="110")
    sub(act, "default-aid-type", code="C01", vocabulary="1")
    sub(act, "default-tied-status", code="5")
    for year_start, year_end, value in _budgets(p):
        budget = sub(act, "budget", type="1", status="2")
        sub(budget, "period-start", iso_date=year_start.isoformat())
        sub(budget, "period-end", iso_date=year_end.isoformat())
        sub(budget, "value", _money(value * p.rate), value_date=year_start.isoformat())
    _transaction(act, p, "2", p.commitment_date, _money(p.commitment_eur * p.rate))
    for paid_on, value in p.disbursements:
        # Round down so converted tranches never add up to more than the commitment.
        _transaction(act, p, "3", paid_on, _money(math.floor(value * p.rate * 100) / 100))
    for result_title, indicator, baseline, target, actual in p.results:
        result = sub(act, "result", type="1", aggregation_status="1")
        narrative(result, "title", result_title)
        ind = sub(result, "indicator", measure="1", ascending="1")
        narrative(ind, "title", indicator)
        sub(ind, "baseline", year=str(p.start.year), iso_date=p.start.isoformat(), value=f"{baseline:g}")
        period = sub(ind, "period")
        sub(period, "period-start", iso_date=p.start.isoformat())
        sub(period, "period-end", iso_date=p.planned_end.isoformat())
        sub(period, "target", value=f"{target:g}")
        if actual is not None:
            sub(period, "actual", value=f"{actual:g}")
    return act


def _budgets(p: Project) -> list[tuple[date, date, float]]:
    """One budget per project year (IATI budget periods must not exceed a year)."""
    days = max(1, (p.planned_end - p.start).days)
    out, cursor = [], p.start
    while cursor < p.planned_end:
        end = min(cursor + timedelta(days=364), p.planned_end)
        out.append((cursor, end, round(p.commitment_eur * ((end - cursor).days + 1) / (days + 1), 2)))
        cursor = end + timedelta(days=1)
    return out


def _transaction(act, p: Project, type_code: str, when: date, value: str) -> None:
    tx = sub(act, "transaction")
    sub(tx, "transaction-type", code=type_code)
    sub(tx, "transaction-date", iso_date=when.isoformat())
    sub(tx, "value", value, value_date=when.isoformat())
    narrative(tx, "provider-org", vocab.REGION_NAME, ref=vocab.REGION_IATI_REF)
    if p.implementer is not None:
        narrative(tx, "receiver-org", p.implementer.name, ref=f"FR-SIRET-{p.implementer.siret}")


@contextmanager
def activities_writer(path: Path) -> Iterator:
    """Yield `write(project)`; the file is one `iati-activities` root, streamed."""
    with etree.xmlfile(str(path), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("iati-activities", {"version": "2.03", "generated-datetime": GENERATED_AT}):
            xf.write("\n")

            def write(project: Project) -> None:
                el = activity_element(project)
                etree.indent(el, space=" ", level=1)
                xf.write(el, pretty_print=True)

            yield write
