"""The overview page's layout, without a browser: the year chosen from the address, the
cards' figures against the kpis mart, the chart against the target."""

from __future__ import annotations

import dash
import duckdb
import pytest

from dashboard.i18n import euros_short


def _texts(component) -> list[str]:
    """Every string in a Dash component tree, depth first."""
    if isinstance(component, str):
        return [component]
    children = getattr(component, "children", None)
    if children is None:
        return []
    if not isinstance(children, (list, tuple)):
        children = [children]
    return [text for child in children for text in _texts(child)]


@pytest.fixture
def overview(built):
    from dashboard.app import create_app

    _, _, serving = built
    app = create_app(serving)
    page = next(p for p in dash.page_registry.values() if p["path"] == "/")
    with app.server.test_request_context("/"):
        yield page["layout"], serving


@pytest.mark.parametrize("query, year", [({"year": "2018"}, 2018), ({"years": "2019-2021"}, 2021),
                                         ({"years": "1850"}, None), ({}, None)])
def test_the_year_comes_from_the_address_and_the_cards_from_the_mart(overview, query, year):
    layout, serving = overview
    with duckdb.connect(str(serving), read_only=True) as conn:
        latest = conn.execute("select max(year) from kpis").fetchall()[0][0]
        year = year or latest  # an unknown year falls back to the latest
        committed, target = conn.execute(
            "select value, target from kpis where indicator = 'committed_eur' and year = $y", {"y": year}
        ).fetchall()[0]
    texts = _texts(layout(**query))
    assert f"Vue d'ensemble — {year}" in texts
    assert euros_short(committed, "fr") in texts
    assert any(text.startswith(f"{year}\u00a0: {euros_short(committed, 'fr')} engagés") and "de l'objectif" in text
               for text in texts)
    assert target == 10_000_000
