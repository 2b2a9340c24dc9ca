"""Names, never codes, French throughout (issue 15): the pages.

Every officials' page, in both languages and under filters, is read as Dash serves it (the
page callback through Flask's test client): no code reaches the screen where a name exists, in
filter chips, maps, Sankey nodes and treemap tiles; the shipped IATI regions are the codelist read
again. The names expected are read from the shipped reference files (names_reading.py).
"""

from __future__ import annotations

import csv
import html
import re

import pytest
from names_reading import (
    LANGS,
    PAGES,
    REFERENCE,
    _by_id,
    _category,
    _csv,
    _find,
    _page,
    _place,
    _search,
    _sector,
    _sentence,
    _sql,
    _texts,
    _xml_regions,
)


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
            # as written, HTML-escaped, or in a figure's JSON (Plotly writes "/" as \u002f)
            text = text.replace(name, "").replace(html.escape(name), "").replace(name.replace("/", "\\u002f"), "")
        assert "Non affecté" not in text and "Non ventilé" not in text and "non ventilé" not in text
        assert t("unknown_place", "fr") in text and t("unknown_category", "fr") in text
    assert (t("unknown_place", "fr"), t("unknown_category", "fr")) == ("Pays non connu", "Catégorie CAD non connue")
