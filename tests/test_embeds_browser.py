"""Every public embed inside an <iframe> on a page from another origin, in headless Chromium.

The dashboard server (with the embeds) listens on one port; a plain `http.server` on a
second port serves the partner's page, with the snippet the builder hands out. Each
embed must draw its chart, post its height so the parent resizes the iframe, and
download its CSV, whose totals must match a direct SQL over the snapshot.
"""

from __future__ import annotations

import csv
import functools
import http.server
import threading
import time
from pathlib import Path

import duckdb
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from dashboard.embed.builder import parent_snippet
from dashboard.embed.catalogue import CHARTS

pytestmark = pytest.mark.browser
INITIAL_HEIGHT = 123  # px: the parent's iframes start here; the embed's message must change it


def _serve(server) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def embed_server(built):
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    server = make_server("127.0.0.1", 0, create_app(serving).server, threaded=True)
    _serve(server)
    yield f"http://127.0.0.1:{server.server_port}", serving
    server.shutdown()


@pytest.fixture(scope="module")
def partner_page(embed_server, tmp_path_factory):
    """The partner's site: another port, so another origin, with one iframe per chart."""
    origin, _ = embed_server
    root = tmp_path_factory.mktemp("partner")
    frames = "\n".join(
        parent_snippet(f"{origin}/embed/{slug}", origin, slug).split("<script>")[0]
        .replace("<iframe ", f'<iframe id="frame-{slug}" ', 1)
        .replace("height:520px", f"height:{INITIAL_HEIGHT}px")
        for slug in CHARTS
    )
    listener = "<script>" + parent_snippet("x", origin, "x").split("<script>")[1]
    page = f"<!doctype html><html><head><link rel='icon' href='data:,'></head><body>{frames}{listener}</body></html>"
    (root / "index.html").write_text(page, encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    _serve(server)
    yield f"http://127.0.0.1:{server.server_port}/index.html"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--no-first-run", "--window-size=1200,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver, downloads
    driver.quit()


def _wait_for_file(folder: Path, name: str, timeout: float = 20) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path = folder / name
        if path.exists() and path.stat().st_size > 0 and not (folder / (name + ".crdownload")).exists():
            return path
        time.sleep(0.1)
    raise AssertionError(f"{name} was not downloaded; folder has {sorted(p.name for p in folder.iterdir())}")


def _expected_total(serving: Path, slug: str, year: int | None) -> tuple[str, float]:
    """What the CSV must add up to, from the snapshot's own tables."""
    sql = {
        "funding-by-year": ("committed_eur", "select sum(committed_eur) from funding"),
        "world-map": ("committed_eur", "select sum(committed_eur) from funding where year = $year"),
        "flows": ("committed_eur", "select sum(committed_eur) from funding where year = $year"),
        "sectors": ("committed_eur", "select sum(committed_eur) from funding where year = $year"),
        "jobs-by-departement": ("headcount", "select sum(headcount) from jobs_by_departement where year = $year"),
        "campaign-reach": ("participants", "select sum(participants) from campaign_reach where year = $year"),
        "kpi": ("value", "select value from kpis where indicator = 'committed_eur' and year = $year"),
    }[slug]
    with duckdb.connect(str(serving), read_only=True) as conn:
        params = {"year": year} if "$year" in sql[1] else None
        return sql[0], float(conn.execute(sql[1], params).fetchall()[0][0])


def test_every_embed_renders_resizes_and_downloads_inside_a_foreign_page(embed_server, partner_page, browser):
    origin, serving = embed_server
    driver, downloads = browser
    driver.get(partner_page)
    wait = WebDriverWait(driver, 30)
    with duckdb.connect(str(serving), read_only=True) as conn:
        latest = {t: conn.execute(f"select max(year) from {t}").fetchall()[0][0]
                  for t in ("funding", "jobs_by_departement", "campaign_reach", "kpis")}
    for slug, spec in CHARTS.items():
        frame = driver.find_element(By.ID, f"frame-{slug}")
        driver.switch_to.frame(frame)
        if spec.figure is None:
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#embed-card .embed-card-value")))
        else:  # plotly drew its SVG into the plot div
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#embed-plot[data-drawn] .main-svg")))
        assert driver.find_element(By.ID, "embed-description").text.strip()
        csv_link = driver.find_element(By.ID, "embed-csv")
        href = csv_link.get_attribute("href")
        assert href.startswith(origin + f"/embed/{slug}.csv")
        csv_link.click()
        inner_height = driver.execute_script("return Math.ceil(document.documentElement.getBoundingClientRect().height)")
        driver.switch_to.default_content()
        # the embed posted its height; the partner's listener set it on the iframe
        wait.until(lambda d: d.execute_script(f"return document.getElementById('frame-{slug}').style.height")
                   != f"{INITIAL_HEIGHT}px")
        height = driver.execute_script(f"return document.getElementById('frame-{slug}').getBoundingClientRect().height")
        assert abs(height - inner_height) <= 2, (slug, height, inner_height)
        year = None if spec.years_table is None else latest[spec.years_table]
        name = f"{slug}-{year}-committed_eur-fr.csv" if slug == "kpi" else (
            f"{slug}-fr.csv" if year is None else f"{slug}-{year}-fr.csv")
        with _wait_for_file(downloads, name).open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        column, expected = _expected_total(serving, slug, year)
        assert sum(float(r[column]) for r in rows) == pytest.approx(expected, rel=1e-9), slug
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
