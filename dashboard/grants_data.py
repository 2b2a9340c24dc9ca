"""The public grants (`grants_public`) and their payments: the grants page, its grid, the
project pages and a place's grants. Natural persons are anonymised in the mart already.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl

from dashboard.constant_euros import money_source
from dashboard.names import readable_names
from dashboard.selection import name_column
from dashboard.snapshot import query

# the organisation types whose grants name no one (the mart already replaced the name)
NATURAL_PERSON_TYPE = "personne_physique"


def _grants_where(filters) -> tuple[list[str], dict]:
    clauses, params = ["true"], {}
    if filters.year_from is not None:
        clauses.append("g.year between $year_from and $year_to")
        params.update(year_from=filters.year_from, year_to=filters.year_to)
    if filters.programme:
        clauses.append("g.programme = $programme")
        params["programme"] = filters.programme
    if filters.country:
        clauses.append("g.main_location_code = $country")
        params["country"] = filters.country
    if filters.sector:
        # a grant has one category (its activity's largest): a 5-digit sector filters on its category
        clauses.append("g.main_category_code = $category")
        params["category"] = filters.sector[:3]
    return clauses, params


_GRANT_COLUMNS = ("g.year, g.date_convention, g.reference_decision, g.programme, g.beneficiary_name, "
                  "g.beneficiary_type, g.purpose, g.main_location_code, g.main_category_code, g.amount_eur, g.paid_eur")


def grants(filters, path: Path | None = None) -> pl.DataFrame:
    """Public grants (natural persons already anonymised in the mart); the sector filter applies to
    each grant's main DAC category."""
    clauses, params = _grants_where(filters)
    return query(
        f"select {_GRANT_COLUMNS} "
        f"from {money_source('grants_public', filters)} as g where {' and '.join(clauses)} order by g.date_convention desc, g.reference_decision",
        params, path=path,
    )


def grants_by_category(filters, lang: str, path: Path | None = None) -> pl.DataFrame:
    """Grants counted and summed by their main DAC category (the sectors page's drill-down)."""
    clauses, params = _grants_where(filters)
    name = name_column(lang)
    return readable_names(query(
        f"select g.main_category_code as category_code, coalesce(k.{name}, g.main_category_code) as category_name, "
        f"count(*) as grants, sum(g.amount_eur) as amount_eur "
        f"from {money_source('grants_public', filters)} as g left join dac_categories as k on k.code3 = g.main_category_code "
        f"where {' and '.join(clauses)} group by all order by amount_eur desc, category_code",
        params, path=path,
    ), lang)


# The grants table pages through the snapshot (ag-grid's infinite row model): the grid's
# sort and filter models arrive from the browser, so every column and operator is looked up
# in these allowlists and only values are bound; nothing from the request becomes SQL text.
GRANT_SORTABLE = {"year": "g.year", "date_convention": "g.date_convention",
                  "reference_decision": "g.reference_decision", "programme": "g.programme",
                  "beneficiary_name": "g.beneficiary_name", "beneficiary_type": "g.beneficiary_type",
                  "purpose": "g.purpose", "main_location_code": "g.main_location_code",
                  "main_category_code": "g.main_category_code", "amount_eur": "g.amount_eur",
                  "paid_eur": "g.paid_eur"}
# The grid shows a grant's country (or IATI region) and DAC category by name, in the page's
# language, and sorts and filters on that name (null where not known: 'blank' finds them);
# lower() so capitals in the OECD's list sort with the rest.
_PLACE_NAME = ("coalesce((select c.name_{l} from countries as c where c.alpha3 = g.main_location_code), "
               "(select r.name_{l} from iati_regions as r where r.code = g.main_location_code))")
_CATEGORY_NAME = "(select k.name_{l} from dac_categories as k where k.code3 = g.main_category_code)"
GRANT_NAMES = {f"{kind}_{lang}": expr.format(l=lang) for lang in ("fr", "en")
               for kind, expr in (("location", _PLACE_NAME), ("category", _CATEGORY_NAME))}
