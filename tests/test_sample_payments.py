"""The sample's payment orders (`payments/mandats_{year}.csv`, issue 16).

Every figure is recomputed from the written files (csv module and Decimal for the CSVs,
ElementTree for the IATI file), never taken from the generator's own records.
"""

from __future__ import annotations

import csv
import hashlib
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipelines.sample import write_sample

YEARS = range(2015, 2026)
HEADER = ["numero_mandat", "date_paiement", "montant", "reference_decision", "siret_beneficiaire",
          "reference_subvention"]
NOT_TRACKED = "Éducation à la citoyenneté mondiale"
LAST_DAY = date(2025, 12, 31)


def read_payments(folder: Path) -> list[dict[str, str]]:
    """Every payment row, with the file it is in."""
    out = []
    for year in YEARS:
        path = folder / "payments" / f"mandats_{year}.csv"
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter=";")
            assert reader.fieldnames == HEADER, path
            out += [dict(r, file_year=year) for r in reader]
    return out


def euros(text: str) -> Decimal:
    assert re.fullmatch(r"-?\d+,\d{2}", text), text  # decimal comma, two decimals
    return Decimal(text.replace(",", "."))


def iso(text: str) -> date | None:
    return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None


def read_grants(folder: Path) -> dict[str, dict[str, str]]:
    """Grant rows by their key `subventions_{year}.csv:{line}` (header is line 1)."""
    out = {}
    for year in YEARS:
        name = f"subventions_{year}.csv"
        raw = (folder / "grants" / name).read_bytes()
        try:
            text, sep = raw.decode("utf-8"), ";"
        except UnicodeDecodeError:
            text, sep = raw.decode("cp1252"), ","
        lines = text.split("\r\n")
        assert lines[-1] == ""  # one physical line per row, so the line number is the row's index + 2
        rows = list(csv.DictReader(lines[:-1], delimiter=sep))
        assert len(rows) == len(lines) - 2
        out.update({f"{name}:{i}": r for i, r in enumerate(rows, start=2)})
    return out


def decision_date(grant: dict[str, str]) -> date:
    text = grant["dateConvention"]
    if "/" in text:  # the 2019 flaw: DD/MM/YYYY
        day, month, year = text.split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text)


def siren(siret: str) -> str:
    return siret.replace(" ", "")[:9]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("payments_sample")
    counts = write_sample(out, scale=1, seed=2026)
    return out, counts


@pytest.fixture(scope="module")
def data(sample):
    folder, counts = sample
    payments = read_payments(folder)
    grants = read_grants(folder)
    by_reference = {g["referenceDecision"]: key for key, g in grants.items()}
    assert len(by_reference) == len(grants)  # decision references are unique in the sample
    return folder, counts, payments, grants, by_reference


def unique_orders(payments):
    """Each payment order once: the overlap repeats one order, line for line, in the next file."""
    seen, out = set(), []
    for p in payments:
        line = tuple(p[f] for f in HEADER)
        if line not in seen:
            seen.add(line)
            out.append(p)
    return out


def test_files_layout_numbers_and_counts(sample, data):
    folder, counts, payments, _, _ = data
    assert counts["payments"] == len(payments)
    for year in YEARS:
        raw = (folder / "payments" / f"mandats_{year}.csv").read_bytes()
        raw.decode("utf-8")
        assert raw.count(b"\n") == raw.count(b"\r\n") > 1  # CRLF, and rows every year
    numbers = Counter(p["numero_mandat"] for p in payments)
    repeated = [n for n, c in numbers.items() if c > 1]
    assert len(repeated) == 1 and numbers[repeated[0]] == 2
    for p in payments:
        euros(p["montant"])
        year, serial = p["numero_mandat"].split("-")
        assert len(serial) == 6 and serial.isdigit()
        # An order is numbered in its payment year; only the repeated one sits in the next file too.
        overlap_copy = p["numero_mandat"] in repeated and p["file_year"] == 2024
        assert int(year) == (2023 if overlap_copy else p["file_year"]), p


def test_one_malformed_date_and_nothing_after_the_reference_date(data):
    _, _, payments, _, _ = data
    bad = [p for p in payments if iso(p["date_paiement"]) is None]
    assert [(p["file_year"], p["date_paiement"]) for p in bad] == [(2022, "31/12/2022")]
    assert euros(bad[0]["montant"]) > 0  # its amount can still be read
    dated = [p for p in payments if p not in bad]
    assert max(iso(p["date_paiement"]) for p in dated) <= LAST_DAY
    overlap = {p["numero_mandat"] for p in payments if p["numero_mandat"][:4] == "2023" and p["file_year"] == 2024}
    for p in dated:
        paid_year = iso(p["date_paiement"]).year
        assert paid_year == p["file_year"] or (p["numero_mandat"] in overlap and paid_year == 2023)


