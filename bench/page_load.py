"""Page load in a real browser: every page, desktop and phone widths, loaded directly and
reached by a click in the navigation (issue 15: "every page loads in under 2 s").

    nice -n 10 .venv/bin/python -m bench.page_load --serving data/serving.duckdb [--rounds 3]

The server is `solidarity serve` (gunicorn, as shipped), started here. The browser is
Debian's headless Chromium through Selenium, with the HTTP cache on (as a returning
reader's). A page counts as drawn when `drawn()` below holds for 150 ms: Dash has no
pending callback, the page container has content, every Plotly graph has drawn its SVG
and a grid, if any, shows rows. A direct load is timed from `driver.get` (navigation
start) to drawn; an in-app visit from the click on the page's navigation link to drawn.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import time
from pathlib import Path

from bench.common import OUT, ROOT, header, table

PAGES = ["/", "/world", "/flows", "/sectors", "/outcomes", "/at-home", "/grants", "/data-quality"]
WIDTHS = {"desktop": (1366, 900), "phone": (390, 844)}

# One home for "the page is drawn": used by this benchmark and by the browser tests.
DRAWN_JS = """
const box = document.getElementById('_pages_content');
if (!box || box.innerText.trim().length === 0) return false;
if (document.querySelector('[data-dash-is-loading="true"]')) return false;
for (const g of box.querySelectorAll('.js-plotly-plot')) { if (!g.querySelector('.main-svg')) return false; }
for (const grid of box.querySelectorAll('.ag-root')) {
  if (!grid.querySelector('.ag-row') && !grid.querySelector('.ag-overlay-no-rows-center')) return false;
}
return true;
"""


def wait_drawn(driver, start: float, timeout: float = 60.0, settle: float = 0.15) -> float:
    """Seconds from `start` (a time.perf_counter()) until the page is drawn and stays so for
    `settle` seconds; the settle time is not counted. Raises TimeoutError past `timeout`."""
    first = None
    while time.perf_counter() - start < timeout:
        if driver.execute_script(DRAWN_JS):
            first = first or time.perf_counter()
            if time.perf_counter() - first >= settle:
                return first - start
        else:
            first = None
        time.sleep(0.03)
    raise TimeoutError(f"{driver.current_url} not drawn after {timeout:.0f} s")


def chromium(width: int, height: int, logs: tuple[str, ...] = ()):
    """Debian's headless Chromium whose page is `width` CSS px wide (the window's frame is
    added when the platform draws one); `logs`: Chrome log types kept ("browser", "performance").
    One home for the benchmark and the browser tests."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--hide-scrollbars"):
        options.add_argument(flag)
    if logs:
        options.set_capability("goog:loggingPrefs", dict.fromkeys(logs, "ALL"))
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    try:
        driver.set_window_size(width, height)
        driver.get("about:blank")
        inner = driver.execute_script("return window.innerWidth")
        if inner != width:  # the window's frame: make the page itself `width` px wide
            driver.set_window_size(2 * width - inner, height)
        assert driver.execute_script("return window.innerWidth") == width
    except BaseException:
        driver.quit()
        raise
    return driver


def click_nav(driver, path: str) -> None:
    from selenium.webdriver.common.by import By

    # the nav link keeps the current filters in its query string: match on the path only
    selector = "#nav a[href='/']" if path == "/" else f"#nav a[href^='{path}']"
    links = [a for a in driver.find_elements(By.CSS_SELECTOR, selector)
             if a.get_attribute("href").split("?")[0].rstrip("/").endswith(path.rstrip("/"))]
    driver.execute_script("arguments[0].click()", links[0])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(base: str, rounds: int, pages=PAGES, widths=tuple(WIDTHS)) -> list[dict]:
    rows = []
    for width_name in widths:
        width, height = WIDTHS[width_name]
        driver = chromium(width, height)
        try:
            driver.get(base + "/")  # warm the server's per-snapshot caches once, as a running server is
            wait_drawn(driver, time.perf_counter())
            for path in pages:
                direct, in_app = [], []
                for _ in range(rounds):
                    start = time.perf_counter()
                    driver.get(base + path)
                    direct.append(wait_drawn(driver, start))
                    # then leave and come back by the navigation (the Résultats freeze showed only so)
                    other = "/grants" if path != "/grants" else "/"
                    driver.get(base + other)
                    wait_drawn(driver, time.perf_counter())
                    start = time.perf_counter()
                    click_nav(driver, path)
                    in_app.append(wait_drawn(driver, start))
                rows.append({"width": width_name, "page": path, "direct": direct, "in_app": in_app})
                print(f"{width_name:8} {path:14} direct {max(direct):.2f} s, in-app {max(in_app):.2f} s", flush=True)
        finally:
            driver.quit()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--serving", type=Path, required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--pages", nargs="*", default=PAGES, help="a subset of the pages")
    ap.add_argument("--widths", nargs="*", default=list(WIDTHS), choices=list(WIDTHS))
    args = ap.parse_args()
    port = _free_port()
    OUT.mkdir(parents=True, exist_ok=True)
    log = (OUT / "page-load-server.log").open("w")
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "solidarity"), "serve", "--serving", str(args.serving),
                               "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "SOLIDARITY_PUBLIC_URL": f"http://127.0.0.1:{port}"})
    base = f"http://127.0.0.1:{port}"
    try:
        import requests

        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if requests.get(base + "/", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        rows = measure(base, args.rounds, args.pages, args.widths)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print()
    print(header(f"Page load, {args.rounds} rounds per page and width, `solidarity serve` on {args.serving}"))
    print(table(["width", "page", "direct median (s)", "direct max (s)", "in-app median (s)", "in-app max (s)"],
                [[r["width"], f"`{r['page']}`", f"{statistics.median(r['direct']):.2f}", f"{max(r['direct']):.2f}",
                  f"{statistics.median(r['in_app']):.2f}", f"{max(r['in_app']):.2f}"] for r in rows]))


if __name__ == "__main__":
    main()
