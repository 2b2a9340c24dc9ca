"""Filters follow the reader from page to page, under one vocabulary (issue 15).

The shell's navigation is read from the callback Dash answers, the expected filters from
the snapshot's own values (a country and years that exist), never from the filter code.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from dash_pages import nav
from snapshot import client_of


@pytest.fixture(scope="module")
def client(serving):
    # this module's own: its tests take the client with the snapshot's path, from an app that
    # has served its index page once, as a browser's has before it asks for the shell
    http = client_of(serving)
    http.get("/")
    return http, serving


def test_every_nav_link_keeps_the_filters_and_the_language(client):
    http, serving = client
    with duckdb.connect(str(serving), read_only=True) as conn:
        country, year = conn.execute(
            "select location_code, max(year) from funding where location_kind = 'country' "
            "group by 1 order by sum(committed_eur) desc limit 1").fetchall()[0]
    hrefs, switch = nav(http, "/flows", f"?years={year}&country={country}&lang=en")
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
    old, _ = nav(http, "/", f"?year={year}")
    new, _ = nav(http, "/", f"?years={year}")
    assert old == new and all(f"years={year}" in href for href in new)


def test_hostile_filters_do_not_follow(client):
    http, _ = client
    hrefs, _ = nav(http, "/flows", "?country=<script>&years=1700&programme=x' OR 1=1")
    assert all("?" not in href for href in hrefs)  # nothing valid to keep: bare page links