GRANT_SORTABLE.update({field: f"lower({expr})" for field, expr in GRANT_NAMES.items()})
GRANT_TEXT_FILTERS = ("reference_decision", "programme", "beneficiary_name", "purpose", "main_location_code",
                      "main_category_code", *GRANT_NAMES)
GRANT_NUMBER_FILTERS = ("amount_eur",)
GRANT_TEXT_OPS = {  # {c} a column expression, {v} the bound value; case-insensitive like the grid's own
    "contains": "contains(lower(coalesce({c}, '')), lower({v}))",
    "notContains": "not contains(lower(coalesce({c}, '')), lower({v}))",
    "equals": "lower({c}) = lower({v})",
    "notEqual": "lower(coalesce({c}, '')) <> lower({v})",
    "startsWith": "starts_with(lower({c}), lower({v}))",
    "endsWith": "ends_with(lower({c}), lower({v}))",
}
GRANT_NUMBER_OPS = {"equals": "{c} = {v}", "notEqual": "{c} <> {v}", "greaterThan": "{c} > {v}",
               "greaterThanOrEqual": "{c} >= {v}", "lessThan": "{c} < {v}", "lessThanOrEqual": "{c} <= {v}",
               "inRange": "{c} between {v} and {w}"}

# (field, operator, value, value_to) -- validated by the caller, re-checked here
GridCondition = tuple[str, str, object, object]


def _grid_where(conditions: tuple[tuple[str, tuple[GridCondition, ...]], ...], params: dict) -> list[str]:
    """SQL for the grid's column filters: one group per column ("and"/"or" of its conditions),
    groups joined with "and"; an unknown column or operator raises (callers validate first)."""
    clauses = []
    for join, group in conditions:
        parts = []
        for field, op, value, value_to in group:
            column = GRANT_SORTABLE[field]
            if op == "blank":
                parts.append(f"({column} is null)")
                continue
            if op == "notBlank":
                parts.append(f"({column} is not null)")
                continue
            ops = GRANT_TEXT_OPS if field in GRANT_TEXT_FILTERS else GRANT_NUMBER_OPS
            name = f"f{len(params)}"
            params[name] = value
            to_name = f"f{len(params)}"
            if op == "inRange":
                params[to_name] = value_to
            parts.append("(" + ops[op].format(c=column, v=f"${name}", w=f"${to_name}") + ")")
        clauses.append("(" + f" {'or' if join == 'or' else 'and'} ".join(parts) + ")")
    return clauses


def grants_summary(filters, conditions: tuple = (), path: Path | None = None) -> tuple[int, Decimal]:
    """How many grants match the page's filters and the grid's, and their total (exact DECIMAL)."""
    clauses, params = _grants_where(filters)
    clauses += _grid_where(conditions, params)
    frame = query(f"select count(*) as n, coalesce(sum(g.amount_eur), 0) as total from {money_source('grants_public', filters)} as g "
                  f"where {' and '.join(clauses)}", params, path=path)
    return int(frame["n"][0]), frame["total"][0]


def grant_counts(filters, path: Path | None = None) -> dict:
    """The selection's grants (programme pages, issue 16): how many, how many organisations
    (distinct SIRET: natural persons have none, and are never named) and how many grants went
    to natural persons."""
    clauses, params = _grants_where(filters)
    params["person"] = NATURAL_PERSON_TYPE
    frame = query(f"select count(*) as grants, count(distinct g.beneficiary_siret) as organisations, "
                  f"count(*) filter (where g.beneficiary_type = $person) as person_grants "
                  f"from grants_public as g where {' and '.join(clauses)}", params, path=path)
    return {k: int(v) for k, v in frame.row(0, named=True).items()}


