"""Accessibility in headless Chromium: axe-core on every officials' page and every embed, in
French and English, on a desktop (1366×900) and a phone (390×844) viewport; and the keyboard.

- No critical and no serious axe violation anywhere, with the charts' data tables closed and
  open; the moderate and minor ones are printed in a summary at the end of the module (it
  shows in pytest's output, `-s` not needed) but do not fail the test. No duplicate id
  either (axe 4.12 no longer has that rule) and no Content-Security-Policy refusal.
- `<html lang>` is the page's language in the first HTML and after an in-app move; each
  page has its own title ("<heading> — <app title>") in that language.
- A year link, a filter chip or a menu link activated with Enter leaves the focus on a
  control of the new page (the same link, else the page heading), never on <body>.
- A chart is reached with Tab (its figure, then plotly's toolbar, then its data table);
  the grants grid is one tab stop, with the arrow keys inside.

axe-core comes from the `axe-playwright-python` wheel (a dev dependency: the wheel ships
`axe.min.js`, MPL-2.0; only the file is used here, driven through Selenium, so Playwright's
browsers are never downloaded). Each page is audited once Dash has drawn it: the shell's
title, the page's main heading, every chart's SVG, the grid's first rows.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from importlib.resources import files

import duckdb
import pytest
from selenium import webdriver
from selenium.common.exceptions import JavascriptException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import WSGIRequestHandler, make_server

from dashboard.embed.catalogue import CHARTS

pytestmark = pytest.mark.browser

PAGES = ("/", "/flows", "/world", "/sectors", "/outcomes", "/at-home", "/grants", "/data-quality")
EMBEDS = tuple(f"/embed/{slug}" for slug in CHARTS) + ("/embed/",)
LANGS = ("fr", "en")
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


@pytest.fixture(scope="module")
def server(built):
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    httpd = make_server("127.0.0.1", 0, create_app(serving).server, threaded=True, request_handler=_Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


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


@pytest.fixture(scope="module")
def driver():
    browser = chrome()
    yield browser
    browser.quit()


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


@pytest.fixture(scope="module", autouse=True)
def summary(pytestconfig):
    """Every audited page's counts by impact, and what is left below 'serious', written at the
    end of the module to pytest's terminal (not captured: it is the module's report)."""
    yield
    if not _REPORT:
        return
    total = sum((by_impact(v) for v in _REPORT.values()), Counter())
    lines = [f"axe-core {AXE_VERSION}, {len(_REPORT)} audits: rules violated by impact "
             f"(critical/serious/moderate/minor) " + "/".join(str(total[i]) for i in IMPACTS)]
    pages: dict[str, list[str]] = {}
    for key, violations in _REPORT.items():
        page, _, where = key.partition("?lang=")
        counts = by_impact(violations)
        pages.setdefault(page, []).append(where.replace(" @", " ") + " " + "/".join(str(counts[i]) for i in IMPACTS))
    for page, cells in pages.items():
        lines.append(f"  {page:28} " + " · ".join(cells))
    for key, violations in _REPORT.items():
        below = [v for v in violations if v["impact"] not in FAILING]
        if below:
            lines.append(f"  {key}:\n" + describe(below))
    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for line in "\n".join(lines).splitlines():
            reporter.write_line(line)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("path", PAGES + EMBEDS)
def test_no_serious_or_critical_violation(server, driver, path, lang):
    """One load per page and language, audited on the desktop, then narrowed to the phone
    (the page lays itself out again, plotly redraws at its new width) and audited again."""
    _audit_page(server, driver, path, lang)


# The pages of one thing (issue 16), one of each kind: the snapshot says which exist.
ONE_OF_A_KIND = {
    "programme": "select 'commerce-equitable'",  # checked to exist below, through the page's 200
    "festival": "select 'festival-des-solidarites'",
    "country": ("select location_code from funding where location_kind = 'country' "
                "group by 1 order by sum(committed_eur) desc, 1 limit 1"),
    "project": ("select grant_key from grants_public where beneficiary_type = 'ong' "
                "order by amount_eur desc, grant_key limit 1"),
}
KIND_PATH = {"programme": "/programme/{}", "festival": "/programme/{}", "country": "/country/{}",
             "project": "/project/{}"}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", list(ONE_OF_A_KIND))
def test_no_serious_or_critical_violation_on_a_page_of_one_thing(server, driver, built, kind, lang):
    import urllib.request
    from urllib.parse import quote

    with duckdb.connect(str(built[2]), read_only=True) as conn:
        value = conn.execute(ONE_OF_A_KIND[kind]).fetchall()[0][0]
    path = KIND_PATH[kind].format(quote(value, safe=":"))
    with urllib.request.urlopen(f"{server}{path}") as answer:
        assert answer.status == 200, path
    _audit_page(server, driver, path, lang)


def _audit_page(server, driver, path: str, lang: str) -> None:
    embed = path.startswith("/embed/")
    set_viewport(driver, "desktop")
    driver.get_log("browser")  # only this page's messages below
    open_page(driver, f"{server}{path}?lang={lang}", embed=embed)
    html_lang = driver.execute_script("return document.documentElement.lang")
    duplicates = driver.execute_script(_DUPLICATE_IDS)
    open_every_table(driver)
    failing = []
    for viewport in VIEWPORTS:
        if viewport != "desktop":
            set_viewport(driver, viewport)
            time.sleep(0.6)  # plotly's resize handler is debounced
        violations = audit(driver)
        _REPORT[f"{path}?lang={lang} @{viewport}"] = violations
        failing += [f"  at {viewport}:\n{describe([v])}" for v in violations if v["impact"] in FAILING]
    assert not failing, f"{path}?lang={lang}:\n" + "\n".join(failing)
    assert not duplicates, f"{path}?lang={lang}: ids used more than once: {duplicates}"
    assert csp_refusals(driver) == []
    assert html_lang == lang


# ----------------------------------------------------------------------- keyboard
@pytest.fixture
def desktop(driver):
    set_viewport(driver, "desktop")
    return driver


def test_html_lang_in_the_first_html_and_after_an_in_app_move(server, desktop):
    import urllib.request

    with urllib.request.urlopen(f"{server}/flows?lang=en") as answer:
        assert '<html lang="en">' in answer.read().decode()
    with urllib.request.urlopen(f"{server}/flows") as answer:
        assert '<html lang="fr">' in answer.read().decode()
    open_page(desktop, f"{server}/flows?lang=en", embed=False)
    assert desktop.execute_script("return document.documentElement.lang") == "en"
    # an in-app move to French, as dcc.Link makes it (history, then Dash's own event)
    desktop.execute_script("history.pushState({}, '', '/sectors');"
                           "window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));")
    wait_until(desktop, "return document.documentElement.lang === 'fr'", "<html lang> back to fr")
    wait_until(desktop, "return document.querySelector('#skip-link').textContent === 'Aller au contenu'",
               "the skip link in French")
    # each page its own title, in its language
    wait_until(desktop, "const h = document.querySelector('#main h2');"
                        "return !!h && h.textContent === 'Secteurs' && document.title === "
                        "'Secteurs — ' + document.querySelector('#app-title').textContent;", "the page's own title")


def _enter_on(driver, selector: str) -> str:
    """Focus a link as Tab would, press Enter; the link's address."""
    link = driver.find_element("css selector", selector)
    href = link.get_attribute("href")
    driver.execute_script("arguments[0].focus()", link)
    assert active(driver) != "BODY"
    press(driver, Keys.ENTER)
    return href


