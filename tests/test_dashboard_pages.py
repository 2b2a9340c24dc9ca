"""The officials' pages in a real headless Chromium (dash_duo) over the sample snapshot.

Three browser sessions only (each start costs seconds): every page with and without
filters, with no console error and no request to a host other than the app's; a click
on a Sankey node that filters the page, then the language switch; a CSV download whose
total matches a direct SQL over the snapshot.
"""

from __future__ import annotations

import io
import time
from urllib.parse import urlparse

import duckdb
import polars as pl
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from dashboard.i18n import euros_short

pytestmark = pytest.mark.browser

PAGES = {  # path -> (French title, a filtered URL's query)
    "/flows": ("Flux", "?country=MLI&years=2020-2025"),
    "/world": ("Où va l'argent", "?sector=122&measure=disbursed_eur"),
    "/sectors": ("Secteurs", "?programme=Soutien+aux+projets+des+ONG"),
    "/outcomes": ("Résultats", "?country=MLI"),
    "/at-home": ("Dans la région", "?departement=69&years=2024"),
    "/grants": ("Subventions", "?years=2024&country=SEN"),
    "/data-quality": ("Qualité des données", "?lang=en"),
}


@pytest.fixture
def app(built):
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    return create_app(serving), serving


def _sql(serving, sql: str, params: dict | None = None):
    with duckdb.connect(str(serving), read_only=True) as conn:
        return conn.execute(sql, params or {}).fetchall()[0][0]


def _foreign_requests(dash_duo) -> set[str]:
    urls = dash_duo.driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".concat(performance.getEntriesByType('navigation').map(e => e.name))")
    return {u for u in urls if urlparse(u).hostname not in ("127.0.0.1", "localhost")}


def _open(dash_duo, path: str, heading: str) -> None:
    dash_duo.wait_for_page(url=dash_duo.server_url + path)
    dash_duo.wait_for_text_to_equal("#_pages_content h2", heading, timeout=30)


def test_every_page_opens_with_and_without_filters_offline(dash_duo, app):
    dash_app, serving = app
    dash_duo.start_server(dash_app)
    foreign: set[str] = set()
    for path, (heading, query) in PAGES.items():
        _open(dash_duo, path, heading)
        foreign |= _foreign_requests(dash_duo)
        heading_en = "Data quality" if "lang=en" in query else heading
        _open(dash_duo, path + query, heading_en)
        foreign |= _foreign_requests(dash_duo)
    # the filtered flows page says how much went to Mali in 2020–2025, as the snapshot does
    _open(dash_duo, "/flows?country=MLI&years=2020-2025", "Flux")
    mali = _sql(serving, "select sum(committed_eur) from funding where location_code = 'MLI' "
                         "and year between 2020 and 2025")
    dash_duo.wait_for_contains_text("#flows-sankey-description", f"{euros_short(mali, 'fr')} engagés", timeout=20)
    # the chip names the country (issue 15: names, never codes)
    mali_name = _sql(serving, "select name_fr from countries where alpha3 = 'MLI'")[0][0]
    dash_duo.wait_for_contains_text("#active-filters", mali_name)
    # the world map drew its countries from the local topojson
    _open(dash_duo, "/world", "Où va l'argent")
    dash_duo.wait_for_element("#world-map .choroplethlocation", timeout=30)
    foreign |= _foreign_requests(dash_duo)
    assert foreign == set()
    assert dash_duo.get_logs() == []


def test_a_sankey_click_filters_the_page_and_the_language_switch_keeps_it(dash_duo, app):
    dash_app, serving = app
    dash_duo.start_server(dash_app)
    _open(dash_duo, "/flows", "Flux")
    dash_duo.wait_for_element("#flows-sankey .sankey-node", timeout=30)
    # the graph binds its click handler once drawn; click again until it has (at most 5 times)
    for _ in range(5):
        nodes = dash_duo.driver.find_elements(By.CSS_SELECTOR, "#flows-sankey .sankey-node")
        mali = next(n for n in nodes if n.find_element(By.CSS_SELECTOR, ".node-label").text == "Mali")
        rect = mali.find_element(By.CSS_SELECTOR, ".node-rect")
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", rect)
        ActionChains(dash_duo.driver).move_to_element(rect).pause(0.3).click().perform()
        deadline = time.time() + 5
        while "country=MLI" not in dash_duo.driver.current_url and time.time() < deadline:
            time.sleep(0.2)
        if "country=MLI" in dash_duo.driver.current_url:
            break
    assert urlparse(dash_duo.driver.current_url).query == "country=MLI"
    dash_duo.wait_for_contains_text("#active-filters", _sql(serving, "select name_fr from countries "
                                                                     "where alpha3 = 'MLI'")[0][0], timeout=20)
    mali_total = _sql(serving, "select sum(committed_eur) from funding where location_code = 'MLI'")
    dash_duo.wait_for_contains_text("#flows-sankey-description", euros_short(mali_total, "fr"), timeout=20)
    dash_duo.find_element("#lang-switch").click()
    dash_duo.wait_for_text_to_equal("#_pages_content h2", "Flows", timeout=20)
    assert set(urlparse(dash_duo.driver.current_url).query.split("&")) == {"country=MLI", "lang=en"}
    dash_duo.wait_for_contains_text("#flows-sankey-description", euros_short(mali_total, "en"), timeout=20)
    assert dash_duo.get_logs() == []


def test_the_csv_offered_beside_a_chart_matches_the_snapshot(dash_duo, app):
    dash_app, serving = app
    dash_duo.start_server(dash_app)
    _open(dash_duo, "/world?years=2024", "Où va l'argent")
    link = dash_duo.find_element("#download-funding_by_country-csv")
    href = link.get_attribute("href")
    assert urlparse(href).path == "/download/funding_by_country.csv" and "years=2024" in href
    # fetched by the page itself, as a click would
    text = dash_duo.driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text()).then(done);", href)
    frame = pl.read_csv(io.BytesIO(text.encode()))
    expected = _sql(serving, "select sum(committed_eur) from funding where year = 2024")
    assert frame["committed_eur"].sum() == pytest.approx(float(expected))  # cents read back as floats
    by_country = _sql(serving, "select sum(committed_eur) from funding_by_country where year = 2024")
    assert frame["committed_eur"].sum() == pytest.approx(float(by_country))
    assert frame["meta_snapshot_version"].n_unique() == 1
    assert dash_duo.get_logs() == []
