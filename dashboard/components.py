"""Building blocks every officials' page shares: a chart with its words, its table and
its downloads; the active-filter bar; click-to-filter navigation.

A chart is never only a picture: its generated description is its accessible name, its
data is a real HTML table (inside <details>, reachable by keyboard and read by screen
readers, with a link per row where a click on the chart would filter), and its data is
offered as CSV, Excel and Parquet.
"""

from __future__ import annotations

import re

import dash
import plotly.graph_objects as go
import polars as pl
from dash import MATCH, Input, Output, State, dcc, html

from dashboard import constant_euros, data, grants_grid
from dashboard.cells import cell_text
from dashboard.downloads import EXCEL_CSV, href
from dashboard.figures import graph_config
from dashboard.filters import Filters, merge, parse_search, to_query
from dashboard.i18n import number, t
from dashboard.plotly_text import safe_figure

MAX_TABLE_ROWS = 300
PROFILE = "/country/"  # table(link=(..., "country", PROFILE)): a country's profile


def table(frame: pl.DataFrame, columns: list[tuple[str, str, str]], lang: str, *,
          link: tuple[str, str, str] | None = None, filters: Filters | None = None) -> html.Div:
    """An HTML table of `frame`: columns are (column, header, kind); numbers right-aligned.

    `link=(column, url parameter, pathname)` turns that column's cells into filter links;
    with `PROFILE` as the pathname, into links to each country's profile (issue 16)."""
    shown = frame.head(MAX_TABLE_ROWS)
    if link is None:
        return _markdown_table(frame, shown, columns, lang)
    head = html.Thead(html.Tr([html.Th(label, scope="col", className=f"col-{kind}") for _, label, kind in columns]))
    allowed = data.filter_allowlists() if link else None
    rows = []
    for row in shown.iter_rows(named=True):
        cells = []
        for column, _, kind in columns:
            text = cell_text(row.get(column), kind, lang)
            if link and column == link[0] and filters is not None and row.get(link[1]) not in (None, "unallocated"):
                target = (profile_href(row[link[1]], filters) if link[2] == PROFILE
                          else link[2] + merge(to_query(filters), f"{link[1]}={row[link[1]]}", allowed))
                text = dcc.Link(text, href=target)
            cells.append(html.Td(text, className=f"col-{kind}"))
        rows.append(html.Tr(cells))
    note = ([html.P(t("ui.rows_cut", lang, shown=number(shown.height, lang), total=number(frame.height, lang)))]
            if frame.height > shown.height else [])
    # the wrap scrolls: focusable and named, so a keyboard scrolls it (axe `scrollable-region-focusable`)
    return html.Div([html.Table([head, html.Tbody(rows)], className="data-table"), *note], className="table-wrap",
                    tabIndex="0", role="group", **{"aria-label": t("ui.data_table", lang)})


# A cell's text written so that dcc.Markdown reads it literally: every ASCII punctuation mark as
# a numeric character reference (&#42; for *). CommonMark decodes them to text, never to syntax,
# so no emphasis, link, autolink (http&#58;//), HTML or column break can come from data.
# (That parser un-escapes only some backslash escapes; tests/test_markdown_tables.py renders
# every mark and link/HTML look-alikes in Chromium and reads them back as written.)
_MARKDOWN_SPECIAL = re.compile(r"[!-/:-@\[-`{-~]")
_RIGHT_ALIGNED = ("euros", "euros_per_capita", "number", "number1", "decimal", "percent", "number-text")


