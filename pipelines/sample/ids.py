"""Identifier helpers for the sample: Luhn check digits, SIRENs and SIRETs.

Validation lives in `pipelines.sources.siret` (another module); this file only
*completes* numbers, which validation code has no reason to do.
"""

from __future__ import annotations

import random


def luhn_complete(prefix: str) -> str:
    """Return `prefix` followed by the Luhn check digit that makes it valid.

    SIREN (9 digits) and SIRET (14 digits) end with such a digit; call it with
    8 digits for a SIREN or 13 digits for a SIRET. Doubling starts with the digit
    just left of the (future) check digit, as in the Luhn algorithm.
    """
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return prefix + str((10 - total % 10) % 10)


def new_siret(rng: random.Random, first_digits: str, used: set[str]) -> str:
    """A fresh Luhn-valid SIRET (Luhn-valid SIREN too) whose SIREN starts with `first_digits`.

    `used` holds SIRENs already handed out; drawing again on a clash keeps
    SIRETs unique even at large scales (the draw order is fixed, so this stays
    deterministic).
    """
    while True:
        body = first_digits + "".join(str(rng.randrange(10)) for _ in range(8 - len(first_digits)))
        siren = luhn_complete(body)
        if siren not in used:
            used.add(siren)
            break
    nic_head = f"{rng.choice((1, 1, 1, 1, 2, 2, 3, 4, 5, 12, 21, 27)):04d}"
    return luhn_complete(siren + nic_head)


def rna_number(rng: random.Random, departement: str) -> str:
    """An RNA association number: 'W' + 9 digits, the first ones naming the département."""
    return "W" + departement + "".join(str(rng.randrange(10)) for _ in range(9 - len(departement)))
