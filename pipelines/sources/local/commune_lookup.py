"""Resolve free-text event locations ("Salle des fêtes, 69001 Lyon") to INSEE commune codes.

A postcode is not a commune: one postcode covers several communes and a large commune
has several postcodes. So a 5-digit postcode found in the text only narrows the
candidates, and the commune name must also appear in the text (accent and case
insensitive). Failing that, a commune name found alone resolves only if no other
commune bears it (there are dozens of "Saint-Denis"). Last resort, a postcode
shared by no other commune resolves on its own, which the caller flags.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import polars as pl

_POSTCODE = re.compile(r"(?<!\d)\d{5}(?!\d)")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# Abbreviations as written in addresses; the official names spell them out.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
# Too short to trust when found alone in free text ("Y", "Eu" are communes; "y" is a word).
_MIN_NAME_ONLY_CHARS = 3


def fold(text: str | None) -> str:
    """Lower case, accents and punctuation removed, spaces collapsed: 'Saint-Étienne' -> 'saint etienne'."""
    if not text:
        return ""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    tokens = _NON_ALNUM.sub(" ", ascii_text).split()
    return " ".join(_ABBREVIATIONS.get(t, t) for t in tokens)


@dataclass
class CommuneIndex:
    by_postcode: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # postcode -> [(code, folded name)]
    by_name: dict[str, set[str]] = field(default_factory=dict)  # folded name -> codes
    codes: set[str] = field(default_factory=set)
    max_tokens: int = 1


def build_commune_index(communes: pl.DataFrame) -> CommuneIndex:
    """Index a frame with columns `commune_code, name, postcode` (one row per commune
    and postcode; postcodes repeat across communes, communes across postcodes)."""
    missing = {"commune_code", "name", "postcode"} - set(communes.columns)
    if missing:
        raise ValueError(f"communes frame lacks columns: {', '.join(sorted(missing))}")
    by_postcode: dict[str, list[tuple[str, str]]] = defaultdict(list)
    by_name: dict[str, set[str]] = defaultdict(set)
    codes: set[str] = set()
    max_tokens = 1
    for code, name, postcode in communes.select("commune_code", "name", "postcode").iter_rows():
        if code is None:
            continue
        code = str(code)
        folded = fold(name)
        codes.add(code)
        if folded:
            by_name[folded].add(code)
            max_tokens = max(max_tokens, len(folded.split()))
        if postcode is not None:
            entries = by_postcode[str(postcode).strip().zfill(5)]
            if (code, folded) not in entries:
                entries.append((code, folded))
    return CommuneIndex(dict(by_postcode), dict(by_name), codes, max_tokens)


def _contains(haystack: str, phrase: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {haystack} "


def _names_in(segment: str, index: CommuneIndex) -> set[str]:
    """Codes of the longest commune names found as whole words in `segment`."""
    tokens = segment.split()
    for n in range(min(index.max_tokens, len(tokens)), 0, -1):
        found: set[str] = set()
        for i in range(len(tokens) - n + 1):
            phrase = " ".join(tokens[i : i + n])
            if len(phrase) >= _MIN_NAME_ONLY_CHARS and phrase in index.by_name:
                found |= index.by_name[phrase]
        if found:
            return found
    return set()


def resolve_commune(text: str | None, index: CommuneIndex) -> tuple[str | None, str]:
    """(INSEE code or None, how): how is 'postcode_name', 'name', 'postcode_only',
    'ambiguous' (several communes fit) or 'unresolved' (none does)."""
    if not text:
        return None, "unresolved"
    segments = [fold(s) for s in text.split(",")]
    whole = " ".join(segments)
    postcodes = _POSTCODE.findall(text)
    ambiguous = False
    for postcode in postcodes:
        matches = [(code, name) for code, name in index.by_postcode.get(postcode, []) if _contains(whole, name)]
        if matches:
            # "Saint-Genis-Laval" also contains "Laval": the longest name wins.
            longest = max(len(name) for _, name in matches)
            best = {code for code, name in matches if len(name) == longest}
            if len(best) == 1:
                return best.pop(), "postcode_name"
            ambiguous = True
    # The commune usually closes an address, so the last segment speaks first.
    for segment in reversed(segments):
        found = _names_in(segment, index)
        if len(found) == 1:
            return found.pop(), "name"
        if found:
            ambiguous = True
            break
    for postcode in postcodes:
        codes = {code for code, _ in index.by_postcode.get(postcode, [])}
        if len(codes) == 1:
            return codes.pop(), "postcode_only"
    return None, "ambiguous" if ambiguous else "unresolved"
