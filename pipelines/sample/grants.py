"""Sample grants (SCDL rows) and the IATI projects behind them, as plain records.

Counts per (year, programme) are drawn once from the seed, so every replica of
`--scale N` has exactly the same number of grants: N replicas give N× the rows.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from pipelines.sample import vocab
from pipelines.sample.orgs import Org, active_ngos

REFERENCE_DATE = date(2025, 12, 31)  # "today" for project status: fixed, never the clock
# Days from a date to a grant's first payment (drawn in the window): a project's first tranche
# after the decision; the emergency fund pays within the month (the programme page shows it);
# a grant without a project is paid at the start of its payment period (datesPeriodeVersement).
PROJECT_PAYMENT_DELAY = (20, 90)
EMERGENCY_PAYMENT_DELAY = (3, 30)
PERIOD_PAYMENT_DELAY = (0, 14)
WEST_AFRICA_XOF = ("SN", "BF", "ML", "NE", "BJ", "TG", "CI", "GW")
_COUNTRY_NAMES = {c[0]: c[1] for c in vocab.COUNTRIES}


@dataclass
class Project:
    """What the IATI activity of a grant (or a co-funded project) says."""

    identifier: str
    title: str
    description: str
    implementer: Org | None
    countries: list[tuple[str, int]]  # (ISO alpha-2, percentage); empty when `region` is set
    region: str | None
    sectors: list[tuple[str, int]]
    currency: str  # EUR, USD or XOF
    rate: float  # units of `currency` per euro
    commitment_eur: float
    commitment_date: date
    disbursements: list[tuple[date, float]]  # EUR amounts
    start: date
    planned_end: date
    co_funder: tuple[str, str] | None  # (ref, name) of another funding organisation
    grant_reference: str | None
    results: list[tuple[str, str, float, float, float | None]] = field(default_factory=list)


@dataclass
class Grant:
    year: int
    date_convention: date
    reference: str
    beneficiary_name: str
    beneficiary_siret: str  # "" for natural persons
    rna: str
    objet: str
    montant: float
    conditions: str
    payment_start: date
    payment_end: date | None
    pourcentage: float
    programme: str
    project: Project | None
    raw_overrides: dict[str, str] = field(default_factory=dict)  # deliberate flaws


def programme_counts(seed: int, year: int) -> dict[str, int]:
    rng = random.Random(f"{seed}:counts:{year}")
    budget = vocab.GRANT_BUDGET_EUR[year]
    return {
        name: max(1, round(budget * share / typical * rng.uniform(0.94, 1.06)))
        for name, share, typical, _abroad in vocab.PROGRAMMES
    }


def session_dates(seed: int, year: int) -> list[date]:
    """Commission permanente sittings: a Thursday in eight months of the year."""
    rng = random.Random(f"{seed}:sessions:{year}")
    dates = []
    for month in (2, 3, 5, 6, 7, 9, 10, 12):
        first = date(year, month, 1)
        thursday = first + timedelta(days=(3 - first.weekday()) % 7)
        dates.append(thursday + timedelta(weeks=rng.randint(0, 2)))
    return dates


def _amount(rng: random.Random, typical: float) -> float:
    # Log-normal around the programme's typical grant, rounded as decisions are.
    raw = typical * math.exp(rng.gauss(0, 0.55) - 0.55**2 / 2)
    step = 500 if raw >= 20_000 else 100
    return float(max(step, round(raw / step) * step))


def _country_weights(year: int) -> list[float]:
    weights = []
    for code, _name, w in vocab.COUNTRIES:
        if code == "UA":
            w = w * (4 if year >= 2022 else 0.3)
        weights.append(w)
    return weights


def _percent_split(rng: random.Random, n: int) -> list[int]:
    return {1: [100], 2: rng.choice(([50, 50], [60, 40], [70, 30])), 3: [50, 30, 20]}[n]


def partner_country(seed: int, org: Org) -> str:
    """Each organisation has a favourite partner country (twinnings last for decades)."""
    rng = random.Random(f"{seed}:partner:{org.siret}")
    return rng.choices([c[0] for c in vocab.COUNTRIES], weights=_country_weights(2015))[0]


class GrantFactory:
    """Draws the grants of one (year, replica) from that replica's organisations."""

    def __init__(self, seed: int, replica: int, orgs: list[Org]):
        self.seed = seed
        self.replica = replica
        self.orgs = orgs
        self.ngos = active_ngos(orgs)
        self.big_ngos = sorted(self.ngos, key=lambda o: -o.weight)[:20]
        self.collectivites = [o for o in orgs if o.org_type == "collectivite"]
        self.fair_trade = [o for o in orgs if o.org_type in ("commerce_equitable", "cooperative")]
        self.schools = [o for o in orgs if o.org_type == "etablissement_scolaire"]
        self.others = [o for o in orgs if o.org_type == "autre"]
        self.partners = {o.siret: partner_country(seed, o) for o in orgs}

    def _pick(self, rng: random.Random, pool: list[Org], year: int) -> Org:
        alive = [o for o in pool if o.created <= year] or pool
        return rng.choices(alive, weights=[o.weight for o in alive])[0]

    def _beneficiary(self, rng: random.Random, programme: str, year: int) -> Org | None:
        roll = rng.random()
        if programme == "Coopération décentralisée":
            return self._pick(rng, self.collectivites if roll < 0.7 else self.ngos, year)
        if programme == "Soutien aux projets des ONG":
            return self._pick(rng, self.ngos, year)
        if programme == "Commerce équitable":
            return self._pick(rng, self.fair_trade, year)
        if programme == "Jeunesse solidaire":
            if roll < 0.3:
                return None  # a young person applying in their own name
            return self._pick(rng, self.ngos if roll < 0.7 else self.schools, year)
        if programme == "Fonds d'urgence":
            return self._pick(rng, self.big_ngos, year)
        pool = self.ngos if roll < 0.5 else self.schools if roll < 0.75 else self.others
        return self._pick(rng, pool, year)

    def _locations(self, rng: random.Random, programme: str, year: int, org: Org | None):
        codes = [c[0] for c in vocab.COUNTRIES]
        if programme == "Fonds d'urgence":
            return [(rng.choice(vocab.EMERGENCIES[year]), 100)], None
        roll = rng.random()
        if roll < 0.04:
            return [], rng.choice(vocab.REGIONS)
        n = 1 if roll < 0.88 else 2 if roll < 0.97 else 3
        first = self.partners[org.siret] if org and rng.random() < 0.7 else None
        chosen: list[str] = [first] if first else []
        while len(chosen) < n:
            code = rng.choices(codes, weights=_country_weights(year))[0]
            if code not in chosen:
                chosen.append(code)
        return list(zip(chosen, _percent_split(rng, n))), None

    def _project(self, rng, programme, year, reference, org, title, montant, when, linked=True):
        countries, region = self._locations(rng, programme, year, org)
        sectors_pool = vocab.SECTORS[programme]
        n_sectors = rng.choices((1, 2, 3), (6, 3, 1))[0]
        sectors = list(zip(rng.sample(sectors_pool, n_sectors), _percent_split(rng, n_sectors)))
        currency, rate, co_funder = "EUR", 1.0, None
        roll = rng.random()
        if roll < 0.04:
            currency, rate = "USD", vocab.USD_PER_EUR[year]
            co_funder = ("XM-DAC-41122", "UNICEF")
        elif roll < 0.07 and countries and countries[0][0] in WEST_AFRICA_XOF:
            currency, rate = "XOF", vocab.XOF_PER_EUR
            co_funder = ("FR-3", "Agence française de développement")
        elif roll < 0.12:
            co_funder = ("FR-3", "Agence française de développement")
        start = when + timedelta(days=rng.randint(0, 60))
        months = rng.choice((6, 12, 12, 18, 24, 36)) if montant >= 10_000 else rng.choice((3, 6, 12))
        planned_end = start + timedelta(days=round(months * 30.4))
        delay = EMERGENCY_PAYMENT_DELAY if programme == "Fonds d'urgence" else PROJECT_PAYMENT_DELAY
        disbursements = tranches(rng, montant, months, when, delay)
        where = ", ".join(_COUNTRY_NAMES[c] for c, _ in countries) or "plusieurs pays"
        identifier = f"{vocab.REGION_IATI_REF}-{reference}"
        project = Project(
            identifier=identifier,
            title=title,
            description=f"{title}. Projet soutenu par la Région ({programme}), {where}.",
            implementer=org,
            countries=countries,
            region=region,
            sectors=sectors,
            currency=currency,
            rate=rate,
            commitment_eur=montant,
            commitment_date=when,
            disbursements=disbursements,
            start=start,
            planned_end=planned_end,
            co_funder=co_funder,
            grant_reference=reference if linked else None,
        )
        if rng.random() < 0.5:  # about half the projects report results
            result_title, indicator = rng.choice(vocab.INDICATORS)
            baseline = float(rng.randint(0, 200))
            target = baseline + rng.randint(50, 2000)
            actual = None
            if planned_end <= REFERENCE_DATE:
                actual = float(round(baseline + (target - baseline) * rng.uniform(0.55, 1.2)))
            project.results.append((result_title, indicator, baseline, float(target), actual))
        return project

    def grants(self, year: int, counts: dict[str, int], sessions: list[date], next_ref) -> list[Grant]:
        rng = random.Random(f"{self.seed}:grants:{year}:{self.replica}")
        out: list[Grant] = []
        for programme, _share, typical, abroad in vocab.PROGRAMMES:
            for _ in range(counts[programme]):
                when = rng.choice(sessions)
                reference = next_ref()
                org = self._beneficiary(rng, programme, year)
                montant = _amount(rng, typical)
                if org is None:
                    name = f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"
                    montant = float(rng.choice((800, 1000, 1200, 1500, 2000, 2500, 3000)))
                theme = rng.choice(vocab.PROJECT_THEMES[programme])
                project = None
                has_project = abroad and (programme != "Jeunesse solidaire" or rng.random() < 0.8)
                if has_project:
                    project = self._project(rng, programme, year, reference, org, theme, montant, when)
                    where = ", ".join(_COUNTRY_NAMES[c] for c, _ in project.countries)
                    objet = f"{theme} ({where})" if where else f"{theme} (projet multi-pays)"
                else:
                    objet = f"{theme} {year}"
                pay_start = when + timedelta(days=rng.randint(20, 75))
                single = montant < 10_000
                out.append(Grant(
                    year=year,
                    date_convention=when,
                    reference=reference,
                    beneficiary_name=org.name if org else name,
                    beneficiary_siret=org.siret if org else "",
                    rna=org.rna if org else "",
                    objet=objet,
                    montant=montant,
                    conditions="unique" if single else "échelonné",
                    payment_start=pay_start,
                    payment_end=None if single else pay_start + timedelta(days=rng.choice((365, 540, 730))),
                    pourcentage=round(rng.uniform(0.5, 1.0) if org is None else rng.uniform(0.15, 0.8), 2),
                    programme=programme,
                    project=project,
                ))
        out.sort(key=lambda g: g.date_convention)  # files list decisions by sitting (stable sort)
        return out

    def cofunded_projects(self, year: int, n: int, sessions: list[date], next_ref) -> list[Project]:
        """Projects the Region reports in IATI with no SCDL grant (co-financed through partners)."""
        rng = random.Random(f"{self.seed}:cofunded:{year}:{self.replica}")
        out = []
        for _ in range(n):
            programme = rng.choice(("Coopération décentralisée", "Soutien aux projets des ONG"))
            org = self._beneficiary(rng, programme, year)
            montant = _amount(rng, 45_000)
            theme = rng.choice(vocab.PROJECT_THEMES[programme])
            reference = "COF-" + next_ref()
            out.append(self._project(
                rng, programme, year, reference, org, f"{theme} (cofinancement)", montant,
                rng.choice(sessions), linked=False,
            ))
        return out


