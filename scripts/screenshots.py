"""`make screenshots`: a PNG of every dashboard page (French, plus a filtered and an English view).

Serves the app in this process against a snapshot (SOLIDARITY_SERVING, or --serving; when
none exists, the sample is written and materialised into a temporary folder first) and
drives Debian's headless Chromium through Selenium. Also fails loudly if a page asked
for anything outside the app's own host.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

PAGES = {
    "overview": "/",
    "flows": "/flows",
    "flows-mali": "/flows?country=MLI&years=2020-2025",
    "world": "/world",
    "sectors": "/sectors",
    "outcomes": "/outcomes",
    "at-home": "/at-home",
    "grants": "/grants",
    "data-quality": "/data-quality",
    "world-en": "/world?lang=en&measure=disbursed_eur",
}


def ensure_snapshot(serving: Path | None) -> Path:
    from pipelines.settings import serving_path

    path = serving or serving_path()
    if path.exists():
        return path
    from pipelines.run import materialize_all
    from pipelines.sample import write_sample

    work = Path(tempfile.mkdtemp(prefix="solidarity-shots-"))
    write_sample(work / "raw", scale=1, seed=2026)
    materialize_all(work / "raw", work / "warehouse.duckdb", work / "serving.duckdb")
    return work / "serving.duckdb"


def driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--window-size=1280,1000", "--hide-scrollbars"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--serving", type=Path, default=None)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    import logging

    from werkzeug.serving import make_server

    from dashboard.app import create_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per page, not per request
    app = create_app(ensure_snapshot(args.serving))
    server = make_server("127.0.0.1", args.port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{args.port}"
    args.out.mkdir(parents=True, exist_ok=True)
    browser = driver()
    foreign: set[str] = set()
    try:
        for name, path in PAGES.items():
            browser.get(base + path)
            _wait_rendered(browser)
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.set_window_size(1280, min(max(height, 800), 6000))
            time.sleep(0.5)  # let plotly re-lay out at the new size
            browser.save_screenshot(str(args.out / f"{name}.png"))
            entries = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
            foreign |= {u for u in entries if urlparse(u).hostname not in ("127.0.0.1", "localhost", None)}
            browser.set_window_size(1280, 1000)
            print(f"{args.out / (name + '.png')}  {path}")
    finally:
        browser.quit()
        server.shutdown()
    if foreign:
        raise SystemExit(f"requests left the app's host: {sorted(foreign)}")


def _wait_rendered(browser, timeout: float = 30) -> None:
    # Dash is done when its loading marker is gone and the page container has content
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready = browser.execute_script(
            "return !document.querySelector('[data-dash-is-loading=\"true\"]') && "
            "!!document.querySelector('#_pages_content') && document.querySelector('#_pages_content').innerText.length > 0"
        )
        if ready:
            time.sleep(1.5)  # plotly draws after Dash settles
            return
        time.sleep(0.2)


if __name__ == "__main__":
    main()
