"""The raw files of a raw folder, read again without the project: the independent model the
mart tests compare with (tests/test_marts*.py; tests/test_payments.py and
tests/test_publication_and_links.py read the sample with it too).

Nothing here uses the project's readers, SQL or reference tables: grants, organisations and
payments are read with `csv`, the IATI files with `xml.etree`. The sample's deliberate flaws
(pipelines/sample/generate.py) are rejected or kept by the documented rules
(docs/money-rules.md, docs/data-contracts.md), not by looking at the quarantine table.
The money rules applied to what is read here are in tests/money_model.py.
"""

from __future__ import annotations

import csv
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from pipelines.sources.person_names import reads_as_person


# ---------------------------------------------------------------- raw grants (SCDL CSV)

def luhn_ok(digits: str) -> bool:
    if digits.startswith("356000000"):  # La Poste: digit sum multiple of 5
        return sum(map(int, digits)) % 5 == 0
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def clean_siret(text: str) -> str | None:
    digits = re.sub(r"[\s'\".-]", "", text or "")
    return digits if len(digits) == 14 and digits.isdigit() and luhn_ok(digits) else None


def siren_of(text: str) -> str | None:
    """The SIREN an identifier carries: a valid SIRET's first 9 digits, a bare 9-digit SIREN,
    or the valid first 9 digits of a SIRET whose key fails (docs/money-rules.md)."""
    digits = re.sub(r"[\s'\".-]", "", text or "")
    if not digits.isdigit() or len(digits) not in (9, 14):
        return None
    return digits[:9] if luhn_ok(digits[:9]) else None


