"""Sample payment orders (mandats): the region's accounting export, as plain rows.

Pure: the grants as the sample writes them go in, the rows of `payments/mandats_{year}.csv`
come out (generate.py writes them). One row per payment order; its year is the year it was
paid (exercice), whatever the year of the decision.

- A grant with an IATI project is paid exactly its project's disbursements (same dates, same
  euros): the accounting and the NGO's report agree, as they should.
- A grant without a project is paid in tranches drawn by the same rule (`grants.tranches`),
  from the start of its payment period; nothing after REFERENCE_DATE (not paid yet).
- "Éducation à la citoyenneté mondiale" is paid through another budget: it has no payment
  order at all, so its payments are not tracked ("non suivi"), never 0 €.

The realistic cases the readers and the matching must meet are made once, from replica 0's
grants (`once_only`); see generate.py's docstring for the list.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from pipelines.sample import vocab
from pipelines.sample.grants import PERIOD_PAYMENT_DELAY, REFERENCE_DATE, Grant, tranches

FIELDS = (
    "numero_mandat", "date_paiement", "montant", "reference_decision", "siret_beneficiaire",
    "reference_subvention",
)
NOT_TRACKED_PROGRAMME = "Éducation à la citoyenneté mondiale"  # paid through another budget
UNPAID_SHARE = 0.03  # of the grants that are paid from these records: decided, never paid
UNMATCHED_YEAR = 2024  # the payment whose decision reference no grant has
OVERLAP_YEAR = 2023  # its last December payment is exported again at the top of the next year's file
BAD_DATE_YEAR = 2022  # one date written DD/MM/YYYY, on the year's last day


@dataclass(frozen=True)
class SourcedGrant:
    """A grant and where the sample writes it."""

    key: str  # "subventions_{year}.csv:{line}": the pipeline's grant_key for that row
    replica: int
    grant: Grant


@dataclass
class Payment:
    paid_on: date
    amount: Decimal
    reference_decision: str
    siret: str  # "" for natural persons
    grant_key: str  # the grant paid (for choosing the cases; written only as a manual link)
    reference_subvention: str = ""
    date_text: str = ""  # set only for the row whose date is deliberately malformed
    number: str = ""  # numero_mandat, given once the year's orders are all known
    project: bool = False  # one of an IATI project's disbursements


def payment_files(seed: int, grants: Sequence[SourcedGrant]) -> dict[int, list[list[str]]]:
    """Rows of each `mandats_{year}.csv` (header excluded), for every sample year."""
    by_grant = {sg.key: grant_payments(seed, sg) for sg in grants}
    cases = once_only(seed, grants, by_grant)
    payments = [p for sg in grants for p in by_grant[sg.key]] + cases.extra
    files = numbered(payments)
    if cases.overlap is not None:  # exports overlap: the same order again in the next year's file
        files[cases.overlap.paid_on.year + 1].insert(0, cases.overlap)
    return {year: [row(p) for p in files[year]] for year in vocab.YEARS}


def grant_payments(seed: int, sg: SourcedGrant) -> list[Payment]:
    """What the region paid for one grant, before any deliberate case."""
    g = sg.grant
    if g.programme == NOT_TRACKED_PROGRAMME:
        return []
    if g.project is not None:
        paid, project = g.project.disbursements, True
    else:
        # Seeded per grant (reference and replica): a grant's payments do not depend on which
        # other grants were drawn before it.
        rng = random.Random(f"{seed}:payments:{g.year}:{sg.replica}:{g.reference}")
        paid, project = tranches(rng, g.montant, _months(g), g.payment_start, PERIOD_PAYMENT_DELAY), False
    return [
        Payment(on, Decimal(f"{eur:.2f}"), g.reference, g.beneficiary_siret, sg.key, project=project)
        for on, eur in paid
    ]


def _months(g: Grant) -> int:
    # A single payment ("unique") has no period end; tranches ("échelonné") span the period.
    return 0 if g.payment_end is None else round((g.payment_end - g.payment_start).days / 30.4)


@dataclass
class Cases:
    extra: list[Payment]  # orders added to the files
    overlap: Payment | None  # an order written in two years' files


def once_only(seed: int, grants: Sequence[SourcedGrant], by_grant: dict[str, list[Payment]]) -> Cases:
    """Apply the realistic cases to replica 0's payments (in place) and return the added rows.

    Cases are drawn among grants without a project, so that every payment of a project grant
    stays one of its IATI disbursements; each case takes a grant of its own.
    """
    rng = random.Random(f"{seed}:payments:cases")
    first = [sg for sg in grants if sg.replica == 0]
    _unpaid(seed, first, by_grant)
    grants_per_siren = Counter(sg.grant.beneficiary_siret[:9] for sg in grants if sg.grant.beneficiary_siret)
    decided = {}  # SIREN -> decision dates of its grants
    for sg in grants:
        if sg.grant.beneficiary_siret:
            decided.setdefault(sg.grant.beneficiary_siret[:9], []).append(sg.grant.date_convention)
    taken: set[str] = set()

    def pick(ok) -> Payment:
        # Grants with no project and no deliberate SCDL flaw (a rejected grant row would blur the case).
        pool = [p for sg in first if not sg.grant.raw_overrides and sg.key not in taken
                for p in by_grant[sg.key] if not p.project and ok(sg.grant, p)]
        chosen = rng.choice(pool)
        taken.add(chosen.grant_key)
        return chosen

    # Only a SIRET, whose organisation has exactly one grant: matched by beneficiary.
    single = pick(lambda g, p: g.beneficiary_siret and grants_per_siren[g.beneficiary_siret[:9]] == 1)
    single.reference_decision = ""
    # Only a SIRET, whose organisation had several grants by then: ambiguous, unmatched.
    several = pick(lambda g, p: g.beneficiary_siret
                   and sum(d <= p.paid_on for d in decided[g.beneficiary_siret[:9]]) >= 2)
    several.reference_decision = ""
    # The analyst's manual link, on a young person's grant: no reference, no SIRET to go by.
    manual = pick(lambda g, p: not g.beneficiary_siret)
    manual.reference_decision, manual.reference_subvention = "", manual.grant_key
    # A 31 December payment whose date the export wrote DD/MM/YYYY: the reader rejects the row.
    bad = pick(lambda g, p: p.paid_on.year == BAD_DATE_YEAR)
    bad.paid_on = date(BAD_DATE_YEAR, 12, 31)
    bad.date_text = bad.paid_on.strftime("%d/%m/%Y")
    # Paid twice by mistake, then the second order reversed (a negative order).
    twice = pick(lambda g, p: p.paid_on <= REFERENCE_DATE - timedelta(days=30))
    again = replace(twice, paid_on=twice.paid_on + timedelta(days=rng.randint(3, 10)))
    reversal = replace(again, paid_on=again.paid_on + timedelta(days=rng.randint(2, 10)), amount=-again.amount)
    # The year's last December payment, also at the top of the next year's export.
    december = [p for sg in first if sg.key not in taken for p in by_grant[sg.key]
                if p.paid_on.year == OVERLAP_YEAR and p.paid_on.month == 12]
    overlap = max(december, key=lambda p: p.paid_on, default=None)
    return Cases(extra=[again, reversal, _unmatched(rng, first)], overlap=overlap)


def _unpaid(seed: int, first: Sequence[SourcedGrant], by_grant: dict[str, list[Payment]]) -> None:
    """About UNPAID_SHARE of the paid programmes' grants are never paid (drawn per year)."""
    for year in vocab.YEARS:
        rng = random.Random(f"{seed}:payments:unpaid:{year}")
        paid = [sg for sg in first if sg.grant.year == year and sg.grant.programme != NOT_TRACKED_PROGRAMME]
        # Drawn among grants without a project (a project's disbursements are in its IATI report),
        # at the rate that makes the share of all the year's paid-programme grants UNPAID_SHARE.
        candidates = [sg for sg in paid if sg.grant.project is None and by_grant[sg.key]]
        rate = min(1.0, UNPAID_SHARE * len(paid) / len(candidates)) if candidates else 0.0
        for sg in candidates:
            if rng.random() < rate:
                by_grant[sg.key] = []


