"""The chart toolbar, ticks and embeds' link back, in headless Chromium (issue 15).

On every chart of the officials' pages the toolbar has exactly two buttons (save a
picture, reset), whose tooltips are in the page's language: French from the app's own
copy of plotly.js's locale. The toolbar covers no legend and no colour bar, wide or on a
phone; axis ticks read `10 M€` in French and `€10M` in English; and nothing is asked of
another host (Chromium's network log). An embed names its publisher and opens its
dashboard page, same filters, in a new tab.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from servers import chromium_window, requested_urls, serving_thread

pytestmark = pytest.mark.browser

FRENCH = ["Télécharger le graphique en fichier PNG", "Réinitialiser"]
ENGLISH = ["Download plot as a PNG", "Reset views"]
PAGES = ["/", "/flows", "/world", "/sectors", "/outcomes", "/at-home"]

MEASURE = """
function box(e) { if (!e) return null; var b = e.getBoundingClientRect();
  return b.width && b.height ? [b.left, b.top, b.right, b.bottom] : null; }
return Array.from(document.querySelectorAll('.js-plotly-plot')).map(function (plot) {
  var block = plot.closest('.chart-block');
  return {
    chart: block ? block.id : '',
    buttons: Array.from(plot.querySelectorAll('.modebar-btn')).map(function (b) {
      return b.getAttribute('data-title'); }),
    links: plot.querySelectorAll('.modebar a[href], .modebar-btn--logo').length,
    modebar: box(plot.querySelector('.modebar')),
    covered: Array.from(plot.querySelectorAll('g.legend, g.colorbar')).map(box).filter(Boolean),
    yticks: Array.from(plot.querySelectorAll('.ytick text, .y2tick text, g.colorbar .cbaxis text')).map(
      function (t) { return t.textContent; })
  };
});
"""


@pytest.fixture(scope="module")
def server(serving):
    from dashboard.app import create_app

    with serving_thread(create_app(serving).server) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium_window(1280, 1000, logs=("performance", "browser")) as driver:
        yield driver


def _charts(driver, url: str, expected: int | None = None) -> list[dict]:
    """Open a page and wait until every chart on it has drawn its toolbar."""
    driver.get(url)
    return _drawn(driver, expected)


def _drawn(driver, expected: int | None = None) -> list[dict]:
    def ready(d):
        charts = d.execute_script(MEASURE)
        if not charts or any(len(c["buttons"]) == 0 for c in charts):
            return False
        return charts if expected is None or len(charts) >= expected else False

    return WebDriverWait(driver, 30).until(ready)


def _overlaps(a: list[float], b: list[float]) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def test_toolbar_has_two_buttons_in_the_page_language_and_covers_nothing(server, browser):
    browser.get_log("performance")  # start the network log here
    seen = 0
    for width in (1280, 375):
        browser.set_window_size(width, 1000)
        for lang, words in (("fr", FRENCH), ("en", ENGLISH)):
            for page in PAGES:
                url = server + page + ("?lang=en" if lang == "en" else "")
                for chart in _charts(browser, url):
                    seen += 1
                    where = (width, lang, page, chart["chart"])
                    assert chart["buttons"] == words, where  # no share/cloud, no zoom tools, no logo
                    assert chart["links"] == 0, where  # nothing in the toolbar leads elsewhere
                    for covered in chart["covered"]:
                        assert not _overlaps(chart["modebar"], covered), (where, chart["modebar"], covered)
    assert seen >= 2 * 2 * 8  # every chart of every page, both widths and languages
    hosts = {urlsplit(u).netloc for u in requested_urls(browser) if urlsplit(u).scheme in ("http", "https")}
    assert hosts == {urlsplit(server).netloc}  # the locale, plotly.js, the topojson: all from this server
    assert not [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_ticks_read_in_the_page_language(server, browser):
    browser.set_window_size(1280, 1000)
    french = {c["chart"]: c["yticks"] for c in _charts(browser, server + "/flows")}
    english = {c["chart"]: c["yticks"] for c in _charts(browser, server + "/flows?lang=en")}
    money_fr = [t for t in french["funding-by-year"] if t != "0"]
    money_en = [t for t in english["funding-by-year"] if t != "0"]
    assert money_fr and all(re.fullmatch(r"\d+(,\d+)?\u00a0M€", t) for t in money_fr), money_fr
    assert money_en and all(re.fullmatch(r"€\d+(\.\d+)?M", t) for t in money_en), money_en
    people = {c["chart"]: c["yticks"] for c in _charts(browser, server + "/at-home")}["reach-bars"]
    assert any(re.fullmatch(r"\d+\u00a0k", t) for t in people), people
    world = {c["chart"]: c["yticks"] for c in _charts(browser, server + "/world")}["world-map"]
    assert any(t.endswith("\u00a0M€") for t in world), world  # the colour bar too


def test_the_toolbar_follows_a_language_switch_inside_the_app(server, browser):
    browser.set_window_size(1280, 1000)
    assert {tuple(c["buttons"]) for c in _charts(browser, server + "/flows")} == {tuple(FRENCH)}
    browser.find_element(By.ID, "lang-switch").click()  # Dash redraws the page, no reload
    WebDriverWait(browser, 20).until(lambda d: "lang=en" in d.current_url)
    WebDriverWait(browser, 30).until(
        lambda d: {tuple(c["buttons"]) for c in d.execute_script(MEASURE)} == {tuple(ENGLISH)})


def test_an_embed_names_its_publisher_and_opens_its_dashboard_page_in_a_new_tab(server, browser, built):
    import duckdb

    with duckdb.connect(str(built[2]), read_only=True) as conn:
        year = conn.execute("select max(year) from funding").fetchall()[0][0]
    browser.set_window_size(900, 900)
    browser.get(f"{server}/embed/world-map?year={year}")
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "embed-plot").get_attribute("data-drawn"))
    buttons = [b.get_attribute("data-title") for b in browser.find_elements(By.CSS_SELECTOR, ".modebar-btn")]
    assert buttons == FRENCH
    assert "Région — programme de solidarité internationale" in browser.find_element(By.ID, "embed-publisher").text
    link = browser.find_element(By.ID, "embed-dashboard")
    assert link.get_attribute("target") == "_blank" and link.get_attribute("rel") == "noopener"
    before = set(browser.window_handles)
    first = browser.current_window_handle
    link.click()
    WebDriverWait(browser, 10).until(lambda d: len(d.window_handles) > len(before))
    (tab,) = set(browser.window_handles) - before
    browser.switch_to.window(tab)
    try:
        charts = _drawn(browser)
        assert urlsplit(browser.current_url).path == "/world"
        assert f"years={year}" in browser.current_url
        assert browser.execute_script("return window.opener") is None  # rel=noopener: no handle back
        assert "world-map" in {c["chart"] for c in charts}
    finally:
        browser.close()
        browser.switch_to.window(first)