@pytest.mark.parametrize("path, link, redrawn", [
    # a year of the filter bar: the page is redrawn for that year, the focus stays on that year
    ("/flows?lang=en", ".filter-bar .year-links a:last-child",
     "return location.search.includes('years=') && !!document.querySelector('.filter-chip')"),
    # the overview's own year links
    ("/?lang=en", "#main .year-links a:first-child",
     "return location.search.includes('years=') && document.querySelector('#main .year-links a:first-child')"
     ".classList.contains('active')"),
    # a chip's remove link: the chip goes, the focus goes to the page (the same address: 'All years')
    ("/sectors?years=2021&lang=en", ".filter-chip a",
     "return !location.search.includes('years=') && !document.querySelector('.filter-chip')"),
])
def test_focus_stays_on_the_page_after_a_filter_link_by_keyboard(server, desktop, path, link, redrawn):
    open_page(desktop, server + path, embed=False)
    href = _enter_on(desktop, link)
    wait_until(desktop, redrawn, f"{path}: the page redrawn")
    wait_until(desktop, _DASH_READY, f"{path}: the new page drawn")
    time.sleep(0.5)  # anything still redrawing would have taken the focus away by now
    focused = active(desktop)
    assert focused != "BODY"
    main_heading = desktop.execute_script("return document.activeElement === document.querySelector('#main h2')")
    same_link = desktop.execute_script("return document.activeElement.href === arguments[0]", href)
    assert same_link or main_heading, focused


