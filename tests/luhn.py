"""The tests' own Luhn arithmetic (SIRET/SIREN keys), written from the INSEE rule and not from
the code under test: one home for every test that needs a valid or a broken identifier."""

from __future__ import annotations


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def with_key(prefix: str) -> str:
    """`prefix` + the one digit that makes its Luhn key hold."""
    return next(prefix + str(d) for d in range(10) if luhn_ok(prefix + str(d)))


def wrong_key(prefix: str) -> str:
    """`prefix` + a last digit that breaks the key (a typo)."""
    good = with_key(prefix)
    return good[:-1] + str((int(good[-1]) + 1) % 10)
