"""The public surface, second round (issue 20): each probe finding, as it was found.

Texts planted in a copy of the snapshot stand for names, purposes and titles a
hostile file could carry; the expected results are read back with a spreadsheet
reader, a zip reader or a regex over the served bytes, never with the code under test.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import shutil
import time
import zipfile
from pathlib import Path

import duckdb
import fastexcel
import pytest

from snapshot import client_of

FORMULAS = ["=HYPERLINK(\"https://evil.example/\",\"Cliquez\")", "+WEBSERVICE(\"https://evil.example/\")",
            "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]
LINK = '<a href="https://evil.example/">Cliquez ici</a>'


# `serving` and `client` are the session fixtures of tests/conftest.py.


@pytest.fixture(scope="module")
def planted(serving, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A copy of the snapshot whose grants, programmes and outcomes carry formulas and a link."""
    copy = tmp_path_factory.mktemp("planted") / "serving.duckdb"
    shutil.copy(serving, copy)
    with duckdb.connect(str(copy)) as conn:
        keys = [r[0] for r in conn.execute(
            "select reference_decision from grants_public where beneficiary_type <> 'personne_physique' "
            "order by date_convention desc, reference_decision limit 6").fetchall()]
        for key, formula in zip(keys, FORMULAS):
            conn.execute("update grants_public set beneficiary_name = ?, purpose = ? where reference_decision = ?",
                         [formula, formula, key])
        first, second = [r[0] for r in conn.execute(
            "select programme from funding group by 1 order by sum(committed_eur) desc limit 2").fetchall()]
        # in every mart a page reads programmes from (the Sankey reads flows, the maps and bars
        # funding_by_country / funding_by_sector)
        marts = [r[0] for r in conn.execute(
            "select table_name from information_schema.columns where column_name = 'programme'").fetchall()]
        for mart in marts:
            conn.execute(f"update {mart} set programme = ? where programme = ?", [LINK, first])
            conn.execute(f"update {mart} set programme = ? where programme = ?", [FORMULAS[1], second])
        conn.execute("update outcomes set activity_title = ? where rowid in (select rowid from outcomes limit 3)",
                     [FORMULAS[0]])
    return copy, {"programme": first}


def _csv_cells(body: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) for cell in row]


