"""The spreadsheet CSV (`/download/<dataset>.excel.csv`): what French Excel opens by double-click.

Read back with Python's csv module the way French Excel reads it (UTF-8 with its BOM,
fields split on `;`, decimal commas), never with the code under test; totals come from
SQL over the snapshot, to the cent.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from decimal import Decimal

import duckdb

from snapshot import client_of, sql

FRENCH_NUMBER = re.compile(r"-?\d+(,\d+)?")
PLANTED = "=HYPERLINK(\"https://evil.example/\",\"Cliquez\")"


# `serving` and `client` are the session fixtures of conftest.py.


def _french(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8, accents intact
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


def _euros(cell: str) -> Decimal:
    assert re.fullmatch(r"-?\d+,\d{2}", cell), cell  # money to the cent, a decimal comma, no thousands sign
    return Decimal(cell.replace(",", "."))


def test_every_dataset_has_a_label_for_every_column_in_both_languages(client):
    """No header is left as a column name: each comes from the PO catalogs."""
    from dashboard.downloads import DATASETS, column_label

    for dataset in DATASETS:
        for lang, separator in (("fr", ";"), ("en", ",")):
            raw = client.get(f"/download/{dataset}.csv" + ("?lang=en" if lang == "en" else ""))
            names = next(csv.reader(io.StringIO(raw.get_data(as_text=True))))
            response = client.get(f"/download/{dataset}.excel.csv" + ("?lang=en" if lang == "en" else ""))
            assert response.status_code == 200, dataset
            assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
            assert f'filename="{dataset}.excel.csv"' in response.headers["Content-Disposition"]
            body = response.data.decode("utf-8-sig")
            headers = next(csv.reader(io.StringIO(body), delimiter=separator))
            untranslated = [n for n in names if column_label(dataset, n, lang) is None]
            assert untranslated == [], (dataset, lang)
            assert headers == [column_label(dataset, n, lang) for n in names], (dataset, lang)
            assert len(set(headers)) == len(headers), (dataset, lang)  # two columns never share a header
            if lang == "fr":
                assert not set(headers) & {n for n in names if "_" in n}, dataset


def test_french_grants_add_up_to_the_snapshot_to_the_cent(client, serving):
    year, programme = sql(serving, "select year, programme from grants_public group by all "
                                    "order by count(*) desc, year, programme limit 1")[0]
    rows = _french(client.get(f"/download/grants.excel.csv?years={year}&programme={programme}").data)
    header, body = rows[0], rows[1:]
    assert header[:2] == ["Année", "Date de la convention"] and "Montant (€)" in header
    amount = header.index("Montant (€)")
    expected = sql(serving, "select count(*), sum(round(amount_eur, 2)) from grants_public "
                             "where year = $y and programme = $p", {"y": year, "p": programme})[0]
    assert len(body) == expected[0] > 10
    assert sum(_euros(r[amount]) for r in body) == Decimal(str(expected[1])).quantize(Decimal("0.01"))
    sample = header.index("Données d'exemple")
    assert {r[sample] for r in body} == {"true"}  # provenance travels in the file
    assert {r[header.index("Licence")] for r in body} == {"Licence Ouverte / Open Licence 2.0 (Etalab)"}


def test_french_funding_per_year_equals_sql_per_year_to_the_cent(client, serving):
    rows = _french(client.get("/download/funding_by_year.excel.csv").data)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Année", "Montant engagé (€)", "Montant décaissé (€)"]
    expected = {y: (Decimal(str(c)), Decimal(str(d))) for y, c, d in sql(
        serving, "select year, round(sum(committed_eur), 2), round(sum(disbursed_eur), 2) "
                 "from funding group by year")}
    got = {int(r[0]): (_euros(r[1]), _euros(r[2])) for r in body}
    assert got == expected
    total = sql(serving, "select sum(committed_eur) from funding")[0][0]
    assert abs(sum(c for c, _ in got.values()) - Decimal(str(total))) <= Decimal("0.005") * len(got)


def test_numbers_are_french_numbers_and_text_stays_text(client):
    """Ratios and counts with a decimal comma, never a point or an exponent; codes untouched."""
    rows = _french(client.get("/download/funding_by_country.excel.csv").data)
    header, body = rows[0], rows[1:]
    for column in ("Population", "Montant engagé (€)", "Montant engagé par habitant (€)"):
        cells = [r[header.index(column)] for r in body if r[header.index(column)]]
        assert cells and all(FRENCH_NUMBER.fullmatch(c) for c in cells), column
    assert any("," in r[header.index("Montant engagé par habitant (€)")] for r in body)
    quality = _french(client.get("/download/data_quality.excel.csv").data)
    values = [r[quality[0].index("Valeur")] for r in quality[1:]]
    assert all(FRENCH_NUMBER.fullmatch(v) for v in values) and any("," in v for v in values)
    times = [r[quality[0].index("Fichier le plus récent (date)")] for r in quality[1:] if r[3]]
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", v) for v in times)  # Excel reads it


def test_english_spreadsheet_csv_keeps_english_conventions(client, serving):
    body = client.get("/download/funding_by_year.excel.csv?lang=en").data
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Year", "Committed (€)", "Disbursed (€)"]
    assert all(re.fullmatch(r"-?\d+\.\d{2}", r[1]) for r in rows[1:])
    assert sum(Decimal(r[1]) for r in rows[1:]) == sum(Decimal(str(v)) for (v,) in sql(
        serving, "select round(sum(committed_eur), 2) from funding group by year"))


def test_the_open_data_csv_is_unchanged(client):
    body = client.get("/download/funding_by_year.csv").data
    assert not body.startswith(b"\xef\xbb\xbf")
    assert body.split(b"\n")[0] == (b"year,committed_eur,disbursed_eur,meta_source,meta_licence,meta_built_at,"
                                    b"meta_snapshot_version,meta_is_sample")


def test_formulas_stay_inert_and_negative_amounts_stay_numbers(serving, tmp_path):
    copy = tmp_path / "serving.duckdb"
    shutil.copy(serving, copy)
    with duckdb.connect(str(copy)) as conn:
        key, year = conn.execute("select reference_decision, year from grants_public "
                                 "where beneficiary_type <> 'personne_physique' order by reference_decision "
                                 "limit 1").fetchall()[0]
        conn.execute("update grants_public set beneficiary_name = $f, purpose = '-2+3', amount_eur = -12.5 "
                     "where reference_decision = $k", {"f": PLANTED, "k": key})
    rows = _french(client_of(copy).get(f"/download/grants.excel.csv?years={year}").data)
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("Référence de la décision")] == key)
    assert row[header.index("Bénéficiaire")] == "'" + PLANTED  # shown as text, never run
    assert row[header.index("Objet")] == "'-2+3"
    assert row[header.index("Montant (€)")] == "-12,50"  # a number French Excel reads as -12.5
    live = [c for r in rows for c in r if c and c[0] in "=+-@\t\r" and not FRENCH_NUMBER.fullmatch(c)]
    assert live == []


def test_each_format_and_language_is_its_own_cached_file(serving, tmp_path, monkeypatch):
    monkeypatch.setenv("SOLIDARITY_DOWNLOAD_CACHE", str(tmp_path / "cache"))
    client = client_of(serving)
    urls = ["/download/sectors.csv", "/download/sectors.excel.csv", "/download/sectors.excel.csv?lang=en",
            "/download/sectors.csv?lang=en"]
    first = [client.get(url).data for url in urls]
    assert len(set(first)) == 4  # four different files, none served for another
    cached = [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and not p.name.endswith(".lock")]
    assert len(cached) == 4
    assert [client.get(url).data for url in urls] == first  # the second time, from disk
    assert first[1].startswith(b"\xef\xbb\xbf") and b";" in first[1].split(b"\r\n")[0]


def test_download_links_offer_the_spreadsheet_csv_in_the_page_language():
    from dashboard.components import download_links
    from dashboard.filters import Filters

    for lang, label in (("fr", "CSV pour Excel"), ("en", "CSV for Excel")):
        links = download_links("flows", Filters(year_from=2020, year_to=2020, country="MLI", lang=lang), lang)
        anchors = [c for c in links.children if getattr(c, "href", None)]
        assert [a.children for a in anchors] == ["CSV", label, "Excel", "Parquet"]
        spreadsheet = anchors[1]
        query = "?years=2020&country=MLI" + ("&lang=en" if lang == "en" else "")
        assert spreadsheet.href == "/download/flows.excel.csv" + query
        assert spreadsheet.id == "download-flows-excel-csv" and spreadsheet.download == "flows.excel.csv"
