"""Names, never codes, French throughout (issue 15): the grants grid's rows as its callback answers
them, the data-quality page and its reasons, the embeds as their HTML, the downloads' label columns,
and the grid's words in the page's language (the pager checked in Chromium). The names expected are
read from the shipped reference files (names_reading.py).
"""

from __future__ import annotations

import csv
import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from names_reading import (
    LANGS,
    XML_LANG,
    _by_id,
    _category,
    _find,
    _page,
    _place,
    _search,
    _sql,
    _texts,
    _xml_regions,
)


# --------------------------------------------------------------------- grants grid

def _grid_rows(app, lang: str, request: dict) -> dict:
    client, deps, _ = app
    grid_id = {"query": _search(lang), "type": "grants-grid"}
    rows = next(d for d in deps if d["output"].endswith(".getRowsResponse"))
    key = json.dumps(grid_id, separators=(",", ":"))
    answer = client.post("/_dash-update-component", json={
        "output": rows["output"], "outputs": {"id": grid_id, "property": "getRowsResponse"},
        "inputs": [{"id": grid_id, "property": "getRowsRequest", "value": request}],
        "changedPropIds": [key + ".getRowsRequest"], "state": []})
    assert answer.status_code == 200
    return answer.get_json()["response"][key]["getRowsResponse"]


@pytest.mark.parametrize("lang", LANGS)
def test_grant_rows_show_names_and_filter_on_them(app, codes, lang):
    from dashboard.i18n import t

    _, _, serving = app
    block = _grid_rows(app, lang, {"startRow": 0, "endRow": 500, "sortModel": [], "filterModel": {}})
    types = {code for (code,) in _sql(serving, "select distinct beneficiary_type from grants_public")}
    assert len(block["rowData"]) == 500
    for row in block["rowData"]:
        place, category = row["main_location_code"], row["main_category_code"]
        assert row["location_text"] == (t("unknown_place", lang) if place == "unallocated" else _place(place, lang))
        assert row["category_text"] == (t("unknown_category", lang) if category == "unallocated"
                                        else _category(category, lang))
        assert row["beneficiary_type"] not in types
    # a region's grants found by its name, as the reader types it
    region = codes["regions"][0]
    name = _xml_regions()[region][lang]
    found = _grid_rows(app, lang, {"startRow": 0, "endRow": 500, "sortModel": [], "filterModel": {
        f"location_{lang}": {"filterType": "text", "type": "contains", "filter": name.split(",")[0].lower()}}})
    typed = name.split(",")[0].lower()
    wanted = sorted(c for (c,) in _sql(serving, "select distinct main_location_code from grants_public")
                    if c != "unallocated" and typed in (_place(c, lang) or "").lower())
    count = _sql(serving, f"select count(*) from grants_public where main_location_code in "
                          f"({', '.join('?' for _ in wanted)})", wanted)[0][0]
    assert found["rowCount"] == count > 0 and region in wanted


# ------------------------------------------------------------------ data quality

def test_the_data_quality_page_speaks_french(app):
    _, _, serving = app
    texts = _texts(_page(app, "/data-quality"))
    joined = "\n".join(texts)
    metrics = {m for (m,) in _sql(serving, "select distinct metric from data_quality")}
    sources = {s for (s,) in _sql(serving, "select distinct source from data_quality union "
                                           "select distinct source from rejected_rows")}
    reasons = {r for (r,) in _sql(serving, "select distinct reason from rejected_rows")}
    assert "rows_rejected" in metrics and any(r.startswith("montant_format") for r in reasons)
    for raw in metrics | sources | {"warning", "error"}:
        assert raw not in texts, raw
    for reason in reasons:  # the English words after a rule id, or a whole English reason
        english = reason.split(":", 1)[-1].strip()
        assert english not in joined, reason
    assert "rows_rejected" not in joined and "montant_format" not in joined
    assert "amount is not a number" not in joined
    assert "Lignes rejetées" in texts and "Le montant n'est pas un nombre" in texts


def test_unconverted_transactions_are_named_by_the_iati_codelist(app, tmp_path):
    """An IATI amount with no euro rate is listed with its transaction type's name: the
    TransactionType codelist's own, read here from the IATI codelist file the reference tests
    read (../shared/reference), not from the catalogs."""
    import shutil

    from dashboard.app import create_app

    _, _, serving = app
    copy = tmp_path / "serving.duckdb"
    shutil.copy(serving, copy)
    with duckdb.connect(str(copy)) as conn:
        conn.execute("insert into unconverted_money (source_file, currency, year, transaction_type, transactions, "
                     "value) values ('activities.xml', 'NGN', 2012, '2', 1, 1000)")
    codelist = Path(__file__).resolve().parents[2] / "shared" / "reference" / "codelists" / "iati_embedded"
    names = {item.findtext("code"): {n.get(XML_LANG, "en"): n.text for n in item.find("name").findall("narrative")}
             for item in ET.parse(codelist / "TransactionType.xml").getroot().iter("codelist-item")}
    client = create_app(copy).server.test_client()
    for lang in LANGS:
        page = _page((client, client.get("/_dash-dependencies").get_json(), copy), "/data-quality", _search(lang))
        cells = _texts(_by_id(page, "unconverted-money-table"))
        assert names["2"][lang] in cells and "2" not in cells, lang


