"""Does a beneficiary's name read as a natural person's? Positive evidence only.

The law forbids naming natural persons who receive grants (CRPA L.312-1-2), and hiding an
organisation as a person is an error too: it makes the breakdown by beneficiary type false.
So a name is a person's only on positive evidence, never by default:

- a civility ("M.", "Mme", "Monsieur", "Madame", "M. et Mme"...) before the name, or a
  publisher's own marker ("personne physique", "particulier", "anonymisé");
- or 2 to 4 words, letters only, none of them an organisation word ("association",
  "commune", "SARL", "club"...) or a French article/preposition ("des", "pour", "et"), not
  opening with an organisation abbreviation (ASSO, CTRE, AFR...), and its first or last word
  a first name given at least 100 times in France since 1900 (INSEE's Fichier des prénoms,
  `first_names.csv.gz`, 12,377 names).

"BOVINS CROISSANCE 66", "GDS", "Ligue de l'enseignement", "Mairie de Paris" are not persons;
"DUPONT Jean", "Mme Fatou Diallo", "Jean-Pierre MARTIN" are. `tests/test_person_names.py`
measures both mistakes on labelled real names. The words live in `person_words.toml`.
"""

from __future__ import annotations

import csv
import gzip
import re
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path

WORDS_FILE = Path(__file__).with_name("person_words.toml")
FIRST_NAMES_FILE = Path(__file__).with_name("first_names.csv.gz")
_WORD = re.compile(r"[^\W\d_]+")  # letters only: "l'association" gives "l", "association"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=1)
def _words() -> dict[str, frozenset[str] | tuple[str, ...]]:
    data = tomllib.loads(WORDS_FILE.read_text(encoding="utf-8"))
    return {
        "civility": tuple(_fold(w) for w in data["civility"]),
        "person_markers": tuple(_fold(w) for w in data["person_markers"]),
        "organisation": frozenset(_fold(w) for w in data["organisation_words"]),
        "particles": frozenset(_fold(w) for w in data["particles"]),
        "starts": frozenset(_fold(w) for w in data["organisation_starts"]),
    }


@lru_cache(maxsize=1)
def _first_names() -> frozenset[str]:
    """First names given at least 100 times in France since 1900 (INSEE, folded to upper
    case without accents; built by scripts/build_first_names.py)."""
    with gzip.open(FIRST_NAMES_FILE, "rt", encoding="utf-8") as fh:
        return frozenset(row["first_name"] for row in csv.DictReader(fh))


def first_name_key(word: str) -> str:
    """How first names are keyed (here and in scripts/build_first_names.py): upper case,
    without accents — Kévin, KEVIN and Kevin alike, as files drop accents as often as not."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).upper()


def _is_first_name(word: str) -> bool:
    return first_name_key(word) in _first_names()


@lru_cache(maxsize=65536)
def reads_as_person(name: str | None) -> bool:
    """True when `name` carries positive evidence of a natural person (see module docstring)."""
    if not name or not name.strip():
        return False
    words = _words()
    folded = " ".join(_fold(name).replace(".", ". ").split())
    if any(marker in folded for marker in words["person_markers"]):
        return True
    letters = [_fold(w) for w in _WORD.findall(name)]
    # a civility then a short name: a person, whatever the surname means (Mme BUREAU, M. CONSEIL);
    # a long text after it ("Madame la Présidente de l'association ...") is read on as any name
    civility = next((c for c in words["civility"] if folded == c or folded.startswith(c + " ")), None)
    if civility is not None and 0 < len(letters) - len(_WORD.findall(civility)) <= 4:
        return True
    # organisation words as whole words: "l'association" is one, "SAINT-JULIEN" (a surname) is not
    whole = [_fold(w) for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", name)]
    if any(w in words["organisation"] for w in whole) or any(c.isdigit() for c in name):
        return False
    # words as written, a hyphenated or apostrophised name being one (Jean-Pierre, N'Diaye)
    if not 2 <= len(name.split()) <= 4 or any(w in words["particles"] for w in letters):
        return False
    if whole and whole[0] in words["starts"]:
        return False
    if re.search(r"[&@/+()]|\b[A-Z]\.[A-Z]\.|\w\.\w", name):  # "A.D.E.L.F.A", "MAIS.FAM.", "(LE)", "X & Y"
        return False
    # A person is written "Prénom NOM" or "NOM Prénom": the first name is the first or the
    # last word (Jean-Pierre counts through Jean; initials are no evidence). A first name in
    # the middle ("REGARD DE MONTECLAIR", "LE BOIS ENCHANTE") is not.
    words = name.split()
    return any(_is_first_name(part) for word in (words[0], words[-1])
               for part in re.split(r"[-'’]", word) if len(part) > 1)


# Articles and prepositions of French names of things ("ETOILE DE MER", "LE RELAIS"), not of persons
_ARTICLES = frozenset({"le", "la", "les", "l", "de", "du", "des", "d", "au", "aux", "et", "en", "sur", "sous", "pour"})


@lru_cache(maxsize=65536)
def reads_as_sole_trader(name: str | None) -> bool:
    """A name that reads as a person's even beside a SIRET/SIREN whose legal category is unknown.

    A sole trader (entrepreneur individuel) has a SIRET and is a natural person; most
    SIRET holders in grant files are organisations, so the evidence asked is stronger
    than `reads_as_person`: a civility, or a person-like name of 2 or 3 words with no
    article. Measured on real names in tests/test_person_names.py (both mistakes)."""
    if not reads_as_person(name):
        return False
    words = _fold(name).replace("'", " ").replace("’", " ").split()
    folded = " ".join(words)
    if any(folded.startswith(c + " ") for c in _words()["civility"]):
        return True
    return 2 <= len(words) <= 3 and not _ARTICLES.intersection(words)
