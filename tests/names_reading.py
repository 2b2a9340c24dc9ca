"""Names, never codes (issue 15): what tests/test_names_*.py share. The names expected, read again from the
shipped reference files (the IATI Region codelist's XML, the DAC and country CSVs) with `xml.etree` and
`csv`, never through the code that shows them; and the walk over a page as Dash serves it for every string
a reader sees. The dashboard and the snapshot's codes are the session fixtures `app` and `codes` of
tests/conftest.py.
"""

from __future__ import annotations

import csv
import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb

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


