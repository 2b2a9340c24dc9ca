"""Both mistakes of the natural-person rule, measured on real names nobody here wrote.

- persons shown: real natural persons (the 4,038 département councillors of the Répertoire
  national des élus, `tests/data/real/names/`) whose name, written as grant files write
  beneficiaries ("Prénom NOM", "NOM Prénom", "M. NOM"), is not read as a person's — such a
  grant without an identifier would be published with its name;
- organisations hidden: real organisations (beneficiaries of two départements' grants to
  associations, `tests/data/real/scdl/`) read as persons — the breakdown by beneficiary
  type would be false.

The rates measured when the rule was written (docs/money-rules.md) are the ceilings below:
a change that makes either mistake more frequent fails here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pipelines.sources.person_names import reads_as_person
from pipelines.sources.siret import read_identifier

REAL = Path(__file__).resolve().parent / "data" / "real"
RNE = REAL / "names" / "RNE_conseillers-departementaux_2026-04-24.csv"
FIRST, LAST = "Prénom de l'élu", "Nom de l'élu"


def councillors() -> list[dict[str, str]]:
    with RNE.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def rate(names: list[str], wrong) -> float:
    return sum(1 for n in names if wrong(n)) / len(names)


@pytest.mark.parametrize("written", ["{first} {last}", "{last} {first}"])
def test_persons_shown_stay_rare(written):
    people = councillors()
    assert len(people) == 4038
    names = [written.format(first=p[FIRST], last=p[LAST]) for p in people]
    missed = rate(names, lambda n: not reads_as_person(n))
    assert missed <= 0.015, f"{missed:.2%} of real persons not read as persons"  # 1.26-1.31 % measured


def test_a_civility_is_always_a_person():
    names = [f"{civ} {p[LAST]}" for p in councillors() for civ in ("M.", "Mme")]
    assert rate(names, lambda n: not reads_as_person(n)) == 0


def _organisations(name: str, name_col: str, id_col: str | None) -> list[str]:
    with (REAL / "scdl" / name).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    # organisations by evidence: a grant file to associations (Maine-et-Loire), or a valid
    # SIRET/SIREN beside the name (Loire-Atlantique)
    keep = {r[name_col].strip() for r in rows
            if r[name_col].strip() and (id_col is None or any(read_identifier(r[id_col])[:2]))}
    return sorted(keep)


@pytest.mark.parametrize("name,name_col,id_col", [
    ("DEP_Maine-et-Loire_2004-2016_subventions_associations_mandate.csv", "Raison Sociale", None),
    ("DEP_Loire-Atlantique_2008-2018_subventions_associations.csv", "Nom du bénéficiaire",
     "Identification du bénéficiaire"),
])
def test_organisations_hidden_stay_rare(name, name_col, id_col):
    names = _organisations(name, name_col, id_col)
    assert len(names) > 1000
    hidden = rate(names, reads_as_person)
    assert hidden <= 0.025, f"{hidden:.2%} of real organisations read as persons"  # 1.56 %, 2.03 % measured


# ---- beside a SIRET/SIREN whose legal category is unknown (a sole trader?), stronger evidence

def test_sole_traders_are_read_on_stronger_evidence():
    """Persons shown: a councillor trading under their own name with a SIRET; the ceiling is
    what the stricter reading was measured at (3.29 %, 3.37 %), plus a margin."""
    from pipelines.sources.person_names import reads_as_sole_trader

    for written in ("{first} {last}", "{last} {first}"):
        names = [written.format(first=p[FIRST], last=p[LAST]) for p in councillors()]
        missed = rate(names, lambda n: not reads_as_sole_trader(n))
        assert missed <= 0.036, f"{written}: {missed:.2%} of real persons not read as sole traders"
    assert rate([f"M. {p[LAST]}" for p in councillors()], lambda n: not reads_as_sole_trader(n)) == 0


def test_organisations_with_a_siret_are_rarely_hidden_as_sole_traders():
    """Organisations hidden: Loire-Atlantique's beneficiaries with a valid SIRET/SIREN, which
    the pipeline now reads with the sole-trader rule when the legal category is unknown."""
    from pipelines.sources.person_names import reads_as_sole_trader

    names = _organisations("DEP_Loire-Atlantique_2008-2018_subventions_associations.csv", "Nom du bénéficiaire",
                           "Identification du bénéficiaire")
    hidden = rate(names, reads_as_sole_trader)
    assert hidden <= 0.012, f"{hidden:.2%} of real organisations with a SIRET read as sole traders"  # 1.06 %
    assert hidden < rate(names, reads_as_person)  # stronger evidence than without an identifier
