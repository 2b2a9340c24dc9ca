"""Constant euros (issue 15): `euros=constant` shows money in euros of the latest year with an
INSEE consumer price index, on pages, downloads and embeds alike.

Expected figures are computed here another way: the index read from the shipped CSV with the
csv module, the snapshot's nominal amounts read row by row, both as Decimal, and the
deflation written out (amount × latest index / its year's index); never through
`dashboard.constant_euros`' SQL. A year without an index keeps its nominal amount and is named.
"""

from __future__ import annotations

import csv
import json
import shutil
import threading
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from dash_pages import nav

CPI_CSV = Path(__file__).resolve().parents[1] / "data" / "reference" / "consumer_prices.csv"
CENT = Decimal("0.01")


def _cpi() -> dict[int, Decimal]:
    with CPI_CSV.open(newline="", encoding="utf-8") as handle:
        return {int(row["year"]): Decimal(row["cpi"]) for row in csv.DictReader(handle)}


def _dec(value) -> Decimal:
    """A snapshot amount as Decimal: as stored when DECIMAL, a float as it prints."""
    return value if isinstance(value, Decimal) else Decimal(repr(float(value)))


def _nominal_by_year(serving: Path, sql: str) -> dict[int, Decimal]:
    """Per year, the sum of a money column's rows, in Decimal (each row's float as it prints)."""
    totals: dict[int, Decimal] = {}
    with duckdb.connect(str(serving), read_only=True) as conn:
        for year, amount in conn.execute(sql).fetchall():
            if amount is not None:
                totals[year] = totals.get(year, Decimal(0)) + _dec(amount)
    return totals


def _deflated(nominal: dict[int, Decimal], cpi: dict[int, Decimal]) -> dict[int, Decimal]:
    base = cpi[max(cpi)]
    return {year: (amount * base / cpi[year]) if year in cpi else amount for year, amount in nominal.items()}


@pytest.fixture(scope="module")
def app_client(built):
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    app = create_app(serving)
    http = app.server.test_client()
    http.get("/")
    return app, http, serving


def _download(http, url: str) -> list[dict[str, str]]:
    answer = http.get(url)
    assert answer.status_code == 200, url
    return list(csv.DictReader(answer.get_data(as_text=True).splitlines()))


def test_deflated_totals_equal_an_independent_computation(app_client):
    """Per year and in all, the download of the flows page in constant euros equals the snapshot's
    nominal amounts × latest index / year's index; the base year is the CSV's latest; the
    grants page's total and the overview's committed card say the same deflated money."""
    from dashboard.i18n import euros_short

    app, http, serving = app_client
    cpi = _cpi()
    base_year = max(cpi)
    committed = _deflated(_nominal_by_year(serving, "select year, committed_eur from funding"), cpi)
    disbursed = _deflated(_nominal_by_year(serving, "select year, disbursed_eur from funding"), cpi)
    rows = _download(http, "/download/funding_by_year.csv?euros=constant")
    assert {int(r["year"]) for r in rows} == set(committed)
    for row in rows:
        year = int(row["year"])
        assert abs(Decimal(row["committed_eur"]) - committed[year]) <= CENT, year
        assert abs(Decimal(row["disbursed_eur"]) - disbursed[year]) <= CENT, year
    # the file names its basis
    assert {r["meta_euros"] for r in rows} == {f"euros constants {base_year} (indice des prix à la consommation "
                                               f"INSEE, série 001764363)"}
    nominal_rows = _download(http, "/download/funding_by_year.csv")
    assert "meta_euros" not in nominal_rows[0]
    earliest = min(committed)
    assert Decimal(rows[0]["committed_eur"]) > Decimal(nominal_rows[0]["committed_eur"])  # prices rose since
    assert int(rows[0]["year"]) == earliest

    # the grants, row by row (each row rounded to the cent in the file: half a cent each at most)
    grants = _deflated(_nominal_by_year(serving, "select year, amount_eur from grants_public"), cpi)
    grant_rows = _download(http, "/download/grants.csv?euros=constant")
    assert abs(sum(Decimal(r["amount_eur"]) for r in grant_rows) - sum(grants.values())) <= (
        Decimal("0.005") * len(grant_rows) + CENT)
    pages = {p["path"]: p for p in __import__("dash").page_registry.values()}
    with app.server.test_request_context():
        at_home = pages["/at-home"]["layout"](euros="constant")
        assert _find(at_home, "at-home-money").children.endswith(euros_short(float(sum(committed.values())), "fr"))
        switch = json.dumps(_find(at_home, "euros-switch").to_plotly_json(), default=_plain, ensure_ascii=False)
        assert f"Euros constants {base_year}" in switch and f"euros constants {base_year} :" in switch.lower()
        cards = _deflated(_nominal_by_year(serving, "select year, value from kpis where indicator = 'committed_eur'"),
                          cpi)
        kpi_year = min(cards)
        overview = pages["/"]["layout"](years=str(kpi_year), euros="constant")
        assert _find(overview, "kpi-committed_eur").children == euros_short(float(cards[kpi_year]), "fr")


