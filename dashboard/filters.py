"""URL filters: the query string parsed against allowlists, and written back.

Every view is a permalink: `?years=2019-2024&programme=...&country=MLI&sector=122&lang=en`.
`euros=constant` shows every amount in euros of the latest year with an INSEE consumer price
index (docs/money-rules.md, "Constant euros"); current euros are the default and leave it out.
A value not in its allowlist (taken from the snapshot) is dropped, never passed on,
so a hand-edited or hostile URL shows the unfiltered view instead of an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

from dashboard.i18n import lang_of

PARAMS = ("years", "programme", "country", "sector", "departement", "euros", "lang")
# the older word for one year (overview links, embeds on partners' sites): read as `years`, never written
YEAR_ALIAS = "year"
# the one word of the URL for the money basis, on pages and embeds alike; current euros by default
CONSTANT_EUROS = "constant"
_YEARS = re.compile(r"^(\d{4})(?:-(\d{4}))?$")


@dataclass(frozen=True)
class Allowed:
    years: tuple[int, ...] = ()
    programmes: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()  # ISO-3 countries and IATI region codes
    sectors: frozenset[str] = frozenset()  # DAC 3-digit categories and 5-digit sectors
    departements: frozenset[str] = frozenset()
    # the latest year with a consumer price index (the constant euros' base), None when the
    # snapshot has none: `euros=constant` is then dropped like any value the data cannot honour
    price_base: int | None = None
    # what the public embeds check besides (dashboard/embed/params.py): the years of each mart
    # a chart may show one year of (`(table, years)` pairs), and the KPI indicators
    years_by_table: tuple[tuple[str, tuple[int, ...]], ...] = ()
    indicators: tuple[str, ...] = ()

    def years_of(self, table: str | None) -> tuple[int, ...]:
        return dict(self.years_by_table).get(table, ())


@dataclass(frozen=True)
class Filters:
    year_from: int | None = None
    year_to: int | None = None
    programme: str | None = None
    country: str | None = None
    sector: str | None = None
    departement: str | None = None
    lang: str = "fr"
    euros: str = "current"  # or CONSTANT_EUROS: a display basis, not a filter (is_empty ignores it)

    @property
    def constant_euros(self) -> bool:
        return self.euros == CONSTANT_EUROS

    @property
    def is_empty(self) -> bool:
        return not any((self.year_from, self.programme, self.country, self.sector, self.departement))

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)


def parse(query: dict[str, str | list[str] | None], allowed: Allowed) -> Filters:
    """Filters from a page's keyword arguments (Dash passes the query string as **kwargs)."""
    q = {k: (v[0] if isinstance(v, list) else v) for k, v in query.items() if k in PARAMS + (YEAR_ALIAS,) and v}
    if "years" not in q and YEAR_ALIAS in q:  # `?year=2024` (older overview and embed links) reads as `years`
        q["years"] = q[YEAR_ALIAS]
    year_from = year_to = None
    match = _YEARS.match(q.get("years") or "")
    if match and allowed.years:
        lo = int(match.group(1))
        hi = int(match.group(2) or lo)
        lo, hi = min(lo, hi), max(lo, hi)
        # clamp to the snapshot's years; a range wholly outside them is dropped
        lo, hi = max(lo, allowed.years[0]), min(hi, allowed.years[-1])
        if lo <= hi:
            year_from, year_to = lo, hi
    return Filters(
        year_from=year_from,
        year_to=year_to,
        programme=q.get("programme") if q.get("programme") in allowed.programmes else None,
        country=q.get("country") if q.get("country") in allowed.countries else None,
        sector=q.get("sector") if q.get("sector") in allowed.sectors else None,
        departement=q.get("departement") if q.get("departement") in allowed.departements else None,
        lang=lang_of(q.get("lang")),
        euros=CONSTANT_EUROS if q.get("euros") == CONSTANT_EUROS and allowed.price_base else "current",
    )


def parse_search(search: str | None, allowed: Allowed) -> Filters:
    return parse({k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}, allowed)


def to_params(filters: Filters) -> dict[str, str]:
    params: dict[str, str] = {}
    if filters.year_from is not None:
        params["years"] = (str(filters.year_from) if filters.year_from == filters.year_to
                           else f"{filters.year_from}-{filters.year_to}")
    for name in ("programme", "country", "sector", "departement"):
        value = getattr(filters, name)
        if value:
            params[name] = value
    if filters.constant_euros:
        params["euros"] = CONSTANT_EUROS
    if filters.lang != "fr":
        params["lang"] = filters.lang
    return params


def to_query(filters: Filters) -> str:
    """'?years=2024&country=MLI' (or '' when nothing is set): French is the default language."""
    params = to_params(filters)
    return "?" + urlencode(params) if params else ""


# A page's display options (not filters): a click keeps them; each page validates its own.
# `share_order`: the world page's share table's orders (their columns: dashboard/others_blocks.ORDERS)
VIEW_OPTIONS = {"measure": ("committed_eur", "disbursed_eur"), "per": ("capita",),
                "share_order": ("share", "region", "registry", "name")}


def merge(search: str | None, assignment: str, allowed: Allowed) -> str:
    """The query string after a click: `assignment` is a figure's customdata, e.g. 'country=MLI'.

    Filters are re-validated; the page's display options (`measure`, `per`) are kept when valid."""
    current = parse_search(search, allowed)
    name, _, value = assignment.partition("=")
    if name in ("programme", "country", "sector", "departement") and value:
        current = parse({**to_params(current), name: value}, allowed)
    raw = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}
    views = {k: raw[k] for k, ok in VIEW_OPTIONS.items() if raw.get(k) in ok}
    params = {**to_params(current), **views}
    return "?" + urlencode(params) if params else ""
