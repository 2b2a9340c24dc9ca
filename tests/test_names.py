"""Names, never codes, French throughout (issue 15).

Every officials' page, in both languages and under filters, is read as Dash serves it (the
page callback through Flask's test client), the grants grid's rows as its callback answers
them, the embeds as their HTML: no code reaches the screen where a name exists. The names
expected are read again here from the shipped reference files (the IATI Region codelist's
XML, the DAC and country CSVs) with `xml.etree` and `csv`, never through the code that
shows them; the pager is checked in Chromium.
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

from dash_pages import render

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "reference"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
PAGES = ("/", "/flows", "/world", "/sectors", "/outcomes", "/at-home", "/grants", "/data-quality")
LANGS = ("fr", "en")
# what a reader never reads: ids, links, map keys, classes (the map's ISO-3 `locations` are how
# plotly finds a country's shape, not text)
HIDDEN = {"id", "href", "className", "style", "customdata", "config", "type", "role", "namespace",
          "download", "locations", "ids", "parents", "columnDefs", "dashGridOptions", "tabIndex",
          "aria-labelledby", "aria-describedby", "aria-hidden", "featureidkey", "locationmode", "src",
          "topojsonURL", "hovertemplate", "texttemplate", "xref", "yref", "xanchor", "yanchor", "query",
          "getRowId"}  # getRowId: the grid's JavaScript expression for a row's id, never shown


# ---------------------------------------------------------------- independent readings

def _xml_regions() -> dict[str, dict[str, str]]:
    root = ET.parse(REFERENCE / "iati_region_codelist.xml").getroot()
    out = {}
    for item in root.iter("codelist-item"):
        names = {n.get(XML_LANG, "en"): n.text.strip() for n in item.find("name").findall("narrative")}
        out[item.findtext("code").strip()] = {"fr": names["fr"], "en": names["en"],
                                              "status": item.get("status", "active")}
    return out


def _csv(name: str, key: str) -> dict[str, dict[str, str]]:
    with open(REFERENCE / name, encoding="utf-8", newline="") as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def _sentence(name: str) -> str:
    # the display rule, written again: a name in capitals reads as a sentence; in a name in
    # mixed case, each capitalised word but the first is lowered (acronyms stay as written)
    if name.isupper():
        return name[0] + name[1:].lower()
    words = re.split(r"([^\W\d_]+)", name)
    for i in range(3 if words[0] == "" else 1, len(words), 2):
        word = words[i]
        if len(word) > 1 and word[0].isupper() and word[1:].islower():
            words[i] = word.lower()
    return "".join(words)


def _place(code: str, lang: str) -> str | None:
    country = _csv("countries.csv", "alpha3").get(code)
    if country:
        return country[f"name_{lang}"]
    region = _xml_regions().get(code)
    return region[lang] if region else None


def _category(code: str, lang: str) -> str | None:
    row = _csv("dac_categories.csv", "code3").get(code)
    return _sentence(row[f"name_{lang}"]) if row else None


def _sector(code: str, lang: str) -> str | None:
    row = _csv("dac_sectors.csv", "code5").get(code)
    return _sentence(row[f"name_{lang}"] or row["name_en"]) if row else None


# ------------------------------------------------------------------------- the app

@pytest.fixture(scope="module")
def app(built):
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    client = create_app(serving).server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    return client, deps, serving


def _sql(serving, sql: str, params: dict | list | None = None) -> list[tuple]:
    with duckdb.connect(str(serving), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()


def _page(app, path: str, search: str = "") -> dict:
    client, _, _ = app
    return render(client, path, search)


def _texts(node, key=None, out=None) -> list[str]:
    """Every string a reader sees: component children, figure labels, hover texts, cells."""
    out = [] if out is None else out
    if isinstance(node, str):
        if key not in HIDDEN:
            out.extend(_cells(node))
    elif isinstance(node, list):
        for item in node:
            _texts(item, key, out)
    elif isinstance(node, dict):
        for k, v in node.items():
            if k not in HIDDEN:
                _texts(v, k, out)
    return out


def _cells(text: str) -> list[str]:
    """A table drawn as Markdown (components.table) is one string: its cells, as the browser
    shows them (punctuation is written as character references there)."""
    if not (text.startswith("| ") and "\n|---" in text):
        return [text]
    return [html.unescape(cell.strip()) for line in text.splitlines() if not line.startswith("|---")
            for cell in line.strip().strip("|").split(" | ")]


def _find(node, match, out=None) -> list[dict]:
    out = [] if out is None else out
    if isinstance(node, dict):
        if match(node):
            out.append(node)
        for v in node.values():
            _find(v, match, out)
    elif isinstance(node, list):
        for v in node:
            _find(v, match, out)
    return out


def _by_id(node, wanted: str) -> list[dict]:
    return _find(node, lambda n: isinstance(n.get("props"), dict) and n["props"].get("id") == wanted)


def _search(lang: str, **params: str) -> str:
    params = {**params, **({"lang": "en"} if lang == "en" else {})}
    return "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""


@pytest.fixture(scope="module")
def codes(app):
    """The snapshot's codes of each kind, and a filter value of each kind that has money."""
    _, _, serving = app
    rows = _sql(serving, "select location_kind, location_code, category_code, sector_code, sum(committed_eur) "
                         "from funding group by all order by 5 desc, 2, 3, 4")
    countries = [r[1] for r in rows if r[0] == "country"]
    regions = [r[1] for r in rows if r[0] == "region"]
    categories = [r[2] for r in rows if r[2] != "unallocated"]
    sectors = [r[3] for r in rows if r[3] != "unallocated"]
    assert countries and regions and categories and sectors  # the sample has each kind
    departement = _sql(serving, "select departement_code from campaign_reach where departement_code <> 'inconnu' "
                                "group by 1 order by sum(participants) desc, 1 limit 1")[0][0]
    unnamed = [s for s in dict.fromkeys(sectors) if _sector(s, "fr") is None]
    named = [s for s in dict.fromkeys(sectors) if _sector(s, "fr") is not None]
    return {"countries": list(dict.fromkeys(countries)), "regions": list(dict.fromkeys(regions)),
            "categories": list(dict.fromkeys(categories)), "named_sector": named[0],
            "unnamed_sector": unnamed[0] if unnamed else None, "departement": departement}


