"""docs/money-rules.md applied by hand to a registry dump, for the context marts' tests: every
commitment and disbursement of the XML (ElementTree), converted with Decimal at the ECB rate read from
the reference file the pipeline ships (csv + gzip, as-of within 7 days, pegged parities), split over
the activity's recipient countries or regions by their percentages. Nothing here uses the project's
reader, SQL or macros."""

from __future__ import annotations

import bisect
import csv
import gzip
import xml.etree.ElementTree as ET
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pycountry

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
TEN_PLACES = Decimal("1e-10")
MAX_AGE = timedelta(days=7)


class Rates:
    """Units of a currency per euro on a day: the ECB's of that day, else the closest earlier within
    7 days; a pegged currency's legal parity any day; 1 for EUR; None otherwise."""

    def __init__(self, ref_dir: Path = REFERENCE):
        self.ecb: dict[str, tuple[list[date], list[Decimal]]] = defaultdict(lambda: ([], []))
        with gzip.open(ref_dir / "ecb_rates.csv.gz", "rt", encoding="utf-8") as fh:
            for row in sorted(csv.DictReader(fh), key=lambda r: r["date"]):
                days, rates = self.ecb[row["currency"].upper()]
                days.append(date.fromisoformat(row["date"]))
                rates.append(Decimal(row["eur_rate"]))
        with (ref_dir / "pegged_currencies.csv").open(encoding="utf-8") as fh:
            self.pegged = {r["currency"].upper(): Decimal(r["eur_rate"]) for r in csv.DictReader(fh)}

    def on(self, currency: str, day: date) -> Decimal | None:
        if currency == "EUR":
            return Decimal(1)
        if currency in self.pegged:
            return self.pegged[currency]
        days, rates = self.ecb.get(currency, ([], []))
        i = bisect.bisect_right(days, day) - 1
        return rates[i] if i >= 0 and day - days[i] <= MAX_AGE else None


def to_eur(value: Decimal, rate: Decimal) -> Decimal:
    """value / rate rounded half away from zero to 10 decimal places."""
    return (value / rate).quantize(TEN_PLACES, rounding=ROUND_HALF_UP)


def _day(element) -> date | None:
    text = element.get("iso-date") if element is not None else None
    return date.fromisoformat(text[:10]) if text else None


def _places(activity) -> list[tuple[str, Fraction | None]]:
    found = []
    for element in activity.findall("recipient-country"):
        country = pycountry.countries.get(alpha_2=element.get("code", "").upper())
        found.append((country.alpha_3 if country else "unallocated", element.get("percentage")))
    for element in activity.findall("recipient-region"):
        found.append((element.get("code"), element.get("percentage")))
    pcts = [Fraction(p) if p is not None else None for _, p in found]
    total = sum(p for p in pcts if p is not None)
    if None in pcts or total <= 0:
        return [(code, Fraction(1, len(found))) for code, _ in found] or [("unallocated", Fraction(1))]
    return [(code, Fraction(p) / total) for (code, _), p in zip(found, pcts)]


def money_by_place_year(dump: Path, rates: Rates) -> tuple[dict[tuple[str, int, str], Fraction], Decimal, int]:
    """((place, year, 'committed'|'disbursed') → euros split by percentage, exactly as fractions;
    the sum of every converted value, each rounded once to 10 places; values with no rate)."""
    money: dict[tuple[str, int, str], Fraction] = defaultdict(Fraction)
    total, unconverted = Decimal(0), 0
    for path in sorted(dump.glob("data/*/*")):
        root = ET.parse(path).getroot()
        if root.tag != "iati-activities":
            continue
        for activity in root.iter("iati-activity"):
            places = _places(activity)
            for tx in activity.iterfind("transaction"):
                kind = tx.find("transaction-type").get("code")
                if kind not in ("2", "3", "4"):
                    continue
                value = tx.find("value")
                currency = (value.get("currency") or activity.get("default-currency") or "EUR").upper()
                tx_day = _day(tx.find("transaction-date"))
                value_day = date.fromisoformat(value.get("value-date")) if value.get("value-date") else None
                rate = rates.on(currency, value_day or tx_day)
                if rate is None:
                    unconverted += 1
                    continue
                eur = to_eur(Decimal(value.text.strip()), rate)
                total += eur
                year = (tx_day or value_day).year
                flow = "committed" if kind == "2" else "disbursed"
                for place, share in places:
                    money[(place, year, flow)] += Fraction(eur) * share
    return dict(money), total, unconverted