def test_every_payment_names_a_grant_except_the_documented_cases(data):
    folder, _, payments, grants, by_reference = data
    with (folder / "organisations" / "organisations.csv").open(encoding="utf-8", newline="") as fh:
        org_sirets = {o["siret"] for o in csv.DictReader(fh)}
    grants_of = defaultdict(list)
    for g in grants.values():
        if g["idBeneficiaire"]:
            grants_of[siren(g["idBeneficiaire"])].append(decision_date(g))
    unknown, siret_only, manual = [], [], []
    for p in payments:
        if p["reference_subvention"]:
            manual.append(p)
        elif not p["reference_decision"]:
            siret_only.append(p)
        elif p["reference_decision"] not in by_reference:
            unknown.append(p)
        else:
            grant = grants[by_reference[p["reference_decision"]]]
            # Same beneficiary (by SIREN: the 2016 and 2018 grant flaws touch the SIRET's layout
            # and its check digit only); a natural person's grant has no SIRET, nor its payments.
            assert siren(p["siret_beneficiaire"]) == siren(grant["idBeneficiaire"]), p
    assert [p["reference_decision"] for p in unknown] == ["CP-2024-99999"]
    assert unknown[0]["siret_beneficiaire"] in org_sirets
    # The analyst's manual link: a grant key of the SCDL files, nothing else to go by.
    assert len(manual) == 1
    assert manual[0]["reference_subvention"] in grants and not manual[0]["reference_decision"]
    assert not manual[0]["siret_beneficiaire"]
    # Two payments with a SIRET alone: one organisation had exactly one grant by then (matched),
    # the other several (ambiguous).
    assert len(siret_only) == 2
    decided_by_then = sorted(
        sum(d <= iso(p["date_paiement"]) for d in grants_of[siren(p["siret_beneficiaire"])]) for p in siret_only
    )
    assert decided_by_then[0] == 1 and decided_by_then[1] >= 2
    single = next(p for p in siret_only if len(grants_of[siren(p["siret_beneficiaire"])]) == 1)
    assert single["siret_beneficiaire"] in org_sirets


def paid_grant_keys(p, grants, by_reference) -> str | None:
    """The grant a payment pays, by the documented links (None for the unmatched ones)."""
    if p["reference_subvention"]:
        return p["reference_subvention"]
    if p["reference_decision"]:
        return by_reference.get(p["reference_decision"])
    matches = [k for k, g in grants.items()
               if g["idBeneficiaire"] and siren(g["idBeneficiaire"]) == siren(p["siret_beneficiaire"])]
    return matches[0] if len(matches) == 1 else None


def test_no_payment_for_the_programme_paid_elsewhere_and_every_other_is_paid(data):
    _, _, payments, grants, by_reference = data
    programmes = Counter()
    for p in payments:
        key = paid_grant_keys(p, grants, by_reference)
        if key is not None:
            programmes[grants[key]["dispositifAide"]] += 1
    assert NOT_TRACKED not in programmes
    assert set(programmes) == {g["dispositifAide"] for g in grants.values()} - {NOT_TRACKED}


def test_project_grants_are_paid_exactly_their_iati_disbursements(data):
    folder, _, payments, grants, by_reference = data
    paid = defaultdict(list)
    for p in unique_orders(payments):
        if p["reference_decision"] in by_reference and iso(p["date_paiement"]):
            paid[p["reference_decision"]].append((iso(p["date_paiement"]), euros(p["montant"])))
    checked = 0
    for act in ET.parse(folder / "iati" / "region-activities.xml").getroot().iter("iati-activity"):
        links = [o.get("ref") for o in act.findall("other-identifier") if o.get("type") == "A1"]
        if not links:
            continue  # co-funded: no grant, no payment order
        grant = grants[by_reference[links[0]]]
        disbursed = sorted(
            (date.fromisoformat(t.find("transaction-date").get("iso-date")), Decimal(t.findtext("value")))
            for t in act.findall("transaction") if t.find("transaction-type").get("code") == "3"
        )
        orders = sorted(paid[links[0]])
        assert [d for d, _ in orders] == [d for d, _ in disbursed], links[0]
        if act.get("default-currency") == "EUR":
            assert orders == disbursed, links[0]
        else:  # the IATI value is in the activity's currency: same tranches at the commitment's rate
            commitment = next(Decimal(t.findtext("value")) for t in act.findall("transaction")
                              if t.find("transaction-type").get("code") == "2")
            montant = grant["montant"].replace(",", ".")
            if re.fullmatch(r"\d+(\.\d+)?", montant):  # not the negative or text-amount grant flaws
                rate = commitment / Decimal(montant)
                for (_, eur), (_, value) in zip(orders, disbursed):
                    assert abs(eur * rate - value) <= Decimal("0.0001") * value + 1, links[0]
        if grant["dispositifAide"] == "Fonds d'urgence" and orders:
            # The emergency fund pays fast: first payment 3 to 30 days after the decision.
            assert 3 <= (orders[0][0] - decision_date(grant)).days <= 30, links[0]
        checked += 1
    assert checked > 3_000