def parse_amount(text: str) -> float | None:
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_day(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def read_organisations(raw_dir: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted((raw_dir / "organisations").glob("*.csv")):
        for row in csv.DictReader(read_text(path).splitlines()):
            out.setdefault(row["siret"].strip(), row)
    return out


@dataclass
class Grant:
    key: tuple[str, int]
    day: date
    year: int
    programme: str
    attribuant_id: str | None
    reference: str
    siret: str | None
    name: str
    amount: float
    natural_person: bool
    beneficiary_type: str
    siren: str | None = None


def read_grants(raw_dir: Path, orgs: dict[str, dict[str, str]]) -> list[Grant]:
    rows, seen = [], set()
    for path in sorted((raw_dir / "grants").glob("*.csv")):
        lines = read_text(path).splitlines()
        delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
        for line_no, row in enumerate(csv.DictReader(lines, delimiter=delimiter), start=2):
            amount = parse_amount(row["montant"])
            day = parse_day(row["dateConvention"])
            name = (row["nomBeneficiaire"] or "").strip()
            if amount is None or day is None:
                continue  # rejected: no amount or no date (money-rules, docs/data-contracts.md)
            siret = clean_siret(row["idBeneficiaire"])
            attribuant = clean_siret(row["idAttribuant"])
            line = tuple(row.values())  # only the exact same line again is a duplicate
            if line in seen:
                continue
            seen.add(line)
            rows.append((path, line_no, row, day, name, amount, siret, attribuant))

    def individual(siret: str | None) -> bool:
        return (orgs.get(siret or "", {}).get("categorie_juridique") or "").startswith("1")

    # a name known as an organisation (directory, or a valid non-individual SIRET in another
    # grant) is not a person even when one grant lost its SIRET (money-rules, grants.sql)
    known_organisations = {o["nom"].strip().lower() for o in orgs.values()
                           if o.get("nom") and not (o.get("categorie_juridique") or "").startswith("1")}
    known_organisations |= {name.lower() for _, row, _, name, _, siret, _ in (r[1:] for r in rows)
                            if (siret is not None or siren_of(row["idBeneficiaire"])) and not individual(siret)}
    grants = []
    for path, line_no, row, day, name, amount, siret, attribuant in rows:
        org = orgs.get(siret or "", {})
        # a person only on positive evidence: an individual's legal category, or no identifier,
        # a name not known as an organisation's, and a name that reads as a person's
        # (the rule is measured on real names in tests/test_person_names.py)
        natural = individual(siret) or (
            siret is None and siren_of(row["idBeneficiaire"]) is None and name.lower() not in known_organisations
            and reads_as_person(name))
        grants.append(Grant(
            key=(path.name, line_no),
            day=day,
            year=day.year,
            programme=(row["dispositifAide"] or "").strip() or "Non renseigné",
            attribuant_id=attribuant,
            reference=row["referenceDecision"],
            siret=siret,
            name=name,
            amount=amount,
            natural_person=natural,
            beneficiary_type="personne_physique" if natural else (org.get("type_structure") or "non_renseigne"),
            siren=siret[:9] if siret else siren_of(row["idBeneficiaire"]),
        ))
    return grants


# ---------------------------------------------------------------- raw payments (accounting CSV)

@dataclass
class Payment:
    file: str
    line: int
    day: date | None  # None: not an ISO date, the line is rejected
    amount: Decimal
    grant: tuple[str, int] | None  # the grant it pays, None when no single grant is found


def read_payments(raw_dir: Path, grants: list[Grant]) -> list[Payment]:
    """Every payment line, with the grant it pays by the rules in their plain words
    (docs/money-rules.md, "Payments"): the grant key given, else the grants of that decision
    reference (kept to the line's SIREN when it has one), else the beneficiary's grants decided
    by the payment date; exactly one, or none. An exact repeat of a line pays nothing again."""
    by_key = {f"{g.key[0]}:{g.key[1]}": g for g in grants}
    out, seen = [], set()
    for path in sorted((raw_dir / "payments").glob("*.csv")):
        for line_no, row in enumerate(csv.DictReader(read_text(path).splitlines(), delimiter=";"), start=2):
            amount = Decimal(row["montant"].replace(",", "."))
            try:
                day = date.fromisoformat(row["date_paiement"])
            except ValueError:
                out.append(Payment(path.name, line_no, None, amount, None))
                continue
            cells = tuple(row.values())
            if cells in seen:
                out.append(Payment(path.name, line_no, day, amount, None))
                continue
            seen.add(cells)
            siren = row["siret_beneficiaire"][:9] or None
            if row["reference_subvention"]:
                candidates = [by_key[row["reference_subvention"]]] if row["reference_subvention"] in by_key else []
            elif row["reference_decision"]:
                candidates = [g for g in grants if g.reference == row["reference_decision"]
                              and (siren is None or g.siren == siren)]
            else:
                candidates = [g for g in grants if siren and g.siren == siren and g.day <= day]
            out.append(Payment(path.name, line_no, day, amount, candidates[0].key if len(candidates) == 1 else None))
    return out


# ---------------------------------------------------------------- raw IATI (ElementTree)

@dataclass
class Transaction:
    index: int
    kind: str
    day: date
    value: float
    currency: str
    value_date: date
    country: str | None
    region: str | None
    sector_vocabulary: str | None
    sector_code: str | None


@dataclass
class Activity:
    identifier: str
    reporting_ref: str
    grant_reference: str | None
    places: list[tuple[str, str, float | None]] = field(default_factory=list)  # (kind, code, pct)
    sectors: list[tuple[str, str, float | None]] = field(default_factory=list)  # (vocab, code, pct)
    transactions: list[Transaction] = field(default_factory=list)
    results: list[tuple] = field(default_factory=list)


def _pct(el: ET.Element) -> float | None:
    text = el.get("percentage")
    return float(text) if text not in (None, "") else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


def _number(el: ET.Element | None, attr: str = "value") -> float | None:
    if el is None or el.get(attr) in (None, ""):
        return None
    return float(el.get(attr))


def read_activities(raw_dir: Path) -> list[Activity]:
    activities = []
    for path in sorted((raw_dir / "iati").glob("*.xml")):
        for _, el in ET.iterparse(path):
            if el.tag != "iati-activity":
                continue
            default_currency = el.get("default-currency") or "EUR"
            a1 = [o.get("ref") for o in el.findall("other-identifier") if o.get("type") == "A1"]
            act = Activity(
                identifier=el.findtext("iati-identifier").strip(),
                reporting_ref=el.find("reporting-org").get("ref"),
                grant_reference=a1[0] if a1 else None,
            )
            act.places = [("country", c.get("code"), _pct(c)) for c in el.findall("recipient-country")]
            act.places += [("region", r.get("code"), _pct(r)) for r in el.findall("recipient-region")]
            act.sectors = [(s.get("vocabulary") or "1", s.get("code"), _pct(s)) for s in el.findall("sector")]
            for i, t in enumerate(el.findall("transaction"), start=1):
                value = t.find("value")
                day = _day(t.find("transaction-date").get("iso-date"))
                country, region, sector = t.find("recipient-country"), t.find("recipient-region"), t.find("sector")
                act.transactions.append(Transaction(
                    index=i,
                    kind=t.find("transaction-type").get("code"),
                    day=day,
                    value=float(value.text),
                    currency=(value.get("currency") or default_currency).upper(),
                    value_date=_day(value.get("value-date")) or day,
                    country=None if country is None else country.get("code"),
                    region=None if region is None else region.get("code"),
                    sector_vocabulary=None if sector is None else (sector.get("vocabulary") or "1"),
                    sector_code=None if sector is None else sector.get("code"),
                ))
            for r_i, result in enumerate(el.findall("result"), start=1):
                for i_i, indicator in enumerate(result.findall("indicator"), start=1):
                    baseline = _number(indicator.find("baseline"))
                    for period in indicator.findall("period") or [None]:
                        start = None if period is None else _day(period.find("period-start").get("iso-date"))
                        target = None if period is None else _number(period.find("target"))
                        actual = None if period is None else _number(period.find("actual"))
                        act.results.append((act.identifier, r_i, i_i, start, baseline, target, actual))
            activities.append(act)
            el.clear()
    return activities