def markdown_cell(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(lambda m: f"&#{ord(m.group())};", " ".join(str(text).split()))


def _markdown_table(frame: pl.DataFrame, shown: pl.DataFrame, columns: list[tuple[str, str, str]],
                    lang: str) -> html.Div:
    """The same table as one Markdown component instead of one component per cell.

    Dash 4.4 makes each newly mounted component notify every mounted one: the data-quality
    page's ~1,300 table components took 7-12 s to draw after a click in the navigation, as
    one Markdown block per table it takes under 1 s (docs/benchmarks.md, "Page load"). The
    browser still gets a real <table> (header row, right-aligned numbers)."""
    lines = ["| " + " | ".join(markdown_cell(label) for _, label, _ in columns) + " |",
             "|" + "|".join("---:" if kind in _RIGHT_ALIGNED else "---" for _, _, kind in columns) + "|"]
    lines += ["| " + " | ".join(markdown_cell(cell_text(row.get(column), kind, lang)) for column, _, kind in columns) + " |"
              for row in shown.iter_rows(named=True)]
    note = ([html.P(t("ui.rows_cut", lang, shown=number(shown.height, lang), total=number(frame.height, lang)))]
            if frame.height > shown.height else [])
    return html.Div([dcc.Markdown("\n".join(lines), className="data-table"), *note], className="table-wrap",
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
                download_key: str | None = None, narrow_figure: go.Figure | None = None) -> html.Section:
    """`download_key` names the download links' ids (`download-<key>-<format>`, the dataset's
    name by default) where a page offers one dataset under two charts: ids are unique.

    `narrow_figure`: the same data drawn for a phone (the Sankey's two columns instead of
    four); style.css shows it instead of `figure` on screens up to 640 px wide."""
    desc_id = f"{chart_id}-description"
    wide = " chart-wide" if narrow_figure is not None else ""
    graph = [dcc.Graph(id={"type": "chart", "id": chart_id}, figure=safe_figure(figure),
                       config=graph_config(lang, chart_id), className="chart" + wide)]  # the toolbar in the page's language
    if narrow_figure is not None:
        graph.append(dcc.Graph(id={"type": "chart", "id": f"{chart_id}-narrow"}, figure=safe_figure(narrow_figure),
                               config=graph_config(lang, chart_id), className="chart chart-narrow"))
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
        # the world map's countries open their profiles; other charts filter the page
        parts.append(html.P(t("ui.click_hint_profile" if chart_id in OPENS_PROFILE else "ui.click_hint", lang),
                            className="hint"))
        parts.append(dcc.Location(id={"type": "chart-nav", "id": chart_id}, refresh="callback-nav"))
        if narrow_figure is not None:  # a click on the phone's drawing filters too
            parts.append(dcc.Location(id={"type": "chart-nav", "id": f"{chart_id}-narrow"}, refresh="callback-nav"))
    parts += [
        html.Details([html.Summary(t("ui.table", lang)), table_div], className="chart-table"),
        _keyed(download_links(dataset, filters, lang), dataset, download_key),
    ]
    return html.Section(parts, className="chart-block", id=chart_id)


def spec_block(spec, title: str, figure: go.Figure, description: str, table_div: html.Div, filters: Filters,
               lang: str, **options) -> html.Section:
    """A chart's block from its spec (dashboard/specs.py): the section its embed links back to,
    the downloads of its dataset."""
    return chart_block(spec.section, title, figure, description, table_div, spec.dataset, filters, lang, **options)


def _keyed(links: html.P, dataset: str, key: str | None) -> html.P:
    if key:
        for link in links.children:
            if isinstance(link, html.A) and getattr(link, "id", "").startswith(f"download-{dataset}-"):
                link.id = f"download-{key}-" + link.id[len(f"download-{dataset}-"):]
    return links


def filter_bar(filters: Filters, pathname: str, lang: str, labels: dict[str, str] | None = None,
               years: tuple[int, ...] = ()) -> html.Nav:
    """Active filters, each removable, and quick year links: every state is a link. A chip
    names its filter ('Burkina Faso', never 'BFA': `data.filter_labels`) unless `labels` says."""
    labels = {**data.filter_labels(filters), **(labels or {})}
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


def euros_switch(filters: Filters, pathname: str, lang: str, link_to=None) -> html.Nav:
    """Current or constant euros (`euros=constant`, issue 15): two links that keep the page's
    filters, the one shown marked current; in constant euros, the base year, how it is made and
    which years have no index yet (their amounts stay in current euros, said, never guessed).
    `link_to(filters)` makes a link where the page has display options of its own to keep."""
    link_to = link_to or (lambda view: pathname + to_query(view))
    base = constant_euros.price_base()
    if base is None:  # a snapshot without the index: nothing to offer
        return html.Nav(hidden=True, id="euros-switch")
    # the basis shown is said, not only coloured: a screen reader hears "(affiché)" after it
    links = [dcc.Link([t(key, lang, year=base),
                       *([html.Span(" " + t("euros.shown", lang), className="visually-hidden")]
                         if filters.euros == value else [])],
                      href=link_to(filters.with_(euros=value)), id=f"euros-{value}",
                      className="year-link" + (" active" if filters.euros == value else ""))
             for key, value in (("euros.current", "current"), ("euros.constant", "constant"))]
    notes = []
    if filters.constant_euros:
        notes.append(t("euros.note", lang, year=base))
        missing = constant_euros.unindexed_years()
        if missing:
            notes.append(t("euros.unindexed", lang, years=", ".join(map(str, missing))))
    return html.Nav([html.P(_spaced(links), className="year-links"),
                     *([html.P(" ".join(notes), className="hint", id="euros-note")] if notes else [])],
                    id="euros-switch", className="euros-switch", **{"aria-label": t("euros.label", lang)})


def _chip(label: str, value: str, href: str, lang: str) -> html.Span:
    """One active filter, with the link that removes it."""
    remove = t("ui.remove", lang)
    return html.Span([f"{label} : {value} ",
                      dcc.Link([html.Span("✕", **{"aria-hidden": "true"}),
                                html.Span(f"{remove} {label}", className="visually-hidden")],
                               href=href, title=remove)],
                     className="filter-chip")


# Charts whose country opens the country's profile (`/country/<ISO3>`) instead of filtering the page.
OPENS_PROFILE = frozenset({"world-map"})


def profile_href(code: str, filters: Filters) -> str:
    """A country's (or IATI region's) profile with the reader's filters, less the country filter."""
    return f"/country/{code}" + to_query(filters.with_(country=None))


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
        allowed = data.filter_allowlists()
        chart = dash.ctx.triggered_id.get("id") if isinstance(dash.ctx.triggered_id, dict) else None
        name, _, value = assignment.partition("=")
        if chart in OPENS_PROFILE and name == "country" and value in allowed.countries:
            # a country on the world map opens its profile, with the page's other filters (issue 16)
            return profile_href(value, parse_search(search, allowed))
        return (pathname or "/") + merge(search, assignment, allowed)
