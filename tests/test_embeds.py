"""Public embeds through Flask's test client: validation, headers, data, escaping, export.

Expected figures come from direct SQL over the snapshot, never from the embed code.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

from dashboard.embed.catalogue import CHARTS
from dashboard.embed.headers import frame_ancestors
from snapshot import client_of, sql

HOSTILE = [
    "/embed/<script>alert(1)</script>",
    "/embed/world-map?year=<script>alert(1)</script>",
    "/embed/world-map?year=2020' OR 1=1 --",
    "/embed/world-map?year=' OR 1=1 --",
    "/embed/funding-by-year?country=' OR 1=1 --",
    "/embed/funding-by-year?country=../../etc/passwd",
    "/embed/world-map?lang=../fr",
    "/embed/..%2F..%2Fetc%2Fpasswd",
    "/embed/world-map.csv?year=../../x",
    "/embed/static/../../pyproject.toml",
    "/embed/world-map?year=99999999999999999999999999999999",
    "/embed/world-map?year=9999",
    "/embed/world-map?year=-1",
    "/embed/world-map?year=1e9",
    "/embed/kpi?indicator=value; drop table kpis",
    "/embed/kpi?indicator=" + "a" * 10_000,
    "/embed/world-map?year=2020&year=2021",
    "/embed/world-map?country=MLI",  # a real filter, on a chart that does not take it
    "/embed/world-map?lang=de",
    "/embed/funding-by-year?country=ZZZ",
    "/embed/flows.zip?year=1900",
    "/embed/?chart=<script>",
]


# `serving` and `client` are the session fixtures of conftest.py.


def _copy(serving: Path, tmp_path: Path, *statements: str) -> Path:
    """A changed copy of the snapshot (the served file itself is never written)."""
    copy = tmp_path / "serving.duckdb"
    shutil.copy(serving, copy)
    with duckdb.connect(str(copy)) as conn:
        for statement in statements:
            conn.execute(statement)
    return copy


# ---- every chart, both languages


@pytest.mark.parametrize("slug", list(CHARTS))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_chart_page_has_title_description_table_source_and_data_links(client, serving, slug, lang):
    response = client.get(f"/embed/{slug}?lang={lang}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert re.search(r'<h1 class="embed-title" id="embed-title">[^<]+</h1>', html)
    description = re.search(r'<p class="embed-description" id="embed-description">([^<]+)</p>', html).group(1)
    assert len(description) > 20
    built_at = sql(serving, "select cast(built_at as date), snapshot_version from manifest limit 1")[0]
    assert built_at[1] in html and str(built_at[0].year) in html  # the source line names the snapshot
    assert f'href="/embed/{slug}.csv?' in html and f'href="/embed/{slug}.zip?' in html
    csv_rows = list(csv.DictReader(io.StringIO(client.get(f"/embed/{slug}.csv?lang={lang}").get_data(as_text=True))))
    assert html.count("<tr><th scope=\"row\">") == len(csv_rows) > 0  # the table fallback shows every row
    if CHARTS[slug].figure is not None:
        assert '<script src="/embed/static/plotly.min.js?v=' in html
        assert 'id="embed-figure"' in html
        # the toolbar's French words come from this server, on French pages only
        assert ('<script src="/embed/static/plotly-locale-fr.js?v=' in html) == (lang == "fr")
    assert "http://" not in html and "https://" not in html  # nothing fetched from elsewhere


PAGES = {"funding-by-year": "/flows", "world-map": "/world", "flows": "/flows", "sectors": "/sectors",
         "jobs-by-departement": "/at-home", "campaign-reach": "/at-home", "kpi": "/"}


@pytest.mark.parametrize("slug", list(CHARTS))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_embed_names_its_publisher_and_links_back_to_its_dashboard_page(client, serving, slug, lang):
    year = sql(serving, "select max(year) from funding")[0][0]
    query = {"lang": lang}
    if "years" in CHARTS[slug].params:
        query["years"] = str(year)
    if slug == "funding-by-year":
        query["country"] = "MLI"
    html = client.get(f"/embed/{slug}?" + "&".join(f"{k}={v}" for k, v in query.items())).get_data(as_text=True)
    publisher = re.search(r'<p class="embed-publisher" id="embed-publisher">([^<]+)', html).group(1)
    assert "Région — programme de solidarité internationale" in publisher
    assert publisher.startswith("Éditeur\u00a0: " if lang == "fr" else "Publisher: ")
    link = re.search(r'<a id="embed-dashboard" href="([^"]+)" target="_blank" rel="noopener">', html)
    assert link, "no link back to the dashboard"
    target = link.group(1).replace("&amp;", "&")
    path, _, rest = target.partition("?")
    assert path == PAGES[slug]
    params = dict(p.split("=") for p in rest.split("#")[0].split("&") if p) if rest else {}
    expected = {}
    if "years" in query:
        expected["years"] = query["years"]
    if "country" in query:
        expected["country"] = "MLI"
    if lang == "en":
        expected["lang"] = "en"
    assert params == expected  # the same filters, as the dashboard writes them
    assert client.get(target.split("#")[0]).status_code == 200
    hidden = "(s&#39;ouvre dans un nouvel onglet)" if lang == "fr" else "(opens in a new tab)"
    assert f'<span class="visually-hidden"> {hidden}</span></a>' in html  # a screen reader is told


def test_embed_toolbar_is_the_dashboards_and_speaks_the_page_language(client):
    from dashboard.figures import MODEBAR_BUTTONS

    for lang in ("fr", "en"):
        html = client.get(f"/embed/world-map?year=2020&lang={lang}").get_data(as_text=True)
        config = json.loads(re.search(r'id="embed-config">(.*?)</script>', html).group(1))
        assert config["modeBarButtons"] == [list(MODEBAR_BUTTONS)] == [["toImage", "resetViews"]]
        assert config["locale"] == lang and config["displaylogo"] is False
        assert config["showSendToCloud"] is False and config["showEditInChartStudio"] is False
        assert config["topojsonURL"] == "/embed/static/topojson/"
    locale = client.get("/embed/static/plotly-locale-fr.js")
    assert locale.status_code == 200 and locale.headers["Content-Type"].startswith("text/javascript")
    assert "'Download plot as a PNG': 'Télécharger le graphique en fichier PNG'" in locale.get_data(as_text=True)


def test_french_and_english_descriptions_differ(client):
    fr = client.get("/embed/world-map?year=2020&lang=fr").get_data(as_text=True)
    en = client.get("/embed/world-map?year=2020&lang=en").get_data(as_text=True)
    assert "engagés" in fr and "committed" in en


# ---- data: CSV totals against direct SQL


def _csv(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_csv_totals_equal_sql_over_the_snapshot(client, serving):
    total = sql(serving, "select sum(committed_eur), sum(disbursed_eur) from funding")[0]
    rows = _csv(client, "/embed/funding-by-year.csv")
    assert sum(float(r["committed_eur"]) for r in rows) == pytest.approx(float(total[0]), rel=1e-9)
    assert sum(float(r["disbursed_eur"]) for r in rows) == pytest.approx(float(total[1]), rel=1e-9)

    by_year = dict(sql(serving, "select year, sum(committed_eur) from funding group by year"))
    for year in (2016, 2020, 2024):
        for slug in ("world-map", "flows", "sectors"):
            rows = _csv(client, f"/embed/{slug}.csv?year={year}")
            assert sum(float(r["committed_eur"]) for r in rows) == pytest.approx(float(by_year[year]), rel=1e-9), slug

    country = sql(serving, "select location_code, sum(committed_eur) as s from funding "
                            "where location_kind = 'country' group by 1 order by s desc limit 1")[0]
    rows = _csv(client, f"/embed/funding-by-year.csv?country={country[0].lower()}")
    assert sum(float(r["committed_eur"]) for r in rows) == pytest.approx(float(country[1]), rel=1e-9)

    jobs = sql(serving, "select sum(headcount) from jobs_by_departement where year = 2022")[0][0]
    assert sum(int(r["headcount"]) for r in _csv(client, "/embed/jobs-by-departement.csv?year=2022")) == jobs
    people = sql(serving, "select sum(participants) from campaign_reach where year = 2019")[0][0]
    assert sum(int(r["participants"]) for r in _csv(client, "/embed/campaign-reach.csv?year=2019")) == people
    value = sql(serving, "select value from kpis where year = 2021 and indicator = 'ngos_funded'")[0][0]
    rows = _csv(client, "/embed/kpi.csv?year=2021&indicator=ngos_funded")
    assert [float(r["value"]) for r in rows] == [value]


def test_zip_holds_data_metadata_and_citation(client, serving):
    version, built_at = sql(serving, "select snapshot_version, cast(built_at as varchar) from manifest limit 1")[0]
    response = client.get("/embed/sectors.zip?year=2023&lang=en")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == ["CITATION.txt", "README.txt", "data.csv", "datapackage.json"]
    assert archive.read("data.csv") == client.get("/embed/sectors.csv?year=2023&lang=en").data
    meta = json.loads(archive.read("datapackage.json"))
    assert meta["x_solidarity"]["snapshot_version"] == version
    assert meta["x_solidarity"]["filters"] == {"years": "2023", "lang": "en"}
    assert [f["name"] for f in meta["resources"][0]["schema"]["fields"]] == next(
        csv.reader(io.StringIO(archive.read("data.csv").decode())))
    citation = archive.read("CITATION.txt").decode()
    # an embed pasted with the older word `year` cites the canonical URL, in the pages' word
    assert version in citation and "/embed/sectors?years=2023&lang=en" in citation
    assert client.get("/embed/sectors.zip?year=2023&lang=en").data == response.data  # same snapshot, same bytes
    assert client.get("/embed/sectors.zip?years=2023&lang=en").data == response.data  # one request, two words


def test_older_year_links_keep_working_as_years(client):
    old, new = client.get("/embed/flows?year=2021"), client.get("/embed/flows?years=2021")
    assert old.status_code == new.status_code == 200
    assert old.headers["ETag"] == new.headers["ETag"] and old.data == new.data
    assert 'href="/flows?years=2021#flows-sankey"' in new.get_data(as_text=True)
    both = client.get("/embed/flows?year=2021&years=2021")
    assert both.status_code == 400 and both.get_data(as_text=True) == "Parameter years given more than once.\n"
    # one year: a range is the pages' word but not an embed's
    assert client.get("/embed/flows?years=2020-2021").status_code == 400


# ---- headers


ROUTES = ["/embed/", "/embed/world-map", "/embed/kpi?lang=en", "/embed/flows.csv", "/embed/flows.zip",
          "/embed/static/embed.js", "/embed/nope", "/embed/world-map?year=1"]


@pytest.mark.parametrize("url", ROUTES)
def test_csp_and_no_cookies_on_every_response(client, url):
    response = client.get(url)
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
    assert "Set-Cookie" not in response.headers
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_frame_ancestors_from_configuration(serving, monkeypatch):
    monkeypatch.setenv("SOLIDARITY_FRAME_ANCESTORS", "https://www.partner.example 'self'")
    response = client_of(serving).get("/embed/world-map")
    assert "frame-ancestors https://www.partner.example 'self'" in response.headers["Content-Security-Policy"]
    for bad in ("*; script-src *", "https://a.example\nX-Injected: 1", "https://a.example,https://b.example"):
        with pytest.raises(ValueError):
            frame_ancestors(bad)


def test_cache_headers_etag_and_304(client):
    first = client.get("/embed/flows?year=2020")
    assert first.headers["Cache-Control"] == "public, no-cache"
    tag = first.headers["ETag"]
    again = client.get("/embed/flows?year=2020", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == tag and "frame-ancestors" in again.headers["Content-Security-Policy"]
    other = client.get("/embed/flows?year=2021")
    assert other.headers["ETag"] != tag
    assert client.get("/embed/flows?year=2021", headers={"If-None-Match": tag}).status_code == 200
    # the same view asked with its defaults spelled out is the same resource
    assert client.get("/embed/flows?year=2020&lang=fr").headers["ETag"] == tag
    static = client.get("/embed/static/plotly.min.js?v=" + first.get_data(as_text=True).split("plotly.min.js?v=")[1][:12])
    assert static.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_new_snapshot_changes_every_etag(serving, tmp_path):
    old = client_of(serving).get("/embed/world-map?year=2020")
    copy = _copy(serving, tmp_path, "update manifest set snapshot_version = 'next-version'")
    new = client_of(copy).get("/embed/world-map?year=2020", headers={"If-None-Match": old.headers["ETag"]})
    assert new.status_code == 200 and new.headers["ETag"] != old.headers["ETag"]
    assert "next-version" in new.get_data(as_text=True)


# ---- hostile input


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_parameters_are_a_clear_4xx_never_a_500(client, url):
    response = client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "<script" not in body and "OR 1=1" not in body and "passwd" not in body
    if url.startswith("/embed/") and "%2F" not in url and url.count("/") == 2:
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert len(body.strip()) > 10  # a sentence, not an empty error


def test_text_from_the_data_is_escaped(serving, tmp_path):
    code = sql(serving, "select location_code from funding where location_kind = 'country' and year = 2020 "
                         "group by 1 order by sum(committed_eur) desc limit 1")[0][0]
    evil = "<img src=x onerror=alert(1)>&<script>alert(2)</script>"
    copy = _copy(serving, tmp_path, f"update countries set name_fr = '{evil}' where alpha3 = '{code}'",
                 f"update funding set programme = '{evil}' where year = 2020 and location_code = '{code}'")
    client = client_of(copy)
    for url in ("/embed/world-map?year=2020", "/embed/flows?year=2020", f"/embed/funding-by-year?country={code}",
                f"/embed/?chart=funding-by-year&country={code}"):
        html = client.get(url).get_data(as_text=True)
        assert "<img" not in html and "<script>alert" not in html, url
    page = client.get("/embed/world-map?year=2020").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page  # the table shows the text as text
    figure = page.split('id="embed-figure">')[1].split("</script>")[0]
    assert "\\u003cimg" not in figure and "\\u0026lt;img" in figure  # plotly.js gets an entity, not a tag


def test_sample_snapshot_is_labelled(serving, tmp_path):
    banner = "Données d&#39;exemple générées"  # as HTML writes the apostrophe
    real = client_of(_copy(serving, tmp_path, "update manifest set is_sample = false"))
    assert banner not in real.get("/embed/kpi").get_data(as_text=True)
    (tmp_path / "sample").mkdir()
    sample = client_of(_copy(serving, tmp_path / "sample", "update manifest set is_sample = true"))
    for slug in CHARTS:
        assert banner in sample.get(f"/embed/{slug}").get_data(as_text=True), slug
    archive = zipfile.ZipFile(io.BytesIO(sample.get("/embed/kpi.zip").data))
    assert json.loads(archive.read("datapackage.json"))["x_solidarity"]["is_sample"] is True


# ---- builder


def test_builder_offers_the_snapshot_choices_and_a_working_snippet(client, serving):
    response = client.get("/embed/?chart=funding-by-year&country=MLI&lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "frame-src 'self'" in response.headers["Content-Security-Policy"]
    for slug in CHARTS:
        assert f'<option value="{slug}"' in html
    countries = [c for (c,) in sql(serving, "select distinct location_code from funding where location_kind = 'country'")]
    assert all(f'<option value="{c}"' in html for c in countries)
    assert '<iframe id="builder-preview" src="/embed/funding-by-year?country=MLI&amp;lang=en"' in html
    snippet = html.split('<textarea id="builder-snippet" readonly>')[1].split("</textarea>")[0]
    assert "&lt;iframe src=&#34;http://localhost/embed/funding-by-year?country=MLI&amp;lang=en&#34;" in snippet
    assert "solidarity-embed:height" in snippet and "e.origin !== &#34;http://localhost&#34;" in snippet
    years = client.get("/embed/?chart=campaign-reach").get_data(as_text=True)
    expected = [y for (y,) in sql(serving, "select distinct year from campaign_reach order by 1")]
    assert re.findall(r'<option value="(\d{4})"', years) == [str(y) for y in expected]


# ---- static export


def test_static_export_is_self_contained(serving, tmp_path):
    import plotly

    from dashboard.embed.export import export_embeds

    out = tmp_path / "export"
    dashboard = "https://donnees.region.example/solidarite/"
    with pytest.raises(ValueError):
        export_embeds(out, serving, "javascript:alert(1)")
    written = export_embeds(out, serving, dashboard)
    pages = sorted(p.name for p in out.glob("*.html"))
    assert pages == sorted(["index.html", *(f"{slug}.{lang}.html" for slug in CHARTS for lang in ("fr", "en"))])
    vendor = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert (out / "plotly.min.js").read_bytes() == vendor.read_bytes()  # the library, unchanged
    assert (out / "topojson" / "world_110m.json").exists()
    assert (out / "plotly-locale-fr.js").exists()
    url = re.compile(rb"(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
    # the one address a page names: its dashboard page, a link (a new tab), never fetched
    back = re.compile(rb'<a id="embed-dashboard" href="https://donnees\.region\.example/solidarite/[^"]*" '
                      rb'target="_blank" rel="noopener">')
    for path in written:
        if path.name == "plotly.min.js":
            continue  # vendored: its source names tile servers for map types never used here
        blobs = [path.read_bytes()]
        if path.suffix == ".zip":
            blobs = [zipfile.ZipFile(path).read(n) for n in zipfile.ZipFile(path).namelist()]
        for blob in blobs:
            blob = back.sub(b"", blob)
            assert not url.search(blob), (path.name, url.search(blob))
    for page in out.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        for ref in re.findall(r'(?:src|href)="([^"#]+)"', html):
            if ref.startswith(dashboard):
                continue
            if not ref.startswith("data:"):
                assert (out / ref).exists(), (page.name, ref)  # every file a page names is beside it
        if page.name != "index.html":
            assert "Région — programme de solidarité internationale" in html
            assert len(back.findall(html.encode())) == 1, page.name
    flows = (out / "flows.en.html").read_text(encoding="utf-8")
    latest = sql(serving, "select max(year) from funding")[0][0]
    assert (f'href="{dashboard}flows?years={latest}&amp;lang=en#flows-sankey" target="_blank" rel="noopener"'
            in flows)
    assert f'href="{dashboard}?years=' in (out / "kpi.fr.html").read_text(encoding="utf-8")
    world = (out / "world-map.fr.html").read_text(encoding="utf-8")
    assert '<script src="world_110m.js"></script>' in world  # geometry preloaded: no fetch, works from disk
    rows = list(csv.DictReader((out / "data" / "funding-by-year.fr.csv").open(encoding="utf-8")))
    assert sum(float(r["committed_eur"]) for r in rows) == pytest.approx(
        float(sql(serving, "select sum(committed_eur) from funding")[0][0]), rel=1e-9)


def test_dash_is_set_up_before_the_first_request(tmp_path):
    """Dash's first-request set-up ran twice when several embeds were the server's first requests
    ("dictionary changed size during iteration"): create_app runs it once, and Flask still takes hooks."""
    from dashboard.app import create_app

    app = create_app(tmp_path / "no-snapshot.duckdb")
    assert app._got_first_request == {"pages": True, "setup_server": True}
    assert not app.server._got_first_request
    app.server.after_request(lambda response: response)  # what server.production_app does next
