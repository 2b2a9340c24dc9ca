"""URL filters and downloads, without a browser: the URL keeps only allow-listed values; CSV, Excel and
Parquet downloads, the data dictionary and the analysts' rejected rows through Flask's test client over
the sample snapshot, download totals against a direct SQL over the snapshot.
"""

from __future__ import annotations

import base64
import io

import duckdb
import polars as pl
import pytest

from dashboard.filters import Allowed, Filters, merge, parse, to_query
from snapshot import client_of


ALLOWED = Allowed(years=(2015, 2016, 2017, 2018), programmes=frozenset({"Fonds d'urgence"}),
                  countries=frozenset({"MLI", "589"}), sectors=frozenset({"122", "12220"}),
                  departements=frozenset({"69"}))


def test_url_filters_keep_only_allowlisted_values():
    f = parse({"years": "2019-2016", "country": "MLI", "sector": "'; drop table funding; --", "lang": "en",
               "programme": "Fonds d'urgence", "departement": "99", "other": "x"}, ALLOWED)
    assert f == Filters(year_from=2016, year_to=2018, programme="Fonds d'urgence", country="MLI", lang="en")
    assert parse({"years": "1990-1999"}, ALLOWED).year_from is None
    assert parse({"years": "2017"}, ALLOWED).year_to == 2017
    assert to_query(f) == "?years=2016-2018&programme=Fonds+d%27urgence&country=MLI&lang=en"
    assert parse({"lang": "de"}, ALLOWED).lang == "fr" and to_query(Filters()) == ""
    assert merge("?years=2016&lang=en", "country=589", ALLOWED) == "?years=2016&country=589&lang=en"
    assert merge("?years=2016", "country=XXX", ALLOWED) == "?years=2016"
    assert merge("", "evil=1", ALLOWED) == ""
    # a click keeps the page's valid display options, drops invented ones
    assert merge("?measure=disbursed_eur&per=capita", "country=MLI", ALLOWED) == \
        "?country=MLI&measure=disbursed_eur&per=capita"
    assert merge("?per=<script>&measure=x", "country=MLI", ALLOWED) == "?country=MLI"


# ---- downloads and the analysts' route, through Flask's test client over the sample snapshot ----

@pytest.fixture(scope="module")
def client(serving):
    # this module's own: its tests take the client with the snapshot's path
    return client_of(serving), serving


def test_csv_download_matches_the_snapshot_and_carries_provenance(client):
    http, serving = client
    response = http.get("/download/flows.csv?country=MLI&years=2019-2022")
    assert response.status_code == 200
    frame = pl.read_csv(io.BytesIO(response.data))
    with duckdb.connect(str(serving), read_only=True) as conn:
        expected = conn.execute("select sum(committed_eur) from funding where location_code = 'MLI' "
                                "and year between 2019 and 2022").fetchall()[0][0]
        version, is_sample = conn.execute("select snapshot_version, is_sample from manifest limit 1").fetchall()[0]
    assert frame["committed_eur"].sum() == pytest.approx(expected)
    assert set(frame["location_code"]) == {"MLI"}
    assert set(frame["meta_snapshot_version"]) == {version}
    assert set(frame["meta_licence"]) == {"Licence Ouverte / Open Licence 2.0 (Etalab)"}
    assert set(frame["meta_is_sample"]) == {bool(is_sample)}  # "true"/"false", read back as booleans


def test_excel_and_parquet_downloads(client):
    http, serving = client
    xlsx = http.get("/download/funding_by_year.xlsx")
    assert xlsx.status_code == 200
    data_sheet = pl.read_excel(io.BytesIO(xlsx.data), sheet_name="data")
    meta_sheet = pl.read_excel(io.BytesIO(xlsx.data), sheet_name="metadata")
    parquet = pl.read_parquet(io.BytesIO(http.get("/download/sectors.parquet?lang=en").data))
    with duckdb.connect(str(serving), read_only=True) as conn:
        total = conn.execute("select sum(committed_eur) from funding").fetchall()[0][0]
    assert data_sheet["committed_eur"].sum() == pytest.approx(float(total))  # the sheet's cells are floats
    assert float(parquet["committed_eur"].sum()) == pytest.approx(float(total))  # a Decimal(38, 2) column: cents
    assert set(meta_sheet["field"]) == {"source", "licence", "built_at", "snapshot_version", "is_sample"}
    assert http.get("/download/rejected_rows.csv").status_code == 404  # row detail is not a public dataset
    assert http.get("/download/flows.exe").status_code == 404


def test_rejected_rows_need_the_analyst_login(client, monkeypatch):
    http, serving = client
    assert http.get("/analyst/rejected.csv").status_code == 401  # no login configured: closed
    monkeypatch.setenv("SOLIDARITY_ANALYST_USER", "analyste")
    monkeypatch.setenv("SOLIDARITY_ANALYST_PASSWORD", "s3cret")

    def auth(user, password):
        return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}

    missing = http.get("/analyst/rejected.csv")
    assert missing.status_code == 401 and "Basic" in missing.headers["WWW-Authenticate"]
    assert http.get("/analyst/rejected.csv", headers=auth("analyste", "wrong")).status_code == 401
    ok = http.get("/analyst/rejected.csv", headers=auth("analyste", "s3cret"))
    assert ok.status_code == 200
    with duckdb.connect(str(serving), read_only=True) as conn:
        rows = conn.execute("select count(*) from rejected_rows").fetchall()[0][0]
    assert pl.read_csv(io.BytesIO(ok.data), infer_schema=False).height == rows


def test_the_data_dictionary_is_downloadable_with_every_published_column(client):
    http, serving = client
    frame = pl.read_csv(io.BytesIO(http.get("/download/data_dictionary.csv").data))
    with duckdb.connect(str(serving), read_only=True) as conn:
        # the dictionary describes itself too
        columns = conn.execute("select count(*) from information_schema.columns").fetchall()[0][0]
    assert frame.height == columns
    assert frame["meaning"].null_count() == 0
    page = http.get("/data-quality")
    assert page.status_code == 200
