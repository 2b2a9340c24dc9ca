"""The overview page in a real headless Chromium (dash_duo), against the sample snapshot."""

from __future__ import annotations

import duckdb
import pytest

from dashboard.i18n import euros_short, number

pytestmark = pytest.mark.browser


@pytest.fixture
def app(built):
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    return create_app(serving), serving


def test_overview_shows_the_headline_figures_of_the_snapshot(dash_duo, app):
    dash_app, serving = app
    with duckdb.connect(str(serving), read_only=True) as conn:
        year = conn.execute("select max(year) from kpis where indicator = 'committed_eur'").fetchone()[0]
        committed = conn.execute(
            "select value from kpis where indicator = 'committed_eur' and year = $y", {"y": year}
        ).fetchone()[0]
        jobs = conn.execute(
            "select value from kpis where indicator = 'jobs_headcount' and year = $y", {"y": year}
        ).fetchone()[0]
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_text_to_equal("#kpi-committed_eur", euros_short(committed, "fr"), timeout=20)
    dash_duo.wait_for_text_to_equal("#kpi-jobs_headcount", number(jobs, "fr"))
    dash_duo.wait_for_contains_text("#sample-banner", "Données d'exemple")
    dash_duo.wait_for_contains_text("#footer", "Instantané")
    assert dash_duo.get_logs() == []


def test_overview_in_english_for_a_given_year(dash_duo, app):
    dash_app, serving = app
    with duckdb.connect(str(serving), read_only=True) as conn:
        committed = conn.execute(
            "select value from kpis where indicator = 'committed_eur' and year = 2019"
        ).fetchone()[0]
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?year=2019&lang=en")
    dash_duo.wait_for_text_to_equal("#kpi-committed_eur", euros_short(committed, "en"), timeout=20)
    dash_duo.wait_for_contains_text("#sample-banner", "sample data")
    assert dash_duo.get_logs() == []


def test_results_page_draws_within_seconds_after_an_in_app_click(dash_duo, app):
    """Issue 15: reached from another page, /outcomes froze the tab for 23-68 s (Dash 4.4 makes
    each newly drawn component notify every mounted one: 3,000 table cells). Now a click from
    /flows draws it like the other pages, and so does a year link on it."""
    import time

    from selenium.webdriver.common.by import By

    dash_app, serving = app
    with duckdb.connect(str(serving), read_only=True) as conn:
        measurements = conn.execute("select count(*) from outcomes").fetchall()[0][0]
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/flows")
    dash_duo.wait_for_element("#flows-sankey .main-svg", timeout=30)

    def drawn() -> bool:
        return dash_duo.driver.execute_script(
            "var s = document.getElementById('outcome-totals'); return !!(s && s.querySelector('.main-svg'))")

    start = time.time()
    dash_duo.driver.find_element(By.CSS_SELECTOR, "#nav a[href^='/outcomes']").click()
    while not drawn() and time.time() - start < 60:
        time.sleep(0.05)
    elapsed = time.time() - start
    print(f"/flows -> /outcomes drawn in {elapsed:.2f} s")
    assert drawn() and elapsed < 10, elapsed
    dash_duo.wait_for_contains_text("#outcomes-reconciliation", f"{number(measurements, 'fr')} mesures")
    start = time.time()
    dash_duo.driver.find_element(By.CSS_SELECTOR, ".year-links a[href*='years=2024']").click()
    dash_duo.wait_for_contains_text("#active-filters", "2024", timeout=10)
    while not drawn() and time.time() - start < 60:
        time.sleep(0.05)
    elapsed = time.time() - start
    print(f"/outcomes year 2024 drawn in {elapsed:.2f} s")
    assert elapsed < 10, elapsed
    assert dash_duo.get_logs() == []


def test_every_page_draws_within_seconds_when_reached_by_the_navigation(dash_duo, app):
    """Issue 15: every page drawn in under 2 s on the sample (bench/page_load.py records the
    figures in docs/benchmarks.md); the test fails only past 10 s, on a shared machine. Each
    page is reached by a click in the navigation from the page before it, as a reader does —
    /data-quality took 7-12 s so (one Dash component per table cell)."""
    import time

    from bench.page_load import PAGES, click_nav, wait_drawn

    dash_app, _ = app
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/grants")
    wait_drawn(dash_duo.driver, time.perf_counter())
    timings = {}
    for path in PAGES:
        start = time.perf_counter()
        click_nav(dash_duo.driver, path)
        timings[path] = wait_drawn(dash_duo.driver, start, timeout=30)
        assert dash_duo.driver.current_url.split("?")[0].endswith(path)
    print(" ".join(f"{path} {seconds:.2f} s" for path, seconds in timings.items()))
    assert max(timings.values()) < 10, timings
    assert dash_duo.get_logs() == []


def _amounts(text: str) -> list[float]:
    """Euros written as the French pages write them ('118,8 M€', '711 k€', '7 585 900 €'), in order."""
    import re

    found = []
    for digits, unit in re.findall(r"(\d[\d\u202f\xa0 ]*(?:,\d+)?)\s*([Mk]?)€", text):
        value = float(digits.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))
        found.append(value * {"M": 1e6, "k": 1e3, "": 1}[unit])
    return found


@pytest.mark.parametrize("path, element", [("/flows", "flows-reconciliation"), ("/world", "world-reconciliation"),
                                           ("/sectors", "sectors-reconciliation")])
def test_the_reconciliation_line_in_the_browser_adds_up(dash_duo, app, path, element):
    """Issue 15: the line under a page's total, as the browser shows it, states the programme's
    committed total (an independent SQL sum) and parts that add up to it, to the display's
    rounding (0.05 M€ per figure)."""
    from selenium.webdriver.common.by import By

    dash_app, serving = app
    with duckdb.connect(str(serving), read_only=True) as conn:
        total = float(conn.execute("select sum(committed_eur) from funding").fetchall()[0][0])
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}")
    dash_duo.wait_for_contains_text(f"#{element}", "=", timeout=20)
    text = dash_duo.driver.find_element(By.ID, element).text
    stated, _, rest = text.partition("=")
    parts = _amounts(rest.split(";")[0].split(" dont ")[0])
    assert _amounts(stated) and abs(_amounts(stated)[0] - total) <= 0.05e6, (text, total)
    assert len(parts) >= 2 and abs(sum(parts) - _amounts(stated)[0]) <= 0.05e6 * len(parts), text
    assert dash_duo.get_logs() == []
