"""The hostile-input corpus's case record and register (tests/hostile/corpus.py assembles the corpus):
`Case` says what the reader must do with one generated file, `case()` adds one to `CASES`; and the
identifiers every source's files carry (SIRETs with a valid or a wrong Luhn key) and the names of
their organisations, and the delimited-text writer the CSV sources share.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


# ---------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------

def _luhn_sum(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total


def siret(n: int) -> str:
    """A valid SIRET (Luhn key), distinct for each n."""
    body = f"{780000000 + n:09d}{(n % 900) + 10:04d}"
    for last in "0123456789":
        if _luhn_sum(body + last) % 10 == 0:
            return body + last
    raise AssertionError("unreachable")


def bad_siret(n: int) -> str:
    """14 digits whose Luhn key is wrong."""
    good = siret(n)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


ATTRIBUANT = siret(999)

# ---------------------------------------------------------------------------
# Case
# ---------------------------------------------------------------------------

MAIN_TABLE = {"grants": "grants", "iati": "activities", "organisations": "organisations",
              "jobs": "jobs", "events": "events"}


@dataclass(frozen=True)
class Case:
    id: str
    source: str  # grants | iati | organisations | jobs | events
    filename: str
    build: Callable[[], bytes]
    refused: bool = False
    where: str | None = None  # with refused: where the message must point
    read: int | None = None  # rows read (None: not asserted, e.g. refused)
    accepted: int | None = None
    errors: dict[str, str] = field(default_factory=dict)  # source_row -> field (row rejected)
    warnings: dict[str, str] = field(default_factory=dict)  # source_row -> field (row kept)
    # column -> values that must be in the main table (decoded text read right)
    values: dict[str, list[object]] = field(default_factory=dict)
    # substrings that must never appear in anything the reader returns (XXE)
    never: tuple[str, ...] = ()


CASES: list[Case] = []


def case(**kwargs) -> None:
    CASES.append(Case(**kwargs))


NAMES = ["Électriciens sans frontières", "Comité de jumelage Pélussin–Koudougou", "Ville d'Aubière",
         "Association Kassoumaï", "Œuvre solidaire du Forez", "Café solidaire Givors"]


def delimited(rows: list[list[str]], sep: str = ";", encoding: str = "utf-8", eol: str = "\n",
              quote_all: bool = False) -> bytes:
    def cell(v: str) -> str:
        if quote_all or any(ch in v for ch in (sep, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v

    return "".join(sep.join(cell(v) for v in row) + eol for row in rows).encode(encoding)


def iati(*activities: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\n', encoding: str = "utf-8") -> bytes:
    return (prolog + '<iati-activities version="2.03">\n' + "".join(activities) + "</iati-activities>\n").encode(encoding)
