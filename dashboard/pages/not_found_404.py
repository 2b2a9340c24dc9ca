import dash
from dash import dcc, html

from dashboard.i18n import t

dash.register_page(__name__, path="/404", nav=False)


def layout(lang: str | None = None, **_query) -> html.Div:
    return html.Div([html.H2(t("not_found", lang)), dcc.Link(t("back_home", lang), href="/")])
