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


# --- SIREN and RNA: the other identifiers real files put in `idBeneficiaire` ----------------

SIREN_FROM_SIRET = "siren_from_invalid_siret"
# RNA: W, the département (2 characters: digits, 2A/2B, 9A..) then 7 digits (W751234567, W2A1000456)
_RNA = re.compile(r"^W[0-9][0-9A-Z][0-9]{7}$")


def is_valid_siren(value: str | None) -> bool:
    """9 digits whose Luhn key holds (python-stdnum's `fr.siren`)."""
    from stdnum.fr import siren

    return value is not None and len(value) == 9 and value.isascii() and value.isdigit() and siren.is_valid(value)


def clean_rna(raw: str | None) -> str | None:
    """The RNA number (W + 9), upper-cased, spaces removed; None when it is not one."""
    if raw is None:
        return None
    text = _NOISE.sub("", raw).upper()
    return text if _RNA.match(text) else None


def read_identifier(raw: str | None) -> tuple[str | None, str | None, str | None, list[str]]:
    """An organisation identifier as published -> (SIRET, SIREN, RNA, flags).

    - a valid SIRET gives its SIRET and its SIREN (the first 9 digits);
    - a 9-digit SIREN with a valid key gives the SIREN only (flag `siren_only`);
    - an RNA number (W + 9) gives the RNA (flag `rna_in_id`);
    - a 14-digit SIRET whose key fails but whose first 9 digits are a valid SIREN keeps the
      SIREN (flag `siren_from_invalid_siret`): exports truncate establishment numbers
      (Poitiers 2017 ends 501 of 562 SIRETs in 00000) but the organisation is known;
    - anything else gives nothing, with the failure code of `clean_siret` last in flags.
    """
    if raw is None or not raw.strip():
        return None, None, None, []
    rna = clean_rna(raw)
    if rna is not None:
        return None, None, rna, ["rna_in_id"]
    siret, flags = clean_siret(raw)
    if siret is not None:
        return siret, siret[:9], None, flags
    digits = _NOISE.sub("", _FLOAT_TAIL.sub("", raw.strip().strip("\"'` ")))
    if len(digits) == 8 and digits.isdigit() and is_valid_siren("0" + digits):
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    if len(digits) == 9 and is_valid_siren(digits):
        return None, digits, None, [*(f for f in flags if f == SIRET_CLEANED), "siren_only"]
    if len(digits) == 14 and digits.isdigit() and is_valid_siren(digits[:9]):
        return None, digits[:9], None, [*flags, SIREN_FROM_SIRET]
    return None, None, None, flags
