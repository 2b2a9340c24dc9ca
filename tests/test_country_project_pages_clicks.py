"""Country profiles and project pages (issue 16) opened by a click: the map's and the grants grid's
callbacks answer the page's address (filters kept, anything else refused), and a browser (Chromium)
opens a profile by clicking the world map and a project page by clicking a grants-grid row, at 1366
and 390 px, in French and English.
"""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import quote, unquote, urlsplit

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from werkzeug.serving import make_server

from dash_pages import nodes as _nodes, render as _render
from dashboard.i18n import t
from snapshot import sql
from country_project_checks import _top_country


# ------------------------------------------------------------------ clicks (callbacks)

def _click_body(chart: str, customdata: str, search: str) -> dict:
    return {"output": '{"id":["MATCH"],"type":"chart-nav"}.href',
            "outputs": {"id": {"type": "chart-nav", "id": chart}, "property": "href"},
            "inputs": [{"id": {"type": "chart", "id": chart}, "property": "clickData",
                        "value": {"points": [{"customdata": customdata}]}}],
            "state": [{"id": "url", "property": "pathname", "value": "/world"},
                      {"id": "url", "property": "search", "value": search}],
            "changedPropIds": [json.dumps({"id": chart, "type": "chart"}, separators=(",", ":")) + ".clickData"]}


def test_a_map_click_opens_the_profile_and_other_charts_still_filter(serving, client):
    code = _top_country(serving)
    year = sql(serving, "select max(year) from funding")[0][0]
    answer = client.post("/_dash-update-component", json=_click_body(
        "world-map", f"country={code}", f"?years={year}&measure=disbursed_eur&lang=en"))
    href = answer.get_json()["response"][json.dumps({"id": "world-map", "type": "chart-nav"},
                                                    separators=(",", ":"))]["href"]
    assert href == f"/country/{code}?years={year}&lang=en"
    # a Sankey node still filters its page
    answer = client.post("/_dash-update-component", json=_click_body("flows", f"country={code}", ""))
    assert answer.get_json()["response"][json.dumps({"id": "flows", "type": "chart-nav"},
                                                    separators=(",", ":"))]["href"] == f"/world?country={code}"
    # a code the snapshot has no money for opens nothing
    answer = client.post("/_dash-update-component", json=_click_body("world-map", "country=<script>", ""))
    assert "/country/" not in answer.get_data(as_text=True)
    # and the world table's country names link to the profiles, filters kept
    tree = _render(client, "/world", f"?years={year}")
    links = {n["props"]["href"] for n in _nodes(tree) if n["type"] == "Link" and
             n["props"]["href"].startswith("/country/")}
    assert f"/country/{code}?years={year}" in links


def test_a_grid_row_click_opens_its_project_page(serving, client):
    year = sql(serving, "select max(year) from grants_public")[0][0]
    key = sql(serving, "select grant_key from grants_public where year = $y limit 1", {"y": year})[0][0]
    query = f"?years={year}&lang=en"

    def body(row_id):
        grid = {"type": "grants-grid", "query": query}
        return {"output": '{"query":["MATCH"],"type":"grants-nav"}.href',
                "outputs": {"id": {"type": "grants-nav", "query": query}, "property": "href"},
                "inputs": [{"id": grid, "property": "cellClicked",
                            "value": {"colId": "purpose", "rowIndex": 0, "rowId": row_id, "value": "x"}}],
                "changedPropIds": [json.dumps(grid, separators=(",", ":")) + ".cellClicked"]}

    answer = client.post("/_dash-update-component", json=body(key))
    assert answer.status_code == 200
    assert list(answer.get_json()["response"].values())[0]["href"] == f"/project/{quote(key, safe=':')}{query}"
    for bad in ("nope", 5, None, "x" * 5000):
        assert client.post("/_dash-update-component", json=body(bad)).status_code in (204, 400)


# ------------------------------------------------------------------ in a browser

