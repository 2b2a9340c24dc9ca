"""Building blocks every officials' page shares: a chart with its words, its table and
its downloads; the active-filter bar; click-to-filter navigation.

A chart is never only a picture: its generated description is its accessible name, its
data is a real HTML table (inside <details>, reachable by keyboard and read by screen
readers, with a link per row where a click on the chart would filter), and its data is
offered as CSV, Excel and Parquet.
"""

from __future__ import annotations

import dash
import plotly.graph_objects as go
import polars as pl
from dash import MATCH, Input, Output, State, dcc, html

from dashboard import data, grants_grid
from dashboard.downloads import EXCEL_CSV, href
from dashboard.figures import graph_config
from dashboard.filters import Filters, merge, to_query
from dashboard.i18n import euros, number, percent, t
from dashboard.plotly_text import safe_figure

MAX_TABLE_ROWS = 300

def fmt(value, kind: str, lang: str) -> str:
    if value is None:
        return "–"
    if kind == "euros":
        return euros(value, lang)
    if kind == "number":
        return number(value, lang)
    if kind == "number1":
        return number(value, lang, digits=1)
    if kind == "percent":
        return percent(value, lang)
    return str(value)


def table(frame: pl.DataFrame, columns: list[tuple[str, str, str]], lang: str, *,
          link: tuple[str, str, str] | None = None, filters: Filters | None = None) -> html.Div:
    """An HTML table of `frame`: columns are (column, header, kind); numbers right-aligned.

    `link=(column, url parameter, pathname)` turns that column's cells into filter links."""
    shown = frame.head(MAX_TABLE_ROWS)
    head = html.Thead(html.Tr([html.Th(label, scope="col", className=f"col-{kind}") for _, label, kind in columns]))
    allowed = data.filter_allowlists() if link else None
    rows = []
    for row in shown.iter_rows(named=True):
        cells = []
        for column, _, kind in columns:
            text = fmt(row.get(column), kind, lang)
            if link and column == link[0] and filters is not None and row.get(link[1]) not in (None, "unallocated"):
                target = link[2] + merge(to_query(filters), f"{link[1]}={row[link[1]]}", allowed)
                text = dcc.Link(text, href=target)
            cells.append(html.Td(text, className=f"col-{kind}"))
        rows.append(html.Tr(cells))
    note = ([html.P(t("ui.rows_cut", lang, shown=number(shown.height, lang), total=number(frame.height, lang)))]
            if frame.height > shown.height else [])
    # the wrap scrolls: focusable and named, so a keyboard scrolls it (axe `scrollable-region-focusable`)
    return html.Div([html.Table([head, html.Tbody(rows)], className="data-table"), *note], className="table-wrap",
                    tabIndex="0", role="group", **{"aria-label": t("ui.data_table", lang)})


def download_links(dataset: str, filters: Filters, lang: str) -> html.P:
    """CSV (open data: comma, column names), CSV for Excel (the language's separators and
    headers), Excel and Parquet, all for the page's filters."""
    formats = (("csv", "CSV", None), (EXCEL_CSV, t("ui.csv_excel", lang), t("ui.csv_excel_title", lang)),
               ("xlsx", "Excel", None), ("parquet", "Parquet", None))
    links = [html.A(label, href=href(dataset, ext, filters), className="download-link", download=f"{dataset}.{ext}",
                    id=f"download-{dataset}-{ext.replace('.', '-')}", **({"title": title} if title else {}))
             for ext, label, title in formats]
    return html.P([t("ui.download", lang), " ", *_spaced(links)], className="downloads")


def _spaced(items: list) -> list:
    out: list = []
    for item in items:
        out.extend([item, " "])
    return out[:-1]


