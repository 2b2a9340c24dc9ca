"""SIRET identifiers: clean what publishers really write, then check the key.

A SIRET is 14 digits (9-digit SIREN + 5-digit NIC) whose Luhn checksum is 0.
La Poste is the documented exception: its establishments share the SIREN
356000000 and their SIRETs are valid when the sum of the 14 digits is a
multiple of 5 (INSEE rule, also used by python-stdnum's `fr.siret`).

What real files do to SIRETs, and what `clean_siret` undoes (flag `siret_cleaned`):
- group separators: "380 475 558 00058", non-breaking spaces, dots or dashes;
- stray quotes kept from spreadsheets: "'38047555800058" or '"38047555800058"';
- a float artefact from a spreadsheet export: "21860194600000.0";
- a leading zero lost when a spreadsheet stored the SIRET as a number
  (13 digits left): accepted only if the zero-padded value passes the checksum.
"""

from __future__ import annotations

import re

SIRET_CLEANED = "siret_cleaned"
# Failure codes returned in the flags when no valid SIRET could be made.
NOT_14_DIGITS = "siret_not_14_digits"
BAD_CHECKSUM = "siret_bad_checksum"

LA_POSTE_SIREN = "356000000"

_FLOAT_TAIL = re.compile(r"\.0+$")
# Whitespace of every kind (incl. U+00A0, U+202F), quotes, and group separators.
_NOISE = re.compile(r"[\s\"'`´‘’“”.\-]+")


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:  # every second digit from the right is doubled
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def is_valid_siret(value: str | None) -> bool:
    """True for a 14-digit string with a valid key (Luhn, or La Poste's rule)."""
    if value is None or len(value) != 14 or not value.isascii() or not value.isdigit():
        return False
    if value.startswith(LA_POSTE_SIREN):
        # La Poste's NICs are numbered sequentially, so Luhn does not hold for them.
        return sum(int(c) for c in value) % 5 == 0
    return _luhn_ok(value)


def clean_siret(raw: str | None) -> tuple[str | None, list[str]]:
    """Return (valid 14-digit SIRET or None, flags).

    Empty input gives (None, []). When the value had to be cleaned, flags holds
    `siret_cleaned`; when no valid SIRET could be made, the value is None and
    flags ends with `siret_not_14_digits` or `siret_bad_checksum`.
    """
    if raw is None:
        return None, []
    text = raw.strip()
    if not text:
        return None, []
    flags: list[str] = []
    candidate = _NOISE.sub("", _FLOAT_TAIL.sub("", text.strip("\"'` ")))
    if candidate != text:
        flags.append(SIRET_CLEANED)
    if not (candidate.isascii() and candidate.isdigit()):
        return None, [*flags, NOT_14_DIGITS]
    if len(candidate) == 13 and is_valid_siret("0" + candidate):
        return "0" + candidate, [SIRET_CLEANED]
    if len(candidate) != 14:
        return None, [*flags, NOT_14_DIGITS]
    if not is_valid_siret(candidate):
        return None, [*flags, BAD_CHECKSUM]
    return candidate, flags