@pytest.fixture(scope="module")
def server(serving):
    from dashboard.app import create_app

    httpd = make_server("127.0.0.1", 0, create_app(serving).server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


LOGS = ("browser",)  # Chrome logs the tests read


@pytest.fixture(scope="module", params=[(1366, 900), (390, 844)], ids=["desktop", "phone"])
def browser(request):
    """One Chromium per width, for the whole module (bench.page_load.chromium)."""
    from bench.page_load import chromium

    driver = chromium(*request.param, logs=LOGS)
    try:
        yield driver
    finally:
        driver.quit()


def _drawn(driver, path_prefix: str) -> None:
    from bench.page_load import wait_drawn

    deadline = time.time() + 60
    while not driver.execute_script("return location.pathname").startswith(path_prefix):
        assert time.time() < deadline, f"never reached {path_prefix}: {driver.current_url}"
        time.sleep(0.1)
    wait_drawn(driver, time.perf_counter())


def _no_overflow(driver) -> None:
    width = driver.execute_script("return window.innerWidth")
    wide = driver.execute_script("document.querySelectorAll('details').forEach(function (d) { d.open = true; });"
                                 "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
    assert wide <= width, f"{driver.current_url}: {wide} px wide at {width}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_map_click_opens_a_profile_and_grid_row_a_project_page(server, browser, serving, lang):
    search = "?lang=en" if lang == "en" else ""
    browser.get_log("browser")  # the console log starts here
    # the world map: click the country drawn largest until the app navigates (plotly binds its
    # click handler once drawn)
    browser.get(server + "/world" + search)
    _drawn(browser, "/world")
    deadline = time.time() + 30  # the countries are drawn once the map's topojson has loaded
    while not browser.find_elements(By.CSS_SELECTOR, "#world-map path.choroplethlocation"):
        assert time.time() < deadline, "the world map drew no country"
        time.sleep(0.2)
    for _ in range(5):
        target = browser.execute_script("""
            var paths = Array.from(document.querySelectorAll('#world-map path.choroplethlocation'));
            paths.sort(function (a, b) { var x = a.getBoundingClientRect(), y = b.getBoundingClientRect();
                                         return y.width * y.height - x.width * x.height; });
            return paths[0];""")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", target)
        ActionChains(browser).move_to_element(target).pause(0.3).click().perform()
        deadline = time.time() + 5
        while "/country/" not in browser.current_url and time.time() < deadline:
            time.sleep(0.2)
        if "/country/" in browser.current_url:
            break
    _drawn(browser, "/country/")
    code = urlsplit(browser.current_url).path.removeprefix("/country/")
    name = sql(serving, f"select name_{lang} from countries where alpha3 = $c", {"c": code})[0][0]
    assert browser.find_element(By.CSS_SELECTOR, "#country-name").text == name
    assert urlsplit(browser.current_url).query == search.lstrip("?")
    _no_overflow(browser)
    # the grants grid: a click on a row's cell opens its project page
    browser.get(server + "/grants" + search)
    _drawn(browser, "/grants")
    # the grid draws its first block, then redraws it with the rows' ids: click until it navigates
    for _ in range(10):
        try:
            cell = browser.find_element(By.CSS_SELECTOR, ".ag-row[row-index='0'] .ag-cell[col-id='reference_decision']")
            decision = cell.text
            browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cell)
            cell.click()
        except StaleElementReferenceException:
            time.sleep(0.3)
            continue
        deadline = time.time() + 5
        while "/project/" not in browser.current_url and time.time() < deadline:
            time.sleep(0.2)
        if "/project/" in browser.current_url:
            break
    _drawn(browser, "/project/")
    key = unquote(urlsplit(browser.current_url).path.removeprefix("/project/"))
    assert sql(serving, "select reference_decision from grants_public where grant_key = $k", {"k": key})[0][0] \
        == decision
    assert browser.find_element(By.CSS_SELECTOR, "#project-decision").text == decision
    assert browser.find_element(By.CSS_SELECTOR, "#project-title").text == t("project.title", lang, reference=decision)
    _no_overflow(browser)
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe
