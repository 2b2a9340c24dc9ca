"""Every officials' page on a phone (390×844) and a desktop (1366×900), in headless Chromium (issue 15).

The phone is first-class: at 390 px no page is wider than the screen (its tables and the
grants grid scroll inside their own box), every chart is drawn as wide as its block and,
on the phone, as wide as the page (charts stacked, maps at least 300 px wide and of a
height worth reading), nothing a chart draws (a Sankey label, a legend, a colour bar, a
note) sticks out of it, and the toolbar covers no legend. The same holds at desktop width.
Each page is opened once by its address (French) and once through the navigation, inside
the app (English); across the whole session the console has no error and the browser asks
nothing of another host (Chromium's network log).

Sizes are read from the browser (getBoundingClientRect), never written here: a chart's box
is compared with its block's, the page's width with the window's.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from servers import chromium_window, requested_urls, serving_thread

pytestmark = pytest.mark.browser

PAGES = ["/", "/flows", "/world", "/sectors", "/outcomes", "/at-home", "/grants", "/data-quality"]
PHONE, DESKTOP = (390, 844), (1366, 900)
NARROW = 640  # style.css: the phone's layout up to this width

# The page's geometry once Dash and plotly are done: null while anything is still drawing.
MEASURE = """
function box(e) { var b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }
if (document.querySelector('[data-dash-is-loading="true"]')) return null;
var content = document.querySelector('#_pages_content h2');
if (!content) return null;
var figures = Array.from(document.querySelectorAll('.chart-figure'));
var plots = Array.from(document.querySelectorAll('.js-plotly-plot')).filter(function (p) {
  return p.offsetParent !== null; });
if (plots.some(function (p) { return !p.querySelector('.main-svg') || !p.querySelector('.modebar'); })) return null;
var main = document.getElementById('_pages_content');
return {
  path: location.pathname, search: location.search, title: content.textContent,
  innerWidth: window.innerWidth,
  scrollWidth: Math.max(document.documentElement.scrollWidth, document.body.scrollWidth),
  main: box(main),
  figures: figures.length,
  perFigure: figures.map(function (f) {
    return Array.from(f.querySelectorAll('.js-plotly-plot')).filter(function (p) {
      return p.offsetParent !== null; }).length; }),
  grid: (function () { var g = document.querySelector('.ag-root-wrapper'); return g ? box(g) : null; })(),
  nav: Array.from(document.querySelectorAll('#nav a')).map(function (a) {
    return new URL(a.href).pathname; }),
  plots: plots.map(function (p) {
    var block = p.closest('.chart-block');
    var modebar = p.querySelector('.modebar');
    return {
      chart: block.id,
      box: box(p), block: box(block),
      map: !!p.querySelector('.geo, .choroplethlocation'),
      // what plotly draws that may run past the figure's edge
      drawn: Array.from(p.querySelectorAll('g.legend, g.colorbar, g.annotation, .sankey-node .node-label'))
        .map(function (e) { return {what: e.getAttribute('class') + ' ' + (e.textContent || '').slice(0, 40),
                                    box: box(e)}; })
        .filter(function (d) { return d.box[2] > d.box[0]; }),
      modebar: modebar && modebar.getBoundingClientRect().width ? box(modebar) : null,
      legends: Array.from(p.querySelectorAll('g.legend')).map(box)
    };
  })
};
"""


@pytest.fixture(scope="module")
def server(serving):
    from dashboard.app import create_app

    with serving_thread(create_app(serving).server) as url:
        yield url


LOGS = ("performance", "browser")  # Chrome logs the tests read


@pytest.fixture(scope="module", params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def browser(request):
    """One Chromium per width, for the whole module."""
    with chromium_window(*request.param, logs=LOGS) as driver:
        yield driver


def _measure(driver, path: str, lang: str) -> dict:
    """Wait until the page at `path` (in `lang`) is drawn and its sizes hold still, then read them."""
    last: list = [None]

    def settled(d):
        now = d.execute_script(MEASURE)
        if not now or now["path"] != path or ("lang=en" in now["search"]) != (lang == "en"):
            return False
        same = now == last[0]
        last[0] = now
        return now if same else False  # two readings alike, a poll apart: plotly has re-laid out

    return WebDriverWait(driver, 40, poll_frequency=0.4).until(settled)


def _inside(inner: list[float], outer: list[float], slack: float = 1.5) -> bool:
    return (inner[0] >= outer[0] - slack and inner[2] <= outer[2] + slack)


def _overlaps(a: list[float], b: list[float]) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def _check(page: dict, width: int) -> list[str]:
    """Every way the page fails to fit, as readable lines (empty when it fits)."""
    where = f"{width}px {page['path']}{page['search']}"
    problems = []
    if page["scrollWidth"] > page["innerWidth"]:
        problems.append(f"{where}: the page is {page['scrollWidth']} px wide in a {page['innerWidth']} px window")
    main_width = page["main"][2] - page["main"][0]
    if any(n != 1 for n in page["perFigure"]):  # the wide or the phone's drawing, never both, never none
        problems.append(f"{where}: charts shown per figure {page['perFigure']}")
    for plot in page["plots"]:
        name = f"{where} #{plot['chart']}"
        w, h = plot["box"][2] - plot["box"][0], plot["box"][3] - plot["box"][1]
        block = plot["block"][2] - plot["block"][0]
        if w < 0.9 * block:
            problems.append(f"{name}: {w:.0f} px wide in a {block:.0f} px block")
        if not _inside(plot["box"], [0, 0, page["innerWidth"], 0]):
            problems.append(f"{name}: drawn at {plot['box'][0]:.0f}–{plot['box'][2]:.0f}, off the screen")
        if width <= NARROW:
            if w < 0.9 * main_width:  # stacked: one chart across the page, none side by side
                problems.append(f"{name}: {w:.0f} px wide on a {main_width:.0f} px page")
            if plot["map"] and (w < 300 or h < 250):
                problems.append(f"{name}: a map of {w:.0f}×{h:.0f} px")
        for drawn in plot["drawn"]:
            if not _inside(drawn["box"], plot["box"]):
                problems.append(f"{name}: '{drawn['what']}' at {drawn['box'][0]:.0f}–{drawn['box'][2]:.0f} "
                                f"runs out of the chart ({plot['box'][0]:.0f}–{plot['box'][2]:.0f})")
        for legend in plot["legends"]:
            if plot["modebar"] and _overlaps(plot["modebar"], legend):
                problems.append(f"{name}: the toolbar covers the legend")
    if page["grid"]:
        grid = page["grid"][2] - page["grid"][0]
        if grid < 0.9 * main_width or not _inside(page["grid"], page["main"]):
            problems.append(f"{where}: the grants grid is {grid:.0f} px wide on a {main_width:.0f} px page")
    return problems


def _open_tables(driver) -> int:
    """Open every chart's data table (a <details>): they must scroll inside their box."""
    return driver.execute_script(
        "var d = document.querySelectorAll('details'); d.forEach(function (e) { e.open = true; });"
        "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def test_every_page_fits_the_screen_by_address_and_through_the_menu(server, browser):
    width = browser.execute_script("return window.innerWidth")
    browser.get_log("performance")  # the network log starts here
    problems: list[str] = []
    seen: dict[str, dict] = {}
    # French: each page by its address
    for path in PAGES:
        browser.get(server + path)
        page = _measure(browser, path, "fr")
        problems += _check(page, width)
        wide = _open_tables(browser)
        if wide > width:
            problems.append(f"{width}px {path}: {wide} px wide with its data tables open")
        seen[path] = page
    # English: the first page by its address, then every other one through the menu, inside the app
    browser.get(server + "/?lang=en")
    _measure(browser, "/", "en")
    moved = 0
    for path in PAGES[1:] + ["/"]:
        link = browser.find_element(By.CSS_SELECTOR, f"#nav a[href^='{path}?'], #nav a[href='{path}']")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
        before = browser.execute_script("return performance.getEntriesByType('navigation').length + ':' + "
                                        "performance.timeOrigin")
        link.click()
        page = _measure(browser, path, "en")
        after = browser.execute_script("return performance.getEntriesByType('navigation').length + ':' + "
                                       "performance.timeOrigin")
        assert after == before, f"{path}: the menu reloaded the page instead of moving inside the app"
        moved += 1
        problems += _check(page, width)
        assert page["title"] and page["title"] != seen[path]["title"], (path, page["title"])  # in English now
    assert not problems, "\n".join(problems)
    # every page the menu offers was measured, at this width, both ways
    assert set(seen["/"]["nav"]) == set(PAGES), seen["/"]["nav"]
    assert moved == len(PAGES)
    # the pages have charts to measure, each shown once: the number of figures, as the pages hold them
    assert sum(len(p["plots"]) for p in seen.values()) == sum(p["figures"] for p in seen.values()) > 0
    hosts = {urlsplit(u).netloc for u in requested_urls(browser) if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
    assert hosts == {urlsplit(server).netloc}, hosts
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not severe, severe


def test_the_phone_draws_the_sankey_in_two_columns_and_the_desktop_in_four(server, browser):
    """The phone's Sankey is programme → country (two columns of nodes), the desktop's the four
    stages; both draw the same countries, each label inside the chart."""
    width = browser.execute_script("return window.innerWidth")
    browser.get(server + "/flows")
    _measure(browser, "/flows", "fr")
    columns = browser.execute_script("""
        var plot = Array.from(document.querySelectorAll('#flows-sankey .js-plotly-plot')).filter(function (p) {
          return p.offsetParent !== null; })[0];
        var xs = Array.from(plot.querySelectorAll('.sankey-node .node-rect')).map(function (r) {
          return Math.round(r.getBoundingClientRect().left); });
        var labels = Array.from(plot.querySelectorAll('.sankey-node .node-label')).map(function (l) {
          return l.textContent; });
        return {columns: Array.from(new Set(xs)).length, labels: labels};
    """)
    assert columns["columns"] == (2 if width <= NARROW else 4), columns
    # the last column (countries and regions) is the same in both drawings: the table's
    listed = browser.execute_script("""
        return Array.from(document.querySelectorAll('#flows-sankey table tbody tr')).map(function (tr) {
          return [tr.cells[0].textContent, tr.cells[1].textContent]; });""")
    assert listed and any(node in columns["labels"] for _, node in listed)


def test_the_phone_sankey_carries_each_programme_s_money_to_the_same_nodes_as_the_desktop_s():
    """No browser: the two-column Sankey (flows.PHONE_STAGES) against the rows summed here by
    hand. Each programme's links add up to its rows; each country or region node (named or
    grouped) receives what the four-column drawing's last column receives."""
    from dashboard.charts.flows import flows_sankey

    kinds = ("ong", "collectivite", "autre", "cooperative")
    rows = [{"programme": f"Programme {i % 7}", "beneficiary_type": kinds[i % 4],
             "category_code": str(110 + i % 9), "category_name": f"Catégorie {i % 9}",
             "location_code": "unallocated" if i % 11 == 0 else f"X{i % 23:02d}", "location_name": f"Pays {i % 23}",
             "committed_eur": 1000.0 + 37 * i} for i in range(120)]
    import polars as pl

    frame = pl.DataFrame(rows)
    (phone,) = flows_sankey(frame, "fr", stages=(0, 3)).data
    (desk,) = flows_sankey(frame, "fr").data
    labels = list(phone.node.label)
    assert len(set(phone.node.x)) == 2 and len(set(desk.node.x)) == 4
    by_programme: dict[str, float] = {}
    for row in rows:
        by_programme[row["programme"]] = by_programme.get(row["programme"], 0.0) + row["committed_eur"]
    out: dict[str, float] = {}
    into: dict[str, float] = {}
    for s, t_, v in zip(phone.link.source, phone.link.target, phone.link.value):
        out[labels[s]] = out.get(labels[s], 0.0) + v
        into[labels[t_]] = into.get(labels[t_], 0.0) + v
    grouped = {k: v for k, v in out.items() if k not in by_programme}  # the programmes drawn as one "other"
    assert {k: pytest.approx(v) for k, v in out.items() if k in by_programme} == {
        k: v for k, v in by_programme.items() if k in out}
    assert sum(grouped.values()) == pytest.approx(sum(v for k, v in by_programme.items() if k not in out))
    desk_labels, desk_into = list(desk.node.label), {}
    last = max(desk.node.x)
    for t_, v in zip(desk.link.target, desk.link.value):
        if desk.node.x[t_] == last:
            desk_into[desk_labels[t_]] = desk_into.get(desk_labels[t_], 0.0) + v
    assert into == {k: pytest.approx(v) for k, v in desk_into.items()}
    assert sum(into.values()) == pytest.approx(sum(r["committed_eur"] for r in rows))
