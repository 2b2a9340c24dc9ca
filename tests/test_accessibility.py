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
browsers are never downloaded; driven by axe_pages.py). Each page is audited once Dash has drawn it: the shell's
title, the page's main heading, every chart's SVG, the grid's first rows.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import duckdb
import pytest
from selenium.webdriver.common.keys import Keys
from werkzeug.serving import make_server

from dashboard.embed.catalogue import CHARTS
from axe_pages import (
    AXE_VERSION,
    FAILING,
    IMPACTS,
    VIEWPORTS,
    _DASH_READY,
    _DUPLICATE_IDS,
    _Quiet,
    _REPORT,
    active,
    audit,
    by_impact,
    chrome,
    csp_refusals,
    describe,
    open_every_table,
    open_page,
    press,
    set_viewport,
    wait_until,
)


pytestmark = pytest.mark.browser

PAGES = ("/", "/flows", "/world", "/sectors", "/outcomes", "/at-home", "/grants", "/data-quality")
EMBEDS = tuple(f"/embed/{slug}" for slug in CHARTS) + ("/embed/",)
LANGS = ("fr", "en")


@pytest.fixture(scope="module")
def server(built):
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    httpd = make_server("127.0.0.1", 0, create_app(serving).server, threaded=True, request_handler=_Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def driver():
    browser = chrome()
    yield browser
    browser.quit()


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
