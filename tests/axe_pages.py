"""Headless Chromium and axe-core over the dashboard's pages, for tests/test_accessibility.py: Chromium
started through Selenium, the viewports, a page opened once Dash has drawn it (the shell's title, the
page's main heading, every chart's SVG, the grid's first rows), axe-core's violations by impact, and the
keyboard as a person types it. axe-core comes from the `axe-playwright-python` wheel (its `axe.min.js`
only, MPL-2.0: Playwright's browsers are never downloaded).
"""

from __future__ import annotations

import time
from collections import Counter
from importlib.resources import files

from selenium import webdriver
from selenium.common.exceptions import JavascriptException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import WSGIRequestHandler


VIEWPORTS = {"desktop": (1366, 900, False), "phone": (390, 844, True)}
FAILING = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")

AXE_SOURCE = files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")
AXE_VERSION = AXE_SOURCE[:200].split("axe v", 1)[1].split()[0]

# The Dash app is drawn once these hold: the shell's callback has run (title, <html lang>),
# the page's layout is in #main with its heading, each graph has drawn its SVG, the grants
# grid shows rows, and Dash has no request in flight.
_DASH_READY = """
const main = document.querySelector('#main');
if (!document.querySelector('#app-title') || !document.querySelector('#app-title').textContent) return false;
if (!main || !main.querySelector('h2')) return false;
if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return false;
for (const g of main.querySelectorAll('.dash-graph')) { if (!g.querySelector('.main-svg')) return false; }
const grid = main.querySelector('.ag-root-wrapper');
if (grid && !grid.querySelector('.ag-row .ag-cell')) return false;
return document.readyState === 'complete';
"""
_EMBED_READY = """
if (document.readyState !== 'complete') return false;
const plot = document.querySelector('#embed-plot');
if (plot) return plot.getAttribute('data-drawn') === 'true';
return !!document.querySelector('#embed-card, #builder-form');
"""
_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations'], iframes: false})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5),
                                          count: v.nodes.length}))))
  .catch(e => done({error: String(e)}));
"""
_DUPLICATE_IDS = """
const seen = {};
document.querySelectorAll('[id]').forEach(e => { seen[e.id] = (seen[e.id] || 0) + 1; });
return Object.keys(seen).filter(k => seen[k] > 1);
"""
_ACTIVE = """
const a = document.activeElement;
if (!a || a === document.body || a === document.documentElement) return 'BODY';
return a.tagName + (a.id ? '#' + a.id : '') + (typeof a.className === 'string' && a.className ? '.' + a.className.split(' ').join('.') : '')
       + ' ' + JSON.stringify((a.textContent || '').trim().slice(0, 40)) + ' ' + (a.getAttribute('href') || '');
"""


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # hundreds of requests: keep the output for the report
        pass


def chrome() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--window-size=1366,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options)
    driver.set_script_timeout(120)
    return driver


def set_viewport(driver: webdriver.Chrome, name: str) -> None:
    width, height, mobile = VIEWPORTS[name]
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})


def open_page(driver: webdriver.Chrome, url: str, *, embed: bool, timeout: float = 60) -> None:
    driver.get(url)
    ready = _EMBED_READY if embed else _DASH_READY
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.2).until(lambda d: d.execute_script(ready))
    except TimeoutException:
        raise AssertionError(f"{url} was not drawn within {timeout} s") from None
    time.sleep(0.3)  # plotly's last relayout after its first draw


def audit(driver: webdriver.Chrome) -> list[dict]:
    """axe-core's violations on the page as it is now."""
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE_SOURCE)
    try:
        result = driver.execute_async_script(_RUN_AXE)
    except JavascriptException as error:  # pragma: no cover - reported as the failure
        raise AssertionError(f"axe-core did not run: {error}") from None
    assert not isinstance(result, dict), result
    return result


def open_every_table(driver: webdriver.Chrome) -> None:
    """Open every <details> (the charts' data tables): what a closed one shows, its summary,
    is shown by an open one too, so one audit covers both states."""
    driver.execute_script("document.querySelectorAll('details:not([open])').forEach(e => { e.open = true; });")


def csp_refusals(driver: webdriver.Chrome) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]


def active(driver: webdriver.Chrome) -> str:
    return driver.execute_script(_ACTIVE)


def press(driver: webdriver.Chrome, *keys: str) -> str:
    """Keys as a person types them; what has the focus afterwards."""
    for key in keys:
        if key == "shift-tab":
            ActionChains(driver).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            ActionChains(driver).send_keys(key).perform()
    return active(driver)


def wait_until(driver: webdriver.Chrome, script: str, what: str, timeout: float = 30) -> None:
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(lambda d: d.execute_script(script))
    except TimeoutException:
        raise AssertionError(f"{what}: not within {timeout} s (focus on {active(driver)})") from None


def by_impact(violations: list[dict]) -> Counter:
    return Counter({impact: sum(1 for v in violations if v["impact"] == impact) for impact in IMPACTS})


def describe(violations: list[dict]) -> str:
    return "\n".join(f"    [{v['impact']}] {v['id']}: {v['help']} ({v['count']} node(s): {'; '.join(v['nodes'])})"
                     for v in violations)


_REPORT: dict[str, list[dict]] = {}
