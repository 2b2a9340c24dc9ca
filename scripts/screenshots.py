"""`make screenshots`: every dashboard page on a desktop and on a phone, as PNGs.

Each page of PAGES (French, plus a filtered and an English view) is shot twice, whole
(top to bottom): `<name>-desktop.png` at 1366 px wide and `<name>-phone.png` at 390 px
wide with a device scale of 2 (an iPhone 12-15's viewport, drawn as its screen does).

Serves the app in this process against a snapshot (SOLIDARITY_SERVING, or --serving; when
none exists, the sample is written and materialised into a temporary folder first) and
drives Debian's headless Chromium through Selenium. Fails loudly if a page asked for
anything outside the app's own host, and says which pages are wider than the screen.
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
    # the pages of one thing (issue 16): a programme, the Festival, a country profile
    "programme-fair-trade": "/programme/commerce-equitable",
    "programme-festival": "/programme/festival-des-solidarites",
    "country-burkina-faso": "/country/BFA",
    "programme-ngo-en": "/programme/soutien-aux-projets-des-ong?lang=en&years=2024",
}
# (name, CSS width, first height, device scale, mobile): the height grows to the page's
DEVICES = (("desktop", 1366, 900, 1, False), ("phone", 390, 844, 2, True))
MAX_HEIGHT = 8000  # CSS px: a longer page is cut there (Chromium's screenshots get slow and huge past it)
# --readme DIR: the two pictures README.md shows, one screen each (not the whole page), small
# enough for a repository: (file, page, device, element scrolled to the top or None)
# (the desktop 1000 px tall: the map's colour scale is in; the phone at a device scale of 1:
# at 2 the Sankey's screen is 470 kB, at 1 about 170 kB)
README_SHOTS = (("world-desktop.png", "/world", ("desktop", 1366, 1000, 1, False), None),
                ("flows-phone.png", "/flows", ("phone", 390, 844, 1, True), "#flows-sankey"),
                ("programme-desktop.png", "/programme/commerce-equitable", ("desktop", 1366, 1000, 1, False), None))


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
                 "--window-size=1366,900", "--hide-scrollbars"):
        options.add_argument(flag)
    return webdriver.Chrome(options=options)


def _emulate(browser, width: int, height: int, scale: int, mobile: bool) -> None:
    # Chromium's device emulation: the page is laid out at `width` CSS px (the viewport meta
    # tag honoured as a phone honours it) and drawn at `scale` device pixels per CSS pixel
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile})


def shoot(browser, url: str, out: Path, device: tuple) -> int:
    """One whole page at one device's width; returns how many CSS px it overflows sideways."""
    _, width, height, scale, mobile = device
    _emulate(browser, width, height, scale, mobile)
    browser.get(url)
    _wait_rendered(browser)
    full = browser.execute_script("return document.documentElement.scrollHeight")
    _emulate(browser, width, min(max(full, height), MAX_HEIGHT), scale, mobile)
    time.sleep(0.8)  # plotly re-lays out at the new size (responsive charts listen to resize)
    browser.save_screenshot(str(out))
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    return max(overflow, 0)


def readme_shot(browser, url: str, out: Path, device: tuple, anchor: str | None) -> int:
    """One screen of a page (scrolled to `anchor`), as the device shows it; returns its size in bytes."""
    import base64

    _, width, height, scale, mobile = device
    _emulate(browser, width, height, scale, mobile)
    browser.get(url)
    _wait_rendered(browser)
    if anchor:
        browser.execute_script("var e = document.querySelector(arguments[0]);"
                               "window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 8)", anchor)
        time.sleep(0.5)
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    out.write_bytes(base64.b64decode(shot["data"]))
    return out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--serving", type=Path, default=None)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--readme", type=Path, default=None,
                        help="also write README's pictures there (docs/screenshots)")
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
    too_wide: list[str] = []
    try:
        for device in DEVICES:
            for name, path in PAGES.items():
                target = args.out / f"{name}-{device[0]}.png"
                overflow = shoot(browser, base + path, target, device)
                entries = browser.execute_script(
                    "return performance.getEntriesByType('resource').map(e => e.name)")
                foreign |= {u for u in entries if urlparse(u).hostname not in ("127.0.0.1", "localhost", None)}
                if overflow:
                    too_wide.append(f"{target.name}: {overflow} px wider than the screen")
                print(f"{target}  {path}")
        if args.readme:
            args.readme.mkdir(parents=True, exist_ok=True)
            for file, path, device, anchor in README_SHOTS:
                size = readme_shot(browser, base + path, args.readme / file, device, anchor)
                foreign |= {u for u in browser.execute_script(
                    "return performance.getEntriesByType('resource').map(e => e.name)")
                    if urlparse(u).hostname not in ("127.0.0.1", "localhost", None)}
                print(f"{args.readme / file}  {path}  {size // 1024} kB")
    finally:
        browser.quit()
        server.shutdown()
    for line in too_wide:
        print(f"warning: {line}")
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