def _filters(codes) -> list[dict]:
    return [{}, {"country": codes["countries"][0]}, {"country": codes["regions"][0]},
            {"sector": codes["categories"][0]}, {"sector": codes["named_sector"]},
            *([{"sector": codes["unnamed_sector"]}] if codes["unnamed_sector"] else []),
            {"departement": codes["departement"]}]


# ------------------------------------------------------------------ reference data

def test_the_shipped_iati_regions_are_the_codelist_read_again():
    regions = _xml_regions()
    with open(REFERENCE / "iati_regions.csv", encoding="utf-8", newline="") as handle:
        shipped = {row["code"]: row for row in csv.DictReader(handle)}
    assert set(shipped) == set(regions) and len(regions) == 26
    for code, names in regions.items():
        assert (shipped[code]["name_fr"], shipped[code]["name_en"], shipped[code]["status"]) == (
            names["fr"], names["en"], names["status"]), code
    assert regions["289"] == {"fr": "Sud du Sahara, régional", "en": "South of Sahara, regional",
                              "status": "active"}
    assert "iati_regions.csv" in (REFERENCE / "SOURCES.md").read_text(encoding="utf-8")


def test_the_snapshot_carries_the_codelist(app):
    _, _, serving = app
    shipped = {code: (fr, en) for code, fr, en in _sql(serving, "select code, name_fr, name_en from iati_regions")}
    assert shipped == {code: (n["fr"], n["en"]) for code, n in _xml_regions().items()}


# ------------------------------------------------------------------ every page

@pytest.mark.parametrize("lang", LANGS)
def test_no_code_reaches_any_page(app, codes, lang):
    """Every page, in each language, unfiltered and under each kind of filter: no 'Région IATI
    <n>', no 'unallocated', no identifier in snake case, no DAC name in capitals, no bare ISO-3
    code of a funded country, and a 5-digit sector code only beside its name."""
    caps = {row[f"name_{lang}"] for row in _csv("dac_categories.csv", "code3").values()
            if _sentence(row[f"name_{lang}"]) != row[f"name_{lang}"]}
    assert caps  # the list has names in capitals or title case: the rule has something to do
    countries = set(codes["countries"])
    seen = 0
    for path in PAGES:
        for params in _filters(codes):
            texts = _texts(_page(app, path, _search(lang, **params)))
            joined = "\n".join(texts)
            where = f"{path}{_search(lang, **params)}"
            assert not re.search(r"R[ée]gion IATI \d|IATI region \d", joined), where
            assert "unallocated" not in joined, where
            words = re.sub(r"(?<!\S)/\S+", "", joined)  # an address shown as a link is an address
            assert not re.search(r"\b[a-z]+_[a-z_]+\b", words), (where, re.findall(r"\b[a-z]+_[a-z_]+\b", words)[:5])
            assert not [c for c in caps if c in joined], where
            assert not [s for s in texts if s.strip() in countries], where
            for text in texts:
                if re.fullmatch(r"\d{5}", text.strip()):
                    name = _sector(text.strip(), lang)
                    assert name is None or name in joined, (where, text)
            seen += len(texts)
    assert seen > 10_000