def _unmatched(rng: random.Random, first: Sequence[SourcedGrant]) -> Payment:
    """A payment whose decision reference no grant has, to an organisation that exists."""
    used = {sg.grant.reference for sg in first}
    serial = 99_999
    while f"CP-{UNMATCHED_YEAR}-{serial:05d}" in used:  # only at very large scales
        serial += 1
    orgs = sorted({sg.grant.beneficiary_siret for sg in first
                   if sg.grant.year == UNMATCHED_YEAR and sg.grant.beneficiary_siret and not sg.grant.raw_overrides})
    paid_on = date(UNMATCHED_YEAR, 1, 1) + timedelta(days=rng.randint(0, 364))
    amount = Decimal(rng.randint(20, 300) * 100)
    return Payment(paid_on, amount, f"CP-{UNMATCHED_YEAR}-{serial:05d}", rng.choice(orgs), "")


def numbered(payments: list[Payment]) -> dict[int, list[Payment]]:
    """Each payment year's orders in date order, numbered `{year}-{serial:06d}` in that order."""
    files: dict[int, list[Payment]] = {year: [] for year in vocab.YEARS}
    for p in sorted(payments, key=lambda p: p.paid_on):  # stable: same-day orders keep their order
        files[p.paid_on.year].append(p)
    for year, orders in files.items():
        for serial, p in enumerate(orders, start=1):
            p.number = f"{year}-{serial:06d}"
    return files


def row(p: Payment) -> list[str]:
    return [
        p.number,
        p.date_text or p.paid_on.isoformat(),
        f"{p.amount:.2f}".replace(".", ","),
        p.reference_decision,
        p.siret,
        p.reference_subvention,
    ]