def grants_rows(filters, sort: tuple[tuple[str, str], ...], conditions: tuple, offset: int, limit: int,
                path: Path | None = None) -> pl.DataFrame:
    """One block of grants, sorted by the grid's sort model then a stable order (grant_key last)."""
    clauses, params = _grants_where(filters)
    clauses += _grid_where(conditions, params)
    order = [f"{GRANT_SORTABLE[field]} {'desc' if direction == 'desc' else 'asc'} nulls last"
             for field, direction in sort]
    order += ["g.date_convention desc nulls last", "g.reference_decision", "g.grant_key"]
    params.update(limit=int(limit), offset=int(offset))
    names = ", ".join(f"{expr} as {field}" for field, expr in GRANT_NAMES.items())
    return query(
        # grant_key: each row's project page (issue 16), the grid's row id
        f"select {_GRANT_COLUMNS}, g.grant_key, {names} from {money_source('grants_public', filters)} as g "
        f"where {' and '.join(clauses)} order by {', '.join(order)} limit $limit offset $offset",
        params, path=path,
    )


def place_organisations(filters, path: Path | None = None) -> pl.DataFrame:
    """The region's organisations funded in the selection's place (grants counted whole under
    their main country, as on the grants page): name, type, grants, amount. Natural persons
    are never listed (they are counted by `place_persons`)."""
    clauses, params = _grants_where(filters)
    params["person"] = NATURAL_PERSON_TYPE
    return query(
        f"select g.beneficiary_name, g.beneficiary_type, count(*) as grants, sum(g.amount_eur) as amount_eur "
        f"from {money_source('grants_public', filters)} as g where {' and '.join(clauses)} "
        f"and g.beneficiary_type is distinct from $person group by all "
        f"order by round(sum(g.amount_eur), 2) desc, g.beneficiary_name",
        params, path=path)


def place_persons(filters, path: Path | None = None) -> tuple[int, object]:
    """Grants to natural persons in the selection: how many and how much (never who)."""
    clauses, params = _grants_where(filters)
    params["person"] = NATURAL_PERSON_TYPE
    frame = query(f"select count(*) as n, coalesce(sum(g.amount_eur), 0) as total "
                  f"from {money_source('grants_public', filters)} as g where {' and '.join(clauses)} "
                  f"and g.beneficiary_type = $person", params, path=path)
    return int(frame["n"][0]), frame["total"][0]


def place_grants(filters, limit: int, path: Path | None = None) -> pl.DataFrame:
    """The selection's largest grants with their key (each one's project page)."""
    clauses, params = _grants_where(filters)
    params["limit"] = int(limit)
    return query(
        f"select g.grant_key, g.year, g.reference_decision, g.programme, g.beneficiary_name, g.beneficiary_type, "
        f"g.amount_eur from {money_source('grants_public', filters)} as g where {' and '.join(clauses)} "
        f"order by g.amount_eur desc, g.grant_key limit $limit",
        params, path=path)


def grant(key: str, filters=None, path: Path | None = None) -> dict | None:
    """One public grant by its key (`grants_public.grant_key`, '<source file>:<line>'), with its
    place's and category's names in both languages; None when the snapshot has no such grant."""
    names = ", ".join(f"{expr} as {field}" for field, expr in GRANT_NAMES.items())
    frame = query(f"select g.*, {names} from {money_source('grants_public', filters)} as g "
                  f"where g.grant_key = $key", {"key": key}, path=path)
    return frame.row(0, named=True) if frame.height else None


def grant_keys(path: Path | None = None) -> frozenset[str]:
    """Every grant with a project page."""
    return frozenset(query("select grant_key from grants_public", path=path)["grant_key"].to_list())

def grant_payments(key: str, filters=None, path: Path | None = None) -> pl.DataFrame:
    """A grant's payments on the region's records (marts.grant_payments), oldest first."""
    return query(f"select payment_date, year, amount_eur, match_rule from {money_source('grant_payments', filters)} "
                 f"where grant_key = $key order by payment_date", {"key": key}, path=path)


def payment_delays(programme: str, path: Path | None = None) -> pl.DataFrame:
    """A programme's days from decision to first payment, per grant year (marts.payment_delays)."""
    return query("select year, grants_paid, min_days, median_days, max_days from payment_delays "
                 "where programme = $programme order by year desc", {"programme": programme}, path=path)