def test_latest_year_unchanged_and_a_year_without_index_stays_nominal(built, tmp_path):
    """Euros of the base year are themselves: the base year's amounts do not move. A year whose
    index is missing keeps its nominal amount (never another year's factor) and is named."""
    from dashboard import constant_euros, data
    from dashboard.filters import parse

    _, _, serving = built
    cpi = _cpi()
    allowed = data.filter_allowlists(serving)
    nominal = data.funding_by_year(parse({}, allowed), path=serving)
    constant = data.funding_by_year(parse({"euros": "constant"}, allowed), path=serving)
    base = max(cpi)
    assert allowed.price_base == base
    for frame in (nominal, constant):
        assert base in frame["year"].to_list()
    pick = {r["year"]: r for r in nominal.iter_rows(named=True)}, {r["year"]: r for r in constant.iter_rows(named=True)}
    assert pick[1][base]["committed_eur"] == pick[0][base]["committed_eur"]
    kpi_now = data.kpis(base, path=serving).filter(data.pl.col("unit") == "EUR")
    kpi_constant = data.kpis(base, path=serving, filters=parse({"euros": "constant"}, allowed)).filter(
        data.pl.col("unit") == "EUR")
    assert kpi_now["value"].to_list() == kpi_constant["value"].to_list()

    # a copy of the snapshot where one year has no index yet
    copy = tmp_path / "serving.duckdb"
    shutil.copyfile(serving, copy)
    missing = sorted(pick[0])[len(pick[0]) // 2]
    assert missing != base
    with duckdb.connect(str(copy)) as conn:
        conn.execute("delete from consumer_prices where year = ?", [missing])
    assert constant_euros.unindexed_years(copy) == [missing]
    allowed_copy = data.filter_allowlists(copy)
    deflated = {r["year"]: r for r in data.funding_by_year(parse({"euros": "constant"}, allowed_copy),
                                                           path=copy).iter_rows(named=True)}
    assert deflated[missing]["committed_eur"] == pick[0][missing]["committed_eur"]
    other = min(pick[0])
    expected = _dec(pick[0][other]["committed_eur"]) * cpi[base] / cpi[other]
    assert abs(_dec(deflated[other]["committed_eur"]) - expected) <= CENT


def test_the_parameter_survives_navigation_and_an_unknown_value_is_ignored(app_client):
    from dashboard import data
    from dashboard.filters import merge, parse

    _, http, serving = app_client
    with duckdb.connect(str(serving), read_only=True) as conn:
        country, year = conn.execute(
            "select location_code, max(year) from funding where location_kind = 'country' "
            "group by 1 order by sum(committed_eur) desc limit 1").fetchall()[0]
    hrefs, switch = nav(http, "/world", f"?years={year}&euros=constant&lang=en")
    assert len(hrefs) >= 8
    for href in hrefs:
        assert parse_qs(urlsplit(href).query) == {"years": [str(year)], "euros": ["constant"], "lang": ["en"]}, href
    assert parse_qs(urlsplit(switch).query) == {"years": [str(year)], "euros": ["constant"], "lang": ["fr"]}
    # a click on a chart (a country) keeps it too
    allowed = data.filter_allowlists(serving)
    clicked = parse_qs(merge(f"?euros=constant&years={year}", f"country={country}", allowed).lstrip("?"))
    assert clicked == {"years": [str(year)], "country": [country], "euros": ["constant"]}

    # unknown values are dropped, never passed on
    for bogus in ("Constant", "constante", "<script>", "1"):
        assert parse({"euros": bogus}, allowed).euros == "current"
        hrefs, _ = nav(http, "/flows", f"?euros={bogus}&years={year}")
        assert all(parse_qs(urlsplit(h).query) == {"years": [str(year)]} for h in hrefs)
    # embeds speak the same word, strictly (an embed refuses what it does not know)
    page = http.get(f"/embed/world-map?year={year}&euros=constant")
    assert page.status_code == 200 and f"Euros constants {max(_cpi())}" in page.get_data(as_text=True)
    assert http.get(f"/embed/world-map?year={year}&euros=bogus").status_code == 400
    assert http.get(f"/embed/jobs-by-departement?year={year}&euros=constant").status_code == 400  # no money
    embed_csv = http.get("/embed/funding-by-year.csv?euros=constant").get_data(as_text=True)
    page_csv = _download(http, "/download/funding_by_year.csv?euros=constant")
    embed_rows = list(csv.DictReader(embed_csv.splitlines()))
    assert [r["committed_eur"] for r in embed_rows] == [r["committed_eur"] for r in page_csv]


def test_the_switch_works_by_keyboard_in_chromium(app_client):
    """Tab to "Euros constants", press Enter: the URL says so and the committed card shows the
    deflated amount (computed here from the CSV and the snapshot)."""
    from selenium import webdriver
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait
    from werkzeug.serving import make_server

    from dashboard.i18n import euros_short

    app, _, serving = app_client
    # the earliest year: the latest is the base, whose money does not move
    cards = _deflated(_nominal_by_year(serving, "select year, value from kpis where indicator = 'committed_eur'"),
                      _cpi())
    year = min(cards)
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--window-size=1280,1000"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options)
    try:
        driver.get(f"http://127.0.0.1:{httpd.server_port}/?years={year}")
        # Dash replaces the card's element when it re-renders: a reference found a moment before
        # can be stale by the time its text is read (seen in CI), so the wait reads it again
        wait = WebDriverWait(driver, 30, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
        before = wait.until(lambda d: d.find_element(By.ID, "kpi-committed_eur").text)
        body = driver.find_element(By.TAG_NAME, "body")
        body.click()
        reached = None
        for _ in range(80):  # the keyboard walks the page until the switch has the focus
            driver.switch_to.active_element.send_keys(Keys.TAB)
            reached = driver.switch_to.active_element.get_attribute("id")
            if reached == "euros-constant":
                break
        assert reached == "euros-constant"
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        wait.until(lambda d: "euros=constant" in d.current_url)
        expected = euros_short(float(cards[year]), "fr")
        wait.until(lambda d: d.find_element(By.ID, "kpi-committed_eur").text == expected)
        assert expected != before
        assert f"years={year}" in driver.current_url  # the year shown is kept
    finally:
        driver.quit()
        httpd.shutdown()


def _plain(value):
    return value.to_plotly_json() if hasattr(value, "to_plotly_json") else str(value)


def _find(component, wanted: str):
    if getattr(component, "id", None) == wanted:
        return component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, (list, tuple)) else [children]:
        if hasattr(child, "children") or hasattr(child, "id"):
            found = _find(child, wanted)
            if found is not None:
                return found
    return None
