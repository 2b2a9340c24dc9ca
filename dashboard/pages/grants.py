"""Grants: a searchable, sortable table (dash-ag-grid) of public grants; natural persons anonymised.

The grid pages through the snapshot on the server (ag-grid's infinite row model, see
`dashboard.grants_grid`): the browser receives one block of formatted rows at a time,
never the whole table, and sorting and column filters run as SQL over `grants_public`.
"""

from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import dcc, html

from dashboard import data, grants_data, reconcile
from dashboard.components import download_links, euros_switch, filter_bar
from dashboard.filters import parse, to_query
from dashboard.grants_grid import BLOCK, KEYBOARD_OPTIONS, grid_id, locale_text, nav_id
from dashboard.i18n import euros_short, number, t

dash.register_page(__name__, path="/grants", name="grants_page", order=6)

PATH = "/grants"
_TEXT = {"filter": "agTextColumnFilter",
         "filterParams": {"filterOptions": ["contains", "notContains", "equals", "startsWith", "endsWith"],
                          "maxNumConditions": 2, "debounceMs": 400}}
_NUMBER = {"filter": "agNumberColumnFilter",
           "filterParams": {"filterOptions": ["equals", "greaterThan", "lessThan", "inRange"],
                            "maxNumConditions": 2, "debounceMs": 400}}


def columns(lang: str) -> list[dict]:
    return [
        {"field": "date_convention", "headerName": t("date", lang), "width": 120, "filter": False,
         "valueFormatter": {"function": "params.data ? params.data.date_text : ''"}},
        {"field": "reference_decision", "headerName": t("decision", lang), "width": 150, **_TEXT},
        {"field": "programme", "headerName": t("programme", lang), **_TEXT},
        {"field": "beneficiary_name", "headerName": t("beneficiary", lang), **_TEXT},
        # labelled in the row, filtered on the code: no free-text filter on a translated label
        {"field": "beneficiary_type", "headerName": t("org_type", lang), "filter": False},
        {"field": "purpose", "headerName": t("purpose", lang), "flex": 2, **_TEXT},
        # names, never codes: sorted and filtered on the name in the page's language (grants_data.GRANT_NAMES)
        {"field": f"location_{lang}", "headerName": t("country_or_region", lang), "width": 140, **_TEXT,
         "valueFormatter": {"function": "params.data ? params.data.location_text : ''"}},
        {"field": f"category_{lang}", "headerName": t("category", lang), "width": 160, **_TEXT,
         "valueFormatter": {"function": "params.data ? params.data.category_text : ''"}},
        # sorted by the number, shown in the language's format
        {"field": "amount_eur", "headerName": t("amount", lang), "type": "rightAligned", "width": 140,
         "valueFormatter": {"function": "params.data ? params.data.amount_text : ''"}, **_NUMBER},
        # what was paid: the euros, or "non suivi" where no payment record covers the grant (never 0 €)
        {"field": "paid_eur", "headerName": t("paid", lang), "type": "rightAligned", "width": 130,
         "valueFormatter": {"function": "params.data ? params.data.paid_text : ''"}, **_NUMBER},
    ]


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    if filters.sector:  # a grant has one DAC category (its project's main one): filter on that
        filters = filters.with_(sector=filters.sector[:3])
    lang = filters.lang
    count, total = grants_data.grants_summary(filters)
    sector_note = ([html.P(t("grants_sector_note", lang, category=data.filter_labels(filters)["sector"]),
                           id="grants-sector-note",
                           className="hint")] if filters.sector else [])
    return html.Div([
        html.H2(t("grants_page", lang)),
        euros_switch(filters, PATH, lang),
        filter_bar(filters, PATH, lang, years=allowed.years),
        html.P(t("grants_intro", lang, count=number(count, lang), total=euros_short(total, lang)),
               id="grants-count"),
        # the grants' total said as the programme's, part by part (issue 15)
        reconcile.grants_line("grants-reconciliation", filters, lang),
        *sector_note,
        dag.AgGrid(
            # the id carries the filters: another filter is another grid, which fetches its own rows
            id=grid_id(to_query(filters)),
            rowModelType="infinite",
            # a row's id is its grant's key: a click on it opens the project page (grants_grid.register)
            getRowId="params.data.grant_key",
            columnDefs=columns(lang),
            defaultColDef={"sortable": True, "resizable": True, "flex": 1, "minWidth": 100},
            dashGridOptions={"pagination": True, "paginationPageSize": 25, "cacheBlockSize": BLOCK,
                             "maxBlocksInCache": 20, "infiniteInitialRowCount": min(count, BLOCK),
                             "enableCellTextSelection": True, "ensureDomOrder": True, **KEYBOARD_OPTIONS,
                             # the pager and filter menus in the page's language ("1 à 25 sur 5 840")
                             "localeText": locale_text(lang)},
            style={"height": "640px"},
            className="ag-theme-alpine",
        ),
        html.P(t("grants_row_hint", lang), className="hint"),
        dcc.Location(id=nav_id(to_query(filters)), refresh="callback-nav"),
        download_links("grants", filters, lang),
    ])