def test_a_menu_link_by_keyboard_moves_the_focus_to_the_new_page_heading(server, desktop):
    open_page(desktop, f"{server}/flows?lang=en", embed=False)
    _enter_on(desktop, "#nav a[href^='/sectors']")
    wait_until(desktop, "return location.pathname === '/sectors' && "
                        "document.activeElement === document.querySelector('#main h2')",
               "the focus on the sectors page's heading")
    assert "Sectors" in active(desktop) or "sector" in active(desktop).lower()


def test_a_chart_its_toolbar_and_its_table_are_reached_with_tab(server, desktop):
    open_page(desktop, f"{server}/flows?lang=en", embed=False)
    desktop.execute_script("const h = document.querySelector('#main h2'); h.setAttribute('tabindex', '-1'); h.focus();")
    seen = [press(desktop, Keys.TAB) for _ in range(60)]
    figure = next((i for i, s in enumerate(seen) if s.startswith("FIGURE") and "chart-figure" in s), None)
    assert figure is not None, seen
    # the figure is named by its title and described by the generated description
    name = desktop.execute_script(
        "const f = document.querySelector('.chart-figure');"
        "return [document.getElementById(f.getAttribute('aria-labelledby')).textContent,"
        "        document.getElementById(f.getAttribute('aria-describedby')).textContent];")
    assert all(part.strip() for part in name)
    assert "modebar-btn" in seen[figure + 1], seen[figure:figure + 3]  # plotly's toolbar, next
    summary = next(i for i, s in enumerate(seen) if i > figure and s.startswith("SUMMARY"))
    # the toolbar is shown while the keyboard is in the chart
    desktop.execute_script("document.querySelector('.chart-figure').focus()")
    assert desktop.execute_script(
        "return getComputedStyle(document.querySelector('.chart-figure .modebar')).opacity") == "1"
    # the data table: Enter on its summary opens it, Tab reaches the (scrollable) table
    desktop.execute_script("document.querySelectorAll('summary')[0].focus()")
    assert active(desktop).startswith("SUMMARY"), summary
    press(desktop, Keys.ENTER)
    assert desktop.execute_script("return document.querySelector('details').open")
    assert "table-wrap" in press(desktop, Keys.TAB)


def test_the_grants_grid_is_one_tab_stop_with_arrows_inside(server, desktop):
    open_page(desktop, f"{server}/grants?lang=en", embed=False)
    desktop.execute_script("const p = document.querySelector('#grants-count'); p.setAttribute('tabindex', '-1');"
                           "p.focus();")
    in_grid = "return !!document.activeElement.closest('.ag-root')"
    first = press(desktop, Keys.TAB)
    assert desktop.execute_script(in_grid), first  # into the grid: its first header
    assert "ag-header-cell" in first
    down = press(desktop, Keys.ARROW_DOWN)  # the arrows move inside: the first row
    assert "ag-cell" in down, down
    right = press(desktop, Keys.ARROW_RIGHT)
    assert "ag-cell" in right and right != down
    after = press(desktop, Keys.TAB)  # one Tab and the grid is behind: the pager
    assert not desktop.execute_script(in_grid), after
    back = press(desktop, "shift-tab", "shift-tab")  # and back into the grid, on the cell it left
    assert desktop.execute_script(in_grid), back