def _live_formula(cell: str) -> bool:
    return cell[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(cell)


def _is_number(cell: str) -> bool:
    return re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", cell) is not None


# ---- 1, 2: formula injection in every spreadsheet we write

@pytest.mark.parametrize("url", ["/download/grants.csv", "/download/outcomes.csv", "/download/flows.csv",
                                 "/embed/flows.csv"])
def test_csv_downloads_carry_no_live_formula(planted, url):
    copy, _ = planted
    response = client_of(copy).get(url)
    assert response.status_code == 200
    cells = _csv_cells(response.data)
    assert not [c for c in cells if _live_formula(c)], url
    if url.startswith("/download/grants"):
        for formula in FORMULAS:  # the text is kept, made inert by one leading quote
            assert "'" + formula in cells


def test_embed_zip_data_carries_no_live_formula(planted):
    copy, _ = planted
    response = client_of(copy).get("/embed/flows.zip")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        cells = _csv_cells(archive.read("data.csv"))
    assert not [c for c in cells if _live_formula(c)]


def _sheet_formulas(xlsx: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return [m for name in archive.namelist() if name.startswith("xl/worksheets/")
                for m in re.findall(r"<f[ >].*?</f>", archive.read(name).decode("utf-8"))]


@pytest.mark.parametrize("dataset", ["grants", "outcomes", "flows"])
def test_excel_downloads_write_text_as_text(planted, dataset):
    copy, _ = planted
    response = client_of(copy).get(f"/download/{dataset}.xlsx")
    assert response.status_code == 200
    assert _sheet_formulas(response.data) == []  # no <f> element: no cell is a formula
    if dataset == "grants":
        names = fastexcel.read_excel(response.data).load_sheet("data").to_polars()["beneficiary_name"].to_list()
        assert set(FORMULAS) <= set(names)  # the exact text, as a string cell


def test_analyst_file_carries_no_live_formula(serving, tmp_path, monkeypatch):
    copy = tmp_path / "serving.duckdb"
    shutil.copy(serving, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute("update rejected_rows set value = ? where rowid in (select rowid from rejected_rows limit 5)",
                     [FORMULAS[2]])
    monkeypatch.setenv("SOLIDARITY_ANALYST_USER", "analyste")
    monkeypatch.setenv("SOLIDARITY_ANALYST_PASSWORD", "s3cret")
    monkeypatch.setenv("SOLIDARITY_LOGIN_DB", str(tmp_path / "logins.sqlite"))
    auth = {"Authorization": "Basic " + base64.b64encode(b"analyste:s3cret").decode()}
    response = client_of(copy).get("/analyst/rejected.csv", headers=auth)
    assert response.status_code == 200
    cells = _csv_cells(response.data)
    assert "'" + FORMULAS[2] in cells and not [c for c in cells if _live_formula(c)]


# ---- 3: link injection in the officials' charts

def test_chart_labels_on_pages_are_text_not_markup(planted):
    copy, names = planted
    client = client_of(copy)
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/flows"},
                       {"id": "_pages_location", "property": "search", "value": ""}],
            "changedPropIds": ["_pages_location.pathname"]}
    client.get("/")
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    strings = [s for figure in _figures(response.get_json()) for s in _strings(figure["data"])]
    assert strings
    # the Sankey's labels reach plotly.js as entities, which it draws as characters, never as a link
    assert LINK.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in strings
    assert not [s for s in strings if "<a href" in s]


def _figures(node):
    """The plotly figures inside a Dash response (descriptions and tables are React text, inert)."""
    if isinstance(node, dict):
        if isinstance(node.get("data"), list) and "layout" in node:
            yield node
        for value in node.values():
            yield from _figures(value)
    elif isinstance(node, list):
        for value in node:
            yield from _figures(value)


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


# ---- 5: open redirect

def test_a_protocol_relative_path_never_becomes_a_link(client):
    response = client.get("/", environ_overrides={"PATH_INFO": "//evil.example/"})
    assert response.status_code == 404
    body = {"output": "..app-title.children...nav.children...lang-switch.children...lang-switch.href..."
                      "sample-banner.children...sample-banner.hidden...footer.children..",
            "outputs": [{"id": i, "property": p} for i, p in (
                ("app-title", "children"), ("nav", "children"), ("lang-switch", "children"),
                ("lang-switch", "href"), ("sample-banner", "children"), ("sample-banner", "hidden"),
                ("footer", "children"))],
            "inputs": [{"id": "url", "property": "pathname", "value": "//evil.example/"},
                       {"id": "url", "property": "search", "value": ""}],
            "changedPropIds": ["url.pathname"]}
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200
    href = answer.get_json()["response"]["lang-switch"]["href"]
    assert href == "/?lang=en"
    assert "evil.example" not in answer.get_data(as_text=True)


# ---- 7: request size

def test_oversized_bodies_and_queries_are_refused_before_they_are_read(client):
    from dashboard.security import MAX_BODY_BYTES, MAX_QUERY_BYTES

    started = time.perf_counter()
    big = client.post("/_dash-update-component", data=b"{" + b" " * (100 * 1024 * 1024) + b"}",
                      content_type="application/json")
    assert big.status_code == 413 and str(MAX_BODY_BYTES) in big.get_data(as_text=True)
    assert client.get("/flows?years=" + "9" * (MAX_QUERY_BYTES + 1)).status_code == 414
    assert client.get("/embed/kpi?indicator=" + "a" * (MAX_QUERY_BYTES + 1)).status_code == 414
    assert time.perf_counter() - started < 30  # a bound against parsing 100 MB, not a speed test


# ---- 8: security headers on every response

@pytest.mark.parametrize("url", ["/", "/flows", "/data-quality", "/_dash-layout", "/_dash-dependencies",
                                 "/download/flows.csv", "/analyst/rejected.csv", "/assets/style.css", "/nope"])
def test_every_dashboard_response_carries_the_security_headers(client, url):
    client.get("/")
    response = client.get(url)
    csp = response.headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'self'" in csp and "default-src 'self'" in csp and "'unsafe-eval'" not in csp
    assert re.search(r"script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')*;", csp)  # no 'unsafe-inline' script
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_embeds_keep_their_own_frame_policy(client):
    response = client.get("/embed/kpi")
    assert response.status_code == 200
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers  # embeds are made to be framed
    assert "camera=()" in response.headers["Permissions-Policy"]


# ---- 9: a 4xx where a 4xx is due

@pytest.mark.parametrize("url", ["/nope", "/flows/nope", "/wp-login.php", "/.env", "/data-quality/../../etc/passwd"])
def test_unknown_paths_answer_404(client, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("dataset", ["data_quality", "rejected_counts", "money_reconciliation", "data_dictionary"])
def test_data_quality_downloads_answer(client, dataset):
    for fmt in ("csv", "xlsx", "parquet"):
        assert client.get(f"/download/{dataset}.{fmt}").status_code == 200


def test_a_non_ascii_digit_year_shows_the_overview(client):
    client.get("/")
    body = {"output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                       {"id": "_pages_location", "property": "search", "value": "?year=²"}],
            "changedPropIds": ["_pages_location.search"]}
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200 and "kpi" in response.get_data(as_text=True)


def _malformed_bodies() -> list:
    good = {"output": "..app-title.children...nav.children...lang-switch.children...lang-switch.href..."
                      "sample-banner.children...sample-banner.hidden...footer.children..",
            "outputs": [{"id": "app-title", "property": "children"}],
            "inputs": [{"id": "url", "property": "pathname", "value": "/"},
                       {"id": "url", "property": "search", "value": ""}],
            "changedPropIds": ["url.pathname"]}
    grid = {"output": '{"query":["MATCH"],"type":"grants-grid"}.getRowsResponse',
            "outputs": {"id": {"type": "grants-grid", "query": "q"}, "property": "getRowsResponse"},
            "inputs": [{"id": {"type": "grants-grid", "query": "q"}, "property": "getRowsRequest",
                        "value": {"startRow": 0, "endRow": 100}}],
            "changedPropIds": []}
    click = {"output": '{"id":["MATCH"],"type":"chart-nav"}.href',
             "outputs": {"id": {"type": "chart-nav", "id": "flows"}, "property": "href"},
             "inputs": [{"id": {"type": "chart", "id": "flows"}, "property": "clickData", "value": {"points": []}}],
             "state": [{"id": "url", "property": "pathname", "value": "/"},
                       {"id": "url", "property": "search", "value": ""}],
             "changedPropIds": []}

    def changed(base, path, value):
        body = __import__("copy").deepcopy(base)
        node = body
        for key in path[:-1]:
            node = node[key]
        if value is KeyError:
            del node[path[-1]]
        else:
            node[path[-1]] = value
        return body

    bodies: list = [None, 1, "x", [], {}, [good], {"output": None}, {"output": 5}, {"output": "nope"},
                    # Dash pages' clientside callback: it runs in the browser, the server has no function for it
                    {"output": "_pages_dummy.children", "outputs": {"id": "_pages_dummy", "property": "children"},
                     "inputs": [{"id": "_pages_store", "property": "data", "value": {}}], "changedPropIds": []}]
    for base in (good, grid, click):
        for key in ("inputs", "outputs", "changedPropIds", "output"):
            bodies += [changed(base, [key], KeyError), changed(base, [key], None), changed(base, [key], 7),
                       changed(base, [key], "x"), changed(base, [key], [[]])]
        bodies += [changed(base, ["inputs", 0, "value"], v) for v in (7, [1], {"a": 1}, "x" * 5000, True)]
        bodies += [changed(base, ["inputs", 0, "id"], v) for v in ("other", {"type": "x"}, None, [1])]
        bodies += [changed(base, ["inputs", 0, "property"], v) for v in ("value", None, 3)]
    bodies += [changed(grid, ["inputs", 0, "value", "startRow"], v) for v in ("abc", -5, 10**30, 1.5, None)]
    bodies += [changed(grid, ["inputs", 0, "value", "sortModel"], v) for v in ("x", {"a": 1}, [None], [{"colId": 5}])]
    bodies += [changed(grid, ["inputs", 0, "value", "filterModel"], v) for v in ("x", [1], {"x": 5},
                                                                              {"amount_eur": {"filter": "abc"}})]
    bodies += [changed(click, ["inputs", 0, "value", "points"], v) for v in ("x", [1], [{"customdata": 5}],
                                                                           [{"customdata": "country=<script>"}])]
    return bodies


def test_malformed_callback_bodies_answer_4xx_never_500(client):
    client.get("/")
    statuses = [client.post("/_dash-update-component", json=body).status_code for body in _malformed_bodies()]
    statuses += [client.post("/_dash-update-component", data=raw, content_type="application/json").status_code
                 for raw in (b"{", b"\xff\xfe", b"[" * 10000 + b"]" * 10000, b'{"output": "' + b"a" * 100 + b'"')]
    assert len(statuses) >= 100
    assert [s for s in statuses if s >= 500] == []
    assert all(s in (200, 204, 400, 413) for s in statuses), sorted(set(statuses))


# ---- 10: the analyst login is throttled

def test_the_analyst_login_is_throttled_and_logged(serving, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SOLIDARITY_ANALYST_USER", "analyste")
    monkeypatch.setenv("SOLIDARITY_ANALYST_PASSWORD", "s3cret")
    monkeypatch.setenv("SOLIDARITY_LOGIN_DB", str(tmp_path / "logins.sqlite"))
    client = client_of(serving)

    def get(password: str, address: str = "203.0.113.9"):
        token = base64.b64encode(f"analyste:{password}".encode()).decode()
        return client.get("/analyst/rejected.csv", headers={"Authorization": "Basic " + token},
                          environ_overrides={"REMOTE_ADDR": address})

    statuses = [get(f"guess{i}").status_code for i in range(200)]
    assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
    locked = get("s3cret")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0  # the right one waits too
    assert get("s3cret", address="198.51.100.7").status_code == 200  # another address is not locked
    assert "analyst login failed from 203.0.113.9" in caplog.text


def test_login_lockout_ends_with_its_window(tmp_path):
    from dashboard.login_guard import Limits, LoginGuard

    now = [1000.0]
    guard = LoginGuard(tmp_path / "logins.sqlite", Limits(per_address=3, all_addresses=10, window_s=60),
                       clock=lambda: now[0])
    for _ in range(3):
        assert guard.retry_after("a") is None
        guard.failed("a")
    assert guard.retry_after("a") == 61
    now[0] += 61
    assert guard.retry_after("a") is None
    for i in range(10):  # spread over addresses: the login closes for everyone
        guard.failed(f"b{i}")
    assert guard.retry_after("c") is not None


# ---- 14: the same inputs give the same downloads

def test_two_builds_of_the_same_inputs_give_the_same_downloads(built, sample_dir, tmp_path):
    """Money was written as floating point (4221459.272361703), whose last digits moved
    from one build to the next; downloads now carry cents."""
    from dashboard.downloads import DATASETS
    from pipelines.run import materialize_all

    _, _, first = built
    again = materialize_all(sample_dir, tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb")
    assert again.success
    one, two = client_of(first), client_of(tmp_path / "serving.duckdb")
    compared = 0
    for dataset in DATASETS:
        a, b = one.get(f"/download/{dataset}.csv"), two.get(f"/download/{dataset}.csv")
        assert a.status_code == b.status_code == 200, dataset
        rows_a, rows_b = (list(csv.DictReader(io.StringIO(r.get_data(as_text=True)))) for r in (a, b))
        # the build's own time, different by design; the version names the code's commit too,
        # which moves when a developer commits between the two builds (never in CI)
        drop = {"meta_built_at", "built_at", "meta_snapshot_version"}
        differences = [(i, k, v, y.get(k)) for i, (x, y) in enumerate(zip(rows_a, rows_b))
                       for k, v in x.items() if k not in drop and y.get(k) != v]
        assert len(rows_a) == len(rows_b) and differences == [], (dataset, differences[:5])
        for row in rows_a:
            for name, value in row.items():
                if name.endswith("_eur") and value:
                    assert re.fullmatch(r"-?\d+\.\d{2}", value), (dataset, name, value)
                    compared += 1
    assert compared > 1000