@pytest.mark.parametrize("lang", LANGS)
def test_filter_chips_name_what_they_filter(app, codes, lang):
    from dashboard.i18n import t

    departements = _csv("departements.csv", "code")
    expected = {
        ("country", codes["countries"][0]): _place(codes["countries"][0], lang),
        ("country", codes["regions"][0]): _place(codes["regions"][0], lang),
        ("sector", codes["categories"][0]): _category(codes["categories"][0], lang),
        ("sector", codes["named_sector"]): _sector(codes["named_sector"], lang),
        ("departement", codes["departement"]):
            f"{departements[codes['departement']]['name']} ({codes['departement']})",
    }
    if codes["unnamed_sector"]:  # newer than the shipped DAC list: said with what it is
        expected[("sector", codes["unnamed_sector"])] = t("unnamed_sector", lang, code=codes["unnamed_sector"])
    for (kind, code), name in expected.items():
        assert name, (kind, code)
        chips = _texts(_by_id(_page(app, "/flows", _search(lang, **{kind: code})), "active-filters"))
        chip = next(s for s in chips if s.startswith(t(f"ui.{kind}", lang)))
        assert chip.strip() == f"{t(f'ui.{kind}', lang)} : {name}", (kind, code, chip)


@pytest.mark.parametrize("lang", LANGS)
def test_the_world_page_names_iati_regions_from_the_codelist(app, codes, lang):
    from dashboard.i18n import t

    texts = _texts(_find(_page(app, "/world", _search(lang)), lambda n: n.get("props", {}).get("className")
                         == "side-panel"))
    for code in codes["regions"]:
        assert _xml_regions()[code][lang] in texts, code
    assert t("unknown_place", lang) in texts


@pytest.mark.parametrize("lang", LANGS)
def test_sankey_nodes_and_treemap_tiles_are_names(app, codes, lang):
    from dashboard.i18n import t

    sankey = _find(_page(app, "/flows", _search(lang, country=codes["regions"][0])),
                   lambda n: n.get("type") == "sankey")[0]
    assert _xml_regions()[codes["regions"][0]][lang] in sankey["node"]["label"]
    treemap = _find(_page(app, "/sectors", _search(lang)), lambda n: n.get("type") == "treemap")[0]
    checked = 0
    # labels are data, escaped to entities that plotly.js shows as characters ("&amp;" reads "&")
    for tile, label in zip(treemap["ids"], map(html.unescape, treemap["labels"])):
        code = tile[1:].split("/")[-1]
        if code == "unallocated":
            assert label == t("unknown_category", lang)
        elif len(code) == 3:
            assert label == _category(code, lang), tile
        else:
            assert label == (_sector(code, lang) or t("unnamed_sector", lang, code=code)), tile
        checked += 1
    assert checked > 20


def test_one_wording_per_unknown(app, codes):
    """'Not known' has two meanings, each said one way on every page and embed: no known
    country, no known DAC category; the old 'Non affecté' / 'Non ventilé' are gone."""
    from dashboard.i18n import t

    french = "\n".join("\n".join(_texts(_page(app, path, _search("fr", **params))))
                       for path in PAGES for params in _filters(codes)[:2])
    client, _, _ = app
    embeds = "\n".join(client.get(f"/embed/{chart}").get_data(as_text=True)
                       for chart in ("world-map", "flows", "sectors"))
    # the OECD's own category 998 "Non affecté / non spécifié" is a DAC name, not our wording
    dac_names = sorted({_sentence(row["name_fr"]) for name, key in (("dac_categories.csv", "code3"),
                                                                    ("dac_sectors.csv", "code5"))
                        for row in _csv(name, key).values()}, key=len, reverse=True)
    for text in (french, embeds):
        for name in dac_names:
            text = text.replace(name, "").replace(html.escape(name), "")
        assert "Non affecté" not in text and "Non ventilé" not in text and "non ventilé" not in text
        assert t("unknown_place", "fr") in text and t("unknown_category", "fr") in text
    assert (t("unknown_place", "fr"), t("unknown_category", "fr")) == ("Pays non connu", "Catégorie CAD non connue")


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
    for path in [*(root / "pipelines" / "sources").glob("*.py"), *(root / "pipelines" / "sources").glob("*.pyx"),
                 *(root / "sql" / "staging").glob("*.sql")]:
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