def tranches(
    rng: random.Random, montant: float, months: int, start: date, delay: tuple[int, int] = PROJECT_PAYMENT_DELAY,
) -> list[tuple[date, float]]:
    """A grant's payments (EUR): one to three tranches a year apart, summing to at most `montant`,
    the first `delay` days (drawn) after `start`; none after REFERENCE_DATE (not paid yet).

    The one rule behind an IATI project's disbursements and a project-less grant's payment orders.
    """
    shares = [1.0] if montant < 10_000 or months <= 6 else rng.choice(([0.6, 0.4], [0.5, 0.5], [0.4, 0.4, 0.2]))
    if rng.random() < 0.1:  # under-spent project: the last tranche is cut
        shares = shares[:-1] + [round(shares[-1] * rng.uniform(0.3, 0.9), 2)]
    out = []
    first = start + timedelta(days=_delay_days(rng, delay))
    for i, share in enumerate(shares):
        paid_on = first + timedelta(days=365 * i)
        if paid_on > REFERENCE_DATE:  # not paid yet
            break
        out.append((paid_on, round(montant * share, 2)))
    return out


def _delay_days(rng: random.Random, delay: tuple[int, int]) -> int:
    # Always the same draw (randint over the project window), scaled into `delay`: a draw over
    # another range may consume other random bits, which would change every later draw of the
    # stream (the year's other grants, the projects' results) and not just these dates.
    low, high = delay
    base_low, base_high = PROJECT_PAYMENT_DELAY
    drawn = rng.randint(base_low, base_high)
    return low + (drawn - base_low) * (high - low) // (base_high - base_low)
