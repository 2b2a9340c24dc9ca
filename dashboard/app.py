"""The Dash app factory: officials' pages, one shell, no data read at import time."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode

import dash
import flask
from dash import ClientsideFunction, Input, Output, dcc, html

from dashboard import analyst, brief, components, data, downloads, page_cache, security, snapshot
from dashboard.filters import parse_search, to_query
from dashboard.embed import register_embeds
from dashboard.i18n import day, has_label, lang_of, t

HERE = Path(__file__).resolve().parent

# Dash's own index, less two things: its scripts sit in a plain <div> (Dash wraps them in a
# second <footer>, a second 'contentinfo' landmark beside the app's), and <html> has a `lang`,
# set per request from `?lang=` (see `_index_in_language`); no inline script of ours.
INDEX_STRING = """<!DOCTYPE html>
<html lang="fr">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <div class="dash-scripts">
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""


def create_app(serving_path: str | Path) -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        serve_locally=True,  # plotly.js and Dash's bundles from this server, never a CDN
        title="Solidarité internationale — impact",
        suppress_callback_exceptions=True,
        update_title=None,
        index_string=INDEX_STRING,
    )
    _index_in_language(app)
    app.server.config[snapshot.CONFIG_KEY] = str(serving_path)
    app.layout = shell
    security.register(app)  # first: headers, size limits, 404s and callback checks before any cache
    page_cache.cache_page_layouts(dash.page_registry)  # each page built once per snapshot and query string
    page_cache.cache_callback_responses(app.server)  # URL-driven callbacks replayed per snapshot and body
    _register_shell_callbacks(app)
    register_embeds(app.server)  # /embed/<chart>, its CSV and zip, the /embed/ builder
    downloads.register(app.server)  # /download/<dataset>.<csv|xlsx|parquet>
    analyst.register(app.server)  # /analyst/rejected.csv, HTTP Basic from env vars
    brief.register(app.server)  # /brief: the council brief, a PDF of one or two pages
    components.register_callbacks(app)  # click a chart element -> filtered URL
    # Dash finishes setting itself up on its first request (`before_request` hooks that add the pages'
    # router callback and copy the callbacks), unguarded: two first requests at once (a partner's page
    # embedding several charts) could both run it, and one failed with "dictionary changed size during
    # iteration" (tests/test_embeds_browser.py, 2026-12-03). Run here once, before the server takes
    # any: its `before_request` hooks run for the callbacks' list (which reads no snapshot), without
    # dispatching it, so Flask still takes set-up (server.production_app adds hooks after this).
    with app.server.test_request_context(app.config.requests_pathname_prefix + "_dash-dependencies"):
        app.server.preprocess_request()
    return app


def _index_in_language(app: dash.Dash) -> None:
    """The first HTML already says its language: `<html lang="en">` for `?lang=en`, else fr.

    Dash serves one index for every path; the language is the only thing that differs.
    After that, `assets/a11y.js` keeps `<html lang>` in step with the URL (clientside
    callback below) when the reader moves inside the app."""
    interpolate = app.interpolate_index

    def interpolate_index(**parts: str) -> str:
        lang = lang_of(flask.request.args.get("lang")) if flask.has_request_context() else "fr"
        return interpolate(**parts).replace('<html lang="fr">', f'<html lang="{lang}">', 1)

    app.interpolate_index = interpolate_index


def shell() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url"),
            html.A(id="skip-link", href="#main", className="skip-link", children="Aller au contenu"),
            html.Header(
                [
                    html.H1(id="app-title", className="app-title"),
                    html.Nav(id="nav", **{"aria-label": "Pages"}),
                    html.A(id="lang-switch", className="lang-switch"),
                    # the council brief with the page's filters (issue 16); hidden in print like the switch
                    html.A(id="brief-link", className="lang-switch brief-link", href="/brief"),
                    # inside the banner landmark: no content outside a landmark (axe `region`)
                    html.Div(id="sample-banner", className="sample-banner", role="note"),
                ],
                className="app-header",
            ),
            # tabIndex -1: the skip link and a change of page move the focus here, not to <body>
            html.Main(dash.page_container, id="main", tabIndex="-1"),
            html.Footer(id="footer", className="app-footer"),
        ],
        id="app",
        className="app",
    )


def _query(search: str | None) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items()}


def _register_shell_callbacks(app: dash.Dash) -> None:
    # <html lang> (and the app's) follows `?lang=` after in-app navigation: a function in
    # assets/a11y.js, served from this server like every script (no inline code, CSP unchanged)
    app.clientside_callback(ClientsideFunction("a11y", "pageLanguage"),
                            Output("app", "lang"), Input("url", "search"))

    @app.callback(
        Output("skip-link", "children"),
        Output("lang-switch", "lang"),  # "English" is said in English, "Français" in French
        Output("lang-switch", "hrefLang"),
        Input("url", "search"),
    )
    def shell_words(search: str | None):
        lang = lang_of(_query(search).get("lang"))
        other = "en" if lang == "fr" else "fr"
        return t("ui.skip_to_content", lang), other, other

    @app.callback(
        Output("brief-link", "children"),
        Output("brief-link", "href"),
        Output("brief-link", "title"),
        Input("url", "search"),
    )
    def brief_link(search: str | None):
        # the same validated filters the navigation carries: /brief?years=…&lang=en
        filters = parse_search(search, data.filter_allowlists())
        return t("brief.link", filters.lang), "/brief" + to_query(filters), t("brief.link_title", filters.lang)

    @app.callback(
        Output("app-title", "children"),
        Output("nav", "children"),
        Output("lang-switch", "children"),
        Output("lang-switch", "href"),
        Output("sample-banner", "children"),
        Output("sample-banner", "hidden"),
        Output("footer", "children"),
        Input("url", "pathname"),
        Input("url", "search"),
    )
    def render_shell(pathname: str | None, search: str | None):
        params = _query(search)
        pathname = security.safe_path(pathname)  # links are built from one of our pages, never `//host/`
        lang = lang_of(params.get("lang"))
        keep = {k: v for k, v in params.items() if k != "lang"}
        other = "en" if lang == "fr" else "fr"
        # filters follow the reader from page to page: the same validated filters, the same names
        follow = to_query(parse_search(search, data.filter_allowlists()))
        nav = [
            dcc.Link(
                # a page's name is its label's msgid: a new page needs its two .po entries, no list here
                t(page["name"], lang) if has_label(page["name"]) else page["name"],
                href=page["relative_path"] + follow,
                className="nav-link" + (" active" if page["relative_path"] == pathname else ""),
            )
            for page in dash.page_registry.values()
            if page.get("nav", True) and page["module"] != "pages.not_found_404"
        ]
        switch_href = (pathname or "/") + "?" + urlencode({**keep, "lang": other})
        info = snapshot.snapshot_info()
        footer = t("source_line", lang, sources=t("sources", lang), built_at=day(info.built_at, lang),
                   version=info.version)
        return (t("app_title", lang), nav, t("language", lang), switch_href,
                t("sample_banner", lang), not info.is_sample, footer)
