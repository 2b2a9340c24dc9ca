"""Grants: a searchable, sortable table (dash-ag-grid) of public grants; natural persons anonymised."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
from dash import html

from dashboard import data
from dashboard.components import download_links, filter_bar
from dashboard.figures import beneficiary_label
from dashboard.filters import parse
from dashboard.i18n import day, euros, euros_short, number, t

dash.register_page(__name__, path="/grants", name="grants_page", order=6)

PATH = "/grants"


def layout(**query) -> html.Div:
    allowed = data.filter_allowlists()
    filters = parse(query, allowed)
    lang = filters.lang
    grants = data.grants(filters)
    rows = [
        {**r, "date_convention": r["date_convention"].isoformat() if r["date_convention"] else None,
         "beneficiary_type": beneficiary_label(r["beneficiary_type"], lang),
         "amount_text": euros(r["amount_eur"], lang),
         "date_text": day(r["date_convention"], lang) if r["date_convention"] else ""}
        for r in grants.iter_rows(named=True)
    ]
    columns = [
        {"field": "date_convention", "headerName": t("date", lang), "width": 120,
         "valueFormatter": {"function": "params.data.date_text"}},
        {"field": "reference_decision", "headerName": t("decision", lang), "width": 150},
        {"field": "programme", "headerName": "Programme"},
        {"field": "beneficiary_name", "headerName": t("beneficiary", lang)},
        {"field": "beneficiary_type", "headerName": t("org_type", lang)},
        {"field": "purpose", "headerName": t("purpose", lang), "flex": 2},
        {"field": "main_location_code", "headerName": t("country_or_region", lang), "width": 110},
        # sorted by the number, shown in French format
        {"field": "amount_eur", "headerName": t("amount", lang), "type": "rightAligned", "width": 140,
         "valueFormatter": {"function": "params.data.amount_text"}},
    ]
    total = grants["amount_eur"].sum() if grants.height else 0
    return html.Div([
        html.H2(t("grants_page", lang)),
        filter_bar(filters, PATH, lang, years=allowed.years),
        html.P(t("grants_intro", lang, count=number(grants.height, lang), total=euros_short(total, lang)),
               id="grants-count"),
        dag.AgGrid(
            id="grants-grid",
            rowData=rows,
            columnDefs=columns,
            defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1, "minWidth": 100},
            dashGridOptions={"quickFilterText": "", "pagination": True, "paginationPageSize": 25,
                             "enableCellTextSelection": True, "ensureDomOrder": True},
            style={"height": "640px"},
            className="ag-theme-alpine",
        ),
        download_links("grants", filters, lang),
    ])