def test_about_three_percent_of_paid_programmes_grants_are_never_paid(data):
    _, _, payments, grants, by_reference = data
    paid_keys = {paid_grant_keys(p, grants, by_reference) for p in payments}
    # Grants decided by mid-2024 should all have been paid by the end of 2025, save the unpaid.
    due = [k for k, g in grants.items()
           if g["dispositifAide"] != NOT_TRACKED and decision_date(g) <= date(2024, 6, 30)]
    unpaid = [k for k in due if k not in paid_keys]
    assert 0.015 <= len(unpaid) / len(due) <= 0.05, (len(unpaid), len(due))


def test_paid_twice_then_reversed(data):
    _, _, payments, _, _ = data
    negative = [p for p in payments if euros(p["montant"]) < 0]
    assert len(negative) == 1
    reversal = negative[0]
    reversed_on = iso(reversal["date_paiement"])
    same = sorted(
        (iso(p["date_paiement"]), p["numero_mandat"]) for p in payments
        if p["reference_decision"] == reversal["reference_decision"]
        and p["siret_beneficiaire"] == reversal["siret_beneficiaire"]
        and euros(p["montant"]) == -euros(reversal["montant"]) and iso(p["date_paiement"]) <= reversed_on
    )
    # The order paid again by mistake a few days after the original, then reversed days later;
    # (a grant paid in equal tranches has other orders of that amount, a year apart).
    (original, first_number), (again, again_number) = same[-2:]
    assert 3 <= (again - original).days <= 10 and 2 <= (reversed_on - again).days <= 10
    assert len({first_number, again_number, reversal["numero_mandat"]}) == 3


def test_last_december_2023_order_is_also_in_the_2024_export(data):
    _, _, payments, _, _ = data
    numbers = Counter(p["numero_mandat"] for p in payments)
    twice = [p for p in payments if numbers[p["numero_mandat"]] == 2]
    assert [p["file_year"] for p in twice] == [2023, 2024]
    assert [twice[0][f] for f in HEADER] == [twice[1][f] for f in HEADER]
    dates_2023 = [iso(p["date_paiement"]) for p in payments if p["file_year"] == 2023]
    assert iso(twice[0]["date_paiement"]) == max(dates_2023) and max(dates_2023).month == 12


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((folder / "payments").iterdir())}


def test_same_seed_same_bytes(sample, tmp_path):
    folder, _ = sample
    write_sample(tmp_path / "again", scale=1, seed=2026)
    write_sample(tmp_path / "other", scale=1, seed=7)
    assert digest(tmp_path / "again") == digest(folder)
    assert len(digest(folder)) == len(YEARS)
    assert all(a != b for a, b in zip(digest(tmp_path / "other").values(), digest(folder).values()))


def test_scale_two_adds_a_replica_without_the_once_only_cases(data, tmp_path):
    _, _, one, _, by_reference_one = data
    counts = write_sample(tmp_path / "x2", scale=2, seed=2026)
    two = read_payments(tmp_path / "x2")
    assert counts["payments"] == len(two)
    grants = read_grants(tmp_path / "x2")
    # Replica 0's references are the same at any scale; the unknown one is a scale-1 case too.
    first_replica = set(by_reference_one) | {p["reference_decision"] for p in one}

    def content(p):  # order numbers are given across replicas, by date
        return tuple(p[f] for f in HEADER[1:])

    # Replica 0 is paid as at scale 1, once-only cases included.
    in_first = Counter(content(p) for p in two if p["reference_decision"] in first_replica
                       or not p["reference_decision"])
    assert in_first == Counter(content(p) for p in one if p["reference_decision"] in first_replica
                               or not p["reference_decision"])
    # The second replica: every row pays one of its own grants, by reference, and none is a case.
    second = [p for p in two if p["reference_decision"] not in first_replica and p["reference_decision"]]
    by_reference = {g["referenceDecision"]: g for g in grants.values()}
    assert all(p["reference_decision"] in by_reference for p in second)
    assert all(iso(p["date_paiement"]) and euros(p["montant"]) > 0 for p in second)
    assert len({p["numero_mandat"] for p in second}) == len(second)
    # Its volume is the replicated part's (tranche counts are drawn per replica, as the grants are).
    assert 0.9 <= len(second) / len(one) <= 1.1
    assert not any(p["reference_decision"] == "CP-2024-99999" for p in second)