def test_every_reason_a_reader_writes_has_a_name_in_both_languages(app):
    """Rule ids are read from the readers' own source (`warn(field, value, "<id>", ...)`,
    `"<id>: ..."` strings) and from the snapshot: each has a label in both catalogs."""
    from dashboard.i18n import catalog, reason_id

    root = Path(__file__).resolve().parents[1]
    ids = set()
    readers = root / "pipelines" / "sources"  # grouped by standard: scdl/, iati/, local/
    for path in [*readers.rglob("*.py"), *readers.rglob("*.pyx"), *(root / "sql" / "models" / "staging").glob("*.sql")]:
        text = path.read_text(encoding="utf-8")
        ids |= set(re.findall(r"\.warn\([^,]+,[^,]+,\s*\"([a-z0-9_]+)\"", text))
        ids |= set(re.findall(r"[\"'`]([a-z][a-z0-9_]+): ", text))
    _, _, serving = app
    ids |= {reason_id(r) for (r,) in _sql(serving, "select distinct reason from rejected_rows")}
    ids -= {"warehouse", "field"}  # words of messages, not reasons
    assert len(ids) > 40
    for lang in LANGS:
        missing = sorted(i for i in ids if f"reason.{i}" not in catalog(lang))
        assert not missing, (lang, missing)


# ------------------------------------------------------------------------ embeds

@pytest.mark.parametrize("lang", LANGS)
def test_embed_tables_name_places_and_sectors(app, codes, lang):
    client, _, _ = app

    def cells(chart: str) -> list[str]:
        page = client.get(f"/embed/{chart}?lang={lang}").get_data(as_text=True)
        return [html.unescape(cell).strip()
                for cell in re.findall(r"<th scope=\"row\">([^<]*)</th>|<td[^>]*>([^<]*)</td>", page)
                for cell in cell if cell]

    places = cells("world-map")
    for code in codes["regions"]:
        assert _xml_regions()[code][lang] in places, code
    for chart in ("world-map", "flows", "sectors"):
        found = cells(chart)
        assert len(found) > 10
        assert not [c for c in found if c == "unallocated" or re.match(r"(Région IATI|IATI region) \d", c)], chart
        assert not [c for c in found if c in codes["countries"]], chart
        assert not [c for c in found if re.search(r"[A-Z]{4,} [A-Z]{2,}", c)], chart  # no name in capitals


# --------------------------------------------------------------------- downloads

def test_downloads_label_columns_carry_names(app, codes):
    """The French 'CSV pour Excel' of the pages' charts: a column whose header is a name
    ('Catégorie CAD', 'Lieu', 'Nom en français') holds names, never 'unallocated' or a code."""
    client, _, _ = app

    def table(dataset: str) -> list[dict[str, str]]:
        text = client.get(f"/download/{dataset}.excel.csv").get_data().decode("utf-8-sig")
        return list(csv.DictReader(text.splitlines(), delimiter=";"))

    places = table("funding_by_country")
    for code in codes["regions"]:
        row = next(r for r in places if r["Code pays ou région"] == code)
        assert (row["Nom en français"], row["Nom en anglais"]) == (_xml_regions()[code]["fr"],
                                                                  _xml_regions()[code]["en"])
    for dataset, columns in (("funding_by_country", ("Nom en français", "Nom en anglais")),
                             ("flows", ("Catégorie CAD", "Lieu")), ("sectors", ("Catégorie CAD", "Secteur CAD"))):
        rows = table(dataset)
        assert rows and all(column in rows[0] for column in columns), dataset
        names = {row[column] for row in rows for column in columns}
        assert "unallocated" not in names and not [n for n in names if re.fullmatch(r"[A-Z]{3}|\d{3,5}", n)]
        assert "Pays non connu" in names or "Catégorie CAD non connue" in names, dataset


# ------------------------------------------------------------------ the pager

@pytest.mark.parametrize("lang", LANGS)
def test_the_grid_is_given_its_words_in_the_page_s_language(app, lang):
    from babel.numbers import get_group_symbol

    grid = _find(_page(app, "/grants", _search(lang)), lambda n: n.get("type") == "AgGrid")[0]["props"]
    words = grid["dashGridOptions"]["localeText"]
    french = {"pageSizeSelectorLabel": "Taille de la page :", "to": "à", "of": "sur", "nextPage": "Page suivante",
              "contains": "Contient"}
    english = {"pageSizeSelectorLabel": "Page size:", "to": "to", "of": "of", "nextPage": "Next page",
               "contains": "Contains"}
    assert {k: words[k] for k in french} == (french if lang == "fr" else english)
    assert words["thousandSeparator"] == get_group_symbol("fr_FR" if lang == "fr" else "en_GB")
    headers = {c["headerName"] for c in grid["columnDefs"]}
    assert "Programme" in headers and ("Pays ou région" if lang == "fr" else "Country or region") in headers


@pytest.mark.browser
def test_the_french_pager_reads_french_in_chromium(dash_duo, app):
    from dashboard.app import create_app

    _, _, serving = app
    count = _sql(serving, "select count(*) from grants_public")[0][0]
    assert count > 1000  # the thousands separator is on screen
    dash_duo.start_server(create_app(serving))
    dash_duo.wait_for_page(url=dash_duo.server_url + "/grants")
    dash_duo.wait_for_element(".ag-row [col-id='amount_eur']", timeout=30)
    # CLDR's French groups thousands with a narrow no-break space: 5 840 -> "5\u202f840"
    total = f"{count:,}".replace(",", "\u202f")
    dash_duo.wait_for_text_to_equal(".ag-paging-row-summary-panel", f"1 à 25 sur {total}", timeout=20)
    assert dash_duo.find_element(".ag-paging-page-size").text.startswith("Taille de la page")
    assert "Page 1 sur" in dash_duo.find_element(".ag-paging-description").text
    assert dash_duo.get_logs() == []
