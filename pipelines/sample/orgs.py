"""Sample organisations (the regional directory) and their jobs per year.

One *replica* is the scale-1 population (~1,080 organisations, ~1,300 jobs in
2025); `--scale N` writes N replicas with fresh SIRETs, same shape.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from pipelines.sample import vocab
from pipelines.sample.ids import new_siret, rna_number

DEPARTEMENT_NAMES = {
    "01": "Département de l'Ain", "03": "Département de l'Allier",
    "07": "Département de l'Ardèche", "15": "Département du Cantal",
    "26": "Département de la Drôme", "38": "Département de l'Isère",
    "42": "Département de la Loire", "43": "Département de la Haute-Loire",
    "63": "Département du Puy-de-Dôme", "69": "Département du Rhône",
    "73": "Département de la Savoie", "74": "Département de la Haute-Savoie",
}
# Intercommunalités: (name, legal category, seat INSEE code).
INTERCOMMUNALITES = (
    ("Métropole de Lyon", "7229", "69383"), ("Grenoble-Alpes Métropole", "7344", "38185"),
    ("Clermont Auvergne Métropole", "7344", "63113"), ("Saint-Étienne Métropole", "7344", "42218"),
    ("Grand Annecy", "7348", "74010"), ("Grand Chambéry", "7348", "73065"),
    ("Valence Romans Agglo", "7348", "26362"),
)
# Organisations per replica and type (collectivités come from the fixed lists above).
TYPE_COUNTS = (
    ("ong", 720), ("etablissement_scolaire", 70), ("commerce_equitable", 60),
    ("cooperative", 30), ("entreprise", 40), ("fondation", 15), ("autre", 50),
)
ACTIVE_NGO_COUNT = 320  # associations that apply for grants (~300 distinct grantees)
BIG_EMPLOYERS = (180, 130, 100, 80, 60, 50, 40, 35)  # the few large NGOs hold most jobs
HEADCOUNT_2025 = 1300


@dataclass
class Org:
    siret: str
    name: str
    legal_category: str
    naf: str
    commune_code: str
    postcode: str
    commune_name: str
    departement: str
    org_type: str
    rna: str = ""
    weight: float = 1.0  # propensity to receive grants / organise events
    created: int = 2015


_COMMUNE_BY_CODE = {c[0]: (dep, c) for dep, cs in vocab.COMMUNES.items() for c in cs}


def _ville_de(town: str) -> str:
    # French elision: "Ville d'Aubière", "Ville de Lyon".
    return f"Ville d'{town}" if town[0] in "AEIOUYÉÈÂÎ" else f"Ville de {town}"


def _pick_commune(rng: random.Random) -> tuple[str, tuple[str, str, str]]:
    deps = [d for d, _ in vocab.DEPARTEMENT_WEIGHTS]
    dep = rng.choices(deps, weights=[w for _, w in vocab.DEPARTEMENT_WEIGHTS])[0]
    communes = vocab.COMMUNES[dep]
    # The préfecture (listed first) and big towns hold most organisations.
    weights = [1.0 / (i + 1) ** 0.6 for i in range(len(communes))]
    return dep, rng.choices(communes, weights=weights)[0]


def _ngo_name(rng: random.Random, town: str) -> str:
    kind = rng.random()
    if kind < 0.35:
        return f"{rng.choice(vocab.NGO_HEADS)} {rng.choice(vocab.NGO_TAILS)}"
    if kind < 0.55:
        country = rng.choices(vocab.COUNTRIES, weights=[c[2] for c in vocab.COUNTRIES])[0][1]
        return f"{town.split(' ')[0]}-{country} Solidarité"
    if kind < 0.72:
        return f"Les Amis de {rng.choice(vocab.PARTNER_TOWNS)}"
    if kind < 0.85:
        return f"Comité de jumelage {town.split(' ')[0]}-{rng.choice(vocab.PARTNER_TOWNS)}"
    return f"Association {rng.choice(vocab.NGO_HEADS)} {rng.choice(vocab.NGO_TAILS)} {town.split(' ')[0]}"


def _describe(rng: random.Random, org_type: str, town: str) -> tuple[str, str, str]:
    """(name, legal category, NAF code) for a new organisation of `org_type`."""
    if org_type == "ong":
        return _ngo_name(rng, town), "9220", rng.choices(("94.99Z", "88.99B"), (8, 2))[0]
    if org_type == "etablissement_scolaire":
        kind = rng.choice(vocab.SCHOOL_KINDS)
        naf = "85.32Z" if kind in ("Lycée professionnel", "Lycée agricole") else "85.31Z"
        return f"{kind} {rng.choice(vocab.SCHOOL_PATRONS)}", "7331", naf
    if org_type == "commerce_equitable":
        roll = rng.random()
        base = f"{rng.choice(vocab.FAIR_TRADE_NAMES)} {town.split(' ')[0]}"
        if roll < 0.6:
            return base, "9220", "47.19B"
        if roll < 0.85:
            return base, "5710", "47.29Z"
        return base, "5458", "46.37Z"
    if org_type == "cooperative":
        region_word = rng.choice(("Équitable", "Paysanne", "des Alpes", "du Forez", "Rhône-Alpes"))
        name = f"{rng.choice(vocab.COOP_NAMES)} {rng.choice(vocab.NGO_HEADS)} {region_word}"
        return name, rng.choice(("5458", "5460", "5710")), rng.choice(("46.37Z", "10.83Z", "70.22Z"))
    if org_type == "entreprise":
        legal = rng.choices(("5499", "5710", "1000"), (5, 4, 1))[0]
        if legal == "1000":  # an entrepreneur individuel: named after the person
            name = f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)} Conseil"
        else:
            name = f"{rng.choice(vocab.NGO_HEADS)} {rng.choice(vocab.COMPANY_WORDS)}"
        return name, legal, rng.choice(("70.22Z", "71.12B", "62.01Z", "56.10A"))
    if org_type == "fondation":
        return (
            f"{rng.choice(vocab.FOUNDATION_WORDS)} {rng.choice(vocab.SCHOOL_PATRONS)}",
            "9300",
            rng.choice(("94.99Z", "88.99B")),
        )
    kind = rng.choice(vocab.OTHER_NAMES)
    if kind == "Université":
        return f"Université {town.split(' ')[0]}", "7383", "85.42Z"
    if kind == "Centre hospitalier":
        kind = "Maison des solidarités"
    naf = {"Club de football": "93.12Z", "Université populaire": "85.52Z"}.get(kind, "88.99B")
    return f"{kind} {town.split(' ')[0]}", "9220", naf


_FIRST_DIGITS = {
    "ong": ("3", "4", "5", "7", "8"), "commerce_equitable": ("4", "5", "8"),
    "cooperative": ("4", "5", "8"), "entreprise": ("3", "4", "5", "8", "9"),
    "fondation": ("7", "8"), "autre": ("1", "3", "4", "7"),
    "etablissement_scolaire": ("19",), "collectivite": ("21",),
}


def build_organisations(seed: int, replica: int, used_sirens: set[str]) -> list[Org]:
    rng = random.Random(f"{seed}:organisations:{replica}")
    orgs: list[Org] = []

    def add(org_type: str, name: str, legal: str, naf: str, dep: str, commune: tuple[str, str, str]) -> Org:
        first = _FIRST_DIGITS[org_type]
        if legal == "7220":
            first = ("22",)
        elif legal in ("7344", "7348", "7229"):
            first = ("24", "20")
        elif legal == "7383":
            first = ("19",)
        siret = new_siret(rng, rng.choice(first), used_sirens)
        org = Org(siret, name, legal, naf, commune[0], commune[1], commune[2], dep, org_type)
        orgs.append(org)
        return org

    # Collectivités: towns (Lyon's arrondissements are not separate authorities), départements, groupings.
    for dep, communes in vocab.COMMUNES.items():
        for commune in communes:
            if not commune[0].startswith("6938"):
                add("collectivite", _ville_de(commune[2]), "7210", "84.11Z", dep, commune)
        seat = ("69383", "69003", "Lyon 3e Arrondissement") if dep == "69" else communes[0]
        add("collectivite", DEPARTEMENT_NAMES[dep], "7220", "84.11Z", dep, seat)
    for name, legal, seat_code in INTERCOMMUNALITES:
        dep, commune = _COMMUNE_BY_CODE[seat_code]
        add("collectivite", name, legal, "84.11Z", dep, commune)

    seen_names: set[str] = {o.name for o in orgs}
    for org_type, count in TYPE_COUNTS:
        for _ in range(count):
            dep, commune = _pick_commune(rng)
            for _attempt in range(20):  # prefer unique names; homonyms exist but are rare
                name, legal, naf = _describe(rng, org_type, commune[2])
                if name not in seen_names:
                    break
            seen_names.add(name)
            org = add(org_type, name, legal, naf, dep, commune)
            if legal == "9220":
                org.rna = rna_number(rng, dep)

    for org in orgs:
        org.weight = min(rng.paretovariate(1.5), 8.0)  # capped: no single grantee dominates
        # Some organisations appear over the period; the large, active ones were always there.
        young = org.weight < 4 and rng.random() < 0.15
        org.created = rng.randint(2016, 2024) if young else 2015
    return orgs


def active_ngos(orgs: list[Org]) -> list[Org]:
    """The associations that apply for grants: the first ACTIVE_NGO_COUNT NGOs."""
    return [o for o in orgs if o.org_type == "ong"][:ACTIVE_NGO_COUNT]


def _growth(year: int) -> float:
    """Jobs relative to 2025: about +3% a year, with a small 2020 dip."""
    g = 0.74 + 0.26 * (year - 2015) / 10
    return g * (0.97 if year == 2020 else 1.0)


def jobs_rows(seed: int, replica: int, orgs: list[Org]) -> list[tuple[str, int, int, float, int]]:
    """(siret, year, headcount, fte, volunteers) rows; 2025 headcount totals HEADCOUNT_2025."""
    rng = random.Random(f"{seed}:jobs:{replica}")
    # The largest employers are the grantees that receive most (highest weight).
    big = sorted(active_ngos(orgs), key=lambda o: -o.weight)[: len(BIG_EMPLOYERS)]
    small_ngos = [o for o in orgs if o.org_type == "ong" and o not in big and rng.random() < 0.33]
    others = [
        o for o in orgs
        if o.org_type in ("fondation", "cooperative", "entreprise")
        or (o.org_type == "commerce_equitable" and o.legal_category != "9220")
        or (o.org_type == "collectivite" and o.legal_category != "7210" and rng.random() < 0.8)
        or (o.org_type == "collectivite" and rng.random() < 0.15)
    ]
    headcount: dict[str, int] = {o.siret: h for o, h in zip(big, BIG_EMPLOYERS)}
    employers = small_ngos + others
    remaining = HEADCOUNT_2025 - sum(BIG_EMPLOYERS) - len(employers)  # everyone has at least 1
    weights = [rng.paretovariate(1.6) for _ in employers]
    shares = [remaining * w / sum(weights) for w in weights]
    floors = [int(s) for s in shares]
    # Largest remainder: hand out the last units so the total is exact.
    order = sorted(range(len(employers)), key=lambda i: (floors[i] - shares[i], i))
    for i in order[: remaining - sum(floors)]:
        floors[i] += 1
    for org, extra in zip(employers, floors):
        headcount[org.siret] = 1 + extra

    rows: list[tuple[str, int, int, float, int]] = []
    for org in orgs:
        hc_2025 = headcount.get(org.siret, 0)
        if hc_2025 == 0 and org.org_type != "ong":
            continue
        volunteers_base = rng.paretovariate(1.2) * (6 if org.org_type == "ong" else 2)
        part_time = rng.uniform(0.72, 0.95)
        for year in vocab.YEARS:
            if year < org.created:
                continue
            if year == 2025:
                hc = hc_2025
            else:
                hc = max(0, round(hc_2025 * _growth(year) * rng.uniform(0.88, 1.12)))
            fte = round(hc * part_time, 1)
            volunteers = min(400, int(volunteers_base * rng.uniform(0.8, 1.2)))
            rows.append((org.siret, year, hc, fte, volunteers))
    return rows
