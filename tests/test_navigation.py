"""Filters follow the reader from page to page, under one vocabulary (issue 15).

The shell's navigation is read from the callback Dash answers, the expected filters from
the snapshot's own values (a country and years that exist), never from the filter code.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

SHELL = ("..app-title.children...nav.children...lang-switch.children...lang-switch.href..."
         "sample-banner.children...sample-banner.hidden...footer.children..")


@pytest.fixture(scope="module")
def client(built):
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    http = create_app(serving).server.test_client()
    http.get("/")
    return http, serving


def _nav(http, pathname: str, search: str) -> tuple[list[str], str]:
    body = {"output": SHELL,
            "outputs": [{"id": i, "property": p} for i, p in (
                ("app-title", "children"), ("nav", "children"), ("lang-switch", "children"),
                ("lang-switch", "href"), ("sample-banner", "children"), ("sample-banner", "hidden"),
                ("footer", "children"))],
            "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                       {"id": "url", "property": "search", "value": search}],
            "changedPropIds": ["url.search"]}
    answer = http.post("/_dash-update-component", json=body)
    assert answer.status_code == 200
    shell = answer.get_json()["response"]
    return [link["props"]["href"] for link in shell["nav"]["children"]], shell["lang-switch"]["href"]


def test_every_nav_link_keeps_the_filters_and_the_language(client):
    http, serving = client
    with duckdb.connect(str(serving), read_only=True) as conn:
        country, year = conn.execute(
            "select location_code, max(year) from funding where location_kind = 'country' "
            "group by 1 order by sum(committed_eur) desc limit 1").fetchall()[0]
    hrefs, switch = _nav(http, "/flows", f"?years={year}&country={country}&lang=en")
    assert len(hrefs) >= 8
    for href in hrefs:
        query = parse_qs(urlsplit(href).query)
        assert query == {"years": [str(year)], "country": [country], "lang": ["en"]}, href
    assert parse_qs(urlsplit(switch).query) == {"years": [str(year)], "country": [country], "lang": ["fr"]}


def test_the_overview_speaks_the_same_words(client):
    """`?year=` (the overview's old word, still read) and `?years=` mean the same; links write `years`."""
    http, serving = client
    with duckdb.connect(str(serving), read_only=True) as conn:
        year = conn.execute("select min(year) from kpis where indicator = 'committed_eur'").fetchall()[0][0]
    old, _ = _nav(http, "/", f"?year={year}")
    new, _ = _nav(http, "/", f"?years={year}")
    assert old == new and all(f"years={year}" in href for href in new)


def test_hostile_filters_do_not_follow(client):
    http, _ = client
    hrefs, _ = _nav(http, "/flows", "?country=<script>&years=1700&programme=x' OR 1=1")
    assert all("?" not in href for href in hrefs)  # nothing valid to keep: bare page links