def chart_block(chart_id: str, title: str, figure: go.Figure, description: str, table_div: html.Div,
                dataset: str, filters: Filters, lang: str, clickable: bool = False,
                download_key: str | None = None) -> html.Section:
    """`download_key` names the download links' ids (`download-<key>-<format>`, the dataset's
    name by default) where a page offers one dataset under two charts: ids are unique."""
    desc_id = f"{chart_id}-description"
    graph = dcc.Graph(id={"type": "chart", "id": chart_id}, figure=safe_figure(figure),
                      config=graph_config(lang, chart_id), className="chart")  # the toolbar in the page's language
    parts = [
        html.H3(title, id=f"{chart_id}-title"),
        html.P(description, id=desc_id, className="chart-description"),
        # a figure, not an image: it holds plotly's toolbar buttons (an image's content is
        # presentational, buttons inside it are nested-interactive). Named by the title,
        # described by the generated description; one tab stop reads both and shows the toolbar.
        html.Figure(graph, className="chart-figure", tabIndex="0",
                    **{"aria-labelledby": f"{chart_id}-title", "aria-describedby": desc_id}),
    ]
    if clickable:
        parts.append(html.P(t("ui.click_hint", lang), className="hint"))
        parts.append(dcc.Location(id={"type": "chart-nav", "id": chart_id}, refresh="callback-nav"))
    parts += [
        html.Details([html.Summary(t("ui.table", lang)), table_div], className="chart-table"),
        _keyed(download_links(dataset, filters, lang), dataset, download_key),
    ]
    return html.Section(parts, className="chart-block", id=chart_id)


def _keyed(links: html.P, dataset: str, key: str | None) -> html.P:
    if key:
        for link in links.children:
            if isinstance(link, html.A) and getattr(link, "id", "").startswith(f"download-{dataset}-"):
                link.id = f"download-{key}-" + link.id[len(f"download-{dataset}-"):]
    return links


def filter_bar(filters: Filters, pathname: str, lang: str, labels: dict[str, str] | None = None,
               years: tuple[int, ...] = ()) -> html.Nav:
    """Active filters, each removable, and quick year links: every state is a link."""
    labels = labels or {}
    active = []
    if filters.year_from is not None:
        value = (str(filters.year_from) if filters.year_from == filters.year_to
                 else f"{filters.year_from}–{filters.year_to}")
        active.append(("years", value, filters.with_(year_from=None, year_to=None)))
    for name in ("programme", "country", "sector", "departement"):
        value = getattr(filters, name)
        if value:
            active.append((name, labels.get(name, value), filters.with_(**{name: None})))
    items = ([_chip(t(f"ui.{name}", lang), value, pathname + to_query(rest), lang) for name, value, rest in active]
             or [html.Span(t("ui.no_filter", lang), className="filter-none")])
    year_links = []
    if years:
        year_links = [dcc.Link(t("ui.all_years", lang), href=pathname + to_query(filters.with_(year_from=None,
                                                                                            year_to=None)),
                               className="year-link" + (" active" if filters.year_from is None else ""))]
        year_links += [
            dcc.Link(str(y), href=pathname + to_query(filters.with_(year_from=y, year_to=y)),
                     className="year-link" + (" active" if filters.year_from == y == filters.year_to else ""))
            for y in years
        ]
    return html.Nav(
        [html.P([t("ui.filters", lang), " ", *items], className="active-filters", id="active-filters"),
         html.Div(year_links, className="year-links")],
        className="filter-bar", **{"aria-label": t("ui.filters", lang)},
    )


def _chip(label: str, value: str, href: str, lang: str) -> html.Span:
    """One active filter, with the link that removes it."""
    remove = t("ui.remove", lang)
    return html.Span([f"{label} : {value} ",
                      dcc.Link([html.Span("✕", **{"aria-hidden": "true"}),
                                html.Span(f"{remove} {label}", className="visually-hidden")],
                               href=href, title=remove)],
                     className="filter-chip")


def register_callbacks(app: dash.Dash) -> None:
    """Called by create_app: Dash hands module-level `dash.callback`s to the first app only,
    and tests (and the embeds) build several apps in one process."""
    grants_grid.register(app)  # the grants table's rows, a block at a time

    @app.callback(
        Output({"type": "chart-nav", "id": MATCH}, "href"),
        Input({"type": "chart", "id": MATCH}, "clickData"),
        State("url", "pathname"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def navigate_on_click(click, pathname, search):
        """A click on a Sankey node, a country or a tile navigates to the filtered URL."""
        points = (click or {}).get("points") or []
        assignment = next((p.get("customdata") for p in points if isinstance(p.get("customdata"), str)), "")
        if "=" not in assignment:
            raise dash.exceptions.PreventUpdate
        return (pathname or "/") + merge(search, assignment, data.filter_allowlists())
