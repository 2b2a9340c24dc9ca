"""The grants table's rows, served a block at a time (ag-grid's infinite row model).

The browser asks for rows `startRow`..`endRow` with its sort and filter models; the
callback turns them into validated tuples (columns and operators from the allowlists in
`dashboard.grants_data`, values bound as parameters), queries only that block from
`grants_public`, and formats it (Babel dates and euros) once per snapshot and request:
the formatted block is cached, keyed by the snapshot stamp.

The grid's id carries the page's URL filters (`{"type": "grants-grid", "query": "?years=..."}`):
a new filter is a new grid, which asks for its rows afresh, and the callback reads the
filters from the id it was called for (parsed against the snapshot's allowlists again).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import dash
from babel.numbers import get_decimal_symbol, get_group_symbol
from dash import MATCH, Input, Output

from dashboard import data, grants_data, snapshot
from dashboard.filters import Filters, parse_search, to_query
from dashboard.i18n import LOCALES, day, euros, lang_of, sentence_case, t
from dashboard.names import beneficiary_label

BLOCK = 100  # rows per request (4 pages of 25)

# Keyboard: ag-grid's Tab moves from cell to cell (and from header to header), so a reader
# tabbing through the page had to cross every visible cell. With these callbacks returning
# false, ag-grid leaves Tab to the browser: the grid is one tab stop (its focused cell or
# header), the arrow keys move inside it, and Tab goes on to the pager and the page.
KEYBOARD_OPTIONS = {"tabToNextCell": {"function": "false"}, "tabToNextHeader": {"function": "false"}}
MAX_BLOCK = 500  # a request for more rows than this gets this many
_MAX_CONDITIONS = 4


# The words ag-grid draws itself (pager, filter menus, overlays), by their localeText keys in
# the AG Grid bundled with dash-ag-grid 35 (read in its dash_ag_grid.min.js): each is the
# catalog's `grid.<key>`, French on a French page ("Taille de la page", "1 à 25 sur 5 840").
LOCALE_KEYS = (
    "page", "to", "of", "more", "pageLastRowUnknown", "pageSizeSelectorLabel", "ariaPageSizeSelectorLabel",
    "firstPage", "previousPage", "nextPage", "lastPage", "loadingOoo", "loadingError", "noRowsToShow",
    "filterOoo", "applyFilter", "clearFilter", "resetFilter", "cancelFilter", "andCondition", "orCondition",
    "contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", "blank", "notBlank",
    "lessThan", "greaterThan", "lessThanOrEqual", "greaterThanOrEqual", "inRange", "inRangeStart",
    "inRangeEnd", "textFilter", "numberFilter", "empty",
)


def locale_text(lang: str) -> dict[str, str]:
    """ag-grid's localeText for the page's language: its words from the catalogs, and the
    number separators (the pager's counts) from Babel's CLDR data, as `i18n.number` writes them."""
    locale = LOCALES[lang_of(lang)]
    words = {key: t(f"grid.{key}", lang) for key in LOCALE_KEYS}
    return {**words, "thousandSeparator": get_group_symbol(locale), "decimalSeparator": get_decimal_symbol(locale)}


def grid_id(query: str) -> dict:
    return {"type": "grants-grid", "query": query}


def nav_id(query: str) -> dict:
    """The grid's dcc.Location: a row click opens the grant's project page (issue 16)."""
    return {"type": "grants-nav", "query": query}


def project_href(row_id, query: str) -> str | None:
    """The project page of a clicked row (its id is its grant key), with the grid's filters;
    None when the id is no grant of the snapshot."""
    from urllib.parse import quote

    if not isinstance(row_id, str) or len(row_id) > 300 or grants_data.grant(row_id) is None:
        return None
    return "/project/" + quote(row_id, safe=":") + query


def _condition(field: str, model: dict) -> tuple | None:
    """One filter condition from ag-grid's model, or None when anything is off."""
    op = model.get("type")
    if op in ("blank", "notBlank"):
        return (field, op, None, None)
    if field in grants_data.GRANT_TEXT_FILTERS and model.get("filterType") == "text":
        value = model.get("filter")
        if op in grants_data.GRANT_TEXT_OPS and isinstance(value, str) and 0 < len(value) <= 200:
            return (field, op, value, None)
    if field in grants_data.GRANT_NUMBER_FILTERS and model.get("filterType") == "number":
        value, value_to = model.get("filter"), model.get("filterTo")
        if op in grants_data.GRANT_NUMBER_OPS and _is_number(value) and (op != "inRange" or _is_number(value_to)):
            return (field, op, float(value), float(value_to) if op == "inRange" else None)
    return None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e15


def normalise_filter_model(model: dict | None) -> tuple:
    """ag-grid's filterModel -> ((join, (condition, ...)), ...) sorted by column; invalid parts dropped."""
    groups = []
    for field, spec in sorted((model or {}).items()):
        if field not in grants_data.GRANT_SORTABLE or not isinstance(spec, dict):
            continue
        if isinstance(spec.get("conditions"), list):  # several conditions on one column
            join = "or" if spec.get("operator") == "OR" else "and"
            parts = [_condition(field, c) for c in spec["conditions"][:_MAX_CONDITIONS] if isinstance(c, dict)]
        else:
            join, parts = "and", [_condition(field, spec)]
        parts = tuple(p for p in parts if p is not None)
        if parts:
            groups.append((join, parts))
    return tuple(groups)


def normalise_sort_model(model: list | None) -> tuple[tuple[str, str], ...]:
    return tuple((s["colId"], s["sort"]) for s in (model or [])[:3]
                 if isinstance(s, dict) and s.get("colId") in grants_data.GRANT_SORTABLE and s.get("sort") in ("asc", "desc"))


def rows_response(filters: Filters, request: dict, path: Path | None = None) -> dict:
    """The getRowsResponse for one getRowsRequest: the block's formatted rows and the row count."""
    start = max(0, int(request.get("startRow") or 0))
    end = int(request.get("endRow") or start + BLOCK)
    end = min(max(end, start + 1), start + MAX_BLOCK)
    return _block(snapshot.snapshot_stamp(path), filters, normalise_sort_model(request.get("sortModel")),
                  normalise_filter_model(request.get("filterModel")), start, end)


@lru_cache(maxsize=1024)
def _block(stamp: tuple, filters: Filters, sort: tuple, conditions: tuple, start: int, end: int) -> dict:
    path = Path(stamp[0])
    count, _ = grants_data.grants_summary(filters, conditions, path=path)
    frame = grants_data.grants_rows(filters, sort, conditions, start, end - start, path=path)
    return {"rowData": [format_row(r, filters.lang) for r in frame.iter_rows(named=True)], "rowCount": count}


def format_row(row: dict, lang: str) -> dict:
    """A row as the grid shows it: dates and euros in the language, and names for codes:
    organisation type, country or IATI region, DAC category (sentence case); a grant with no
    known country or category says so, in the words the other pages use."""
    when = row["date_convention"]
    lang = lang_of(lang)
    place, category = row.get(f"location_{lang}"), row.get(f"category_{lang}")
    return {**row, "date_convention": when.isoformat() if when else None,
            "beneficiary_type": beneficiary_label(row["beneficiary_type"], lang),
            "location_text": place or _unnamed(row["main_location_code"], "unknown_place", lang),
            "category_text": sentence_case(category) or _unnamed(row["main_category_code"], "unknown_category", lang),
            "amount_text": euros(row["amount_eur"], lang) if row["amount_eur"] is not None else "",
            # null paid_eur: no payment record covers the grant ("non suivi", docs/money-rules.md "Payments")
            "paid_text": t("not_tracked", lang) if row.get("paid_eur") is None else euros(row["paid_eur"], lang),
            "date_text": day(when, lang) if when else ""}


def _unnamed(code: str | None, unknown_key: str, lang: str) -> str:
    # 'unallocated' (or nothing) is the unknown part; a code the reference lists lack stays a code
    return t(unknown_key, lang) if code in (None, "", "unallocated") else code


def register(app: dash.Dash) -> None:
    @app.callback(
        Output({"type": "grants-grid", "query": MATCH}, "getRowsResponse"),
        Input({"type": "grants-grid", "query": MATCH}, "getRowsRequest"),
    )
    def get_rows(request):
        if not isinstance(request, dict):
            raise dash.exceptions.PreventUpdate
        query = dash.ctx.triggered_id["query"] if isinstance(dash.ctx.triggered_id, dict) else ""
        filters = parse_search(query, data.filter_allowlists())
        return rows_response(filters, request)

    @app.callback(
        Output({"type": "grants-nav", "query": MATCH}, "href"),
        Input({"type": "grants-grid", "query": MATCH}, "cellClicked"),
        prevent_initial_call=True,
    )
    def open_project(cell):
        query = dash.ctx.triggered_id["query"] if isinstance(dash.ctx.triggered_id, dict) else ""
        # the grid's filters, validated again (the id comes from the browser), less the country
        filters = parse_search(query, data.filter_allowlists())
        href = project_href((cell or {}).get("rowId"), to_query(filters.with_(country=None)))
        if href is None:
            raise dash.exceptions.PreventUpdate
        return href
