"""The PO catalogs: every word in both languages, placeholders intact, formats French first."""

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

from dashboard.i18n import LANGS, LOCALE_DIR, catalog, euros, percent, t

DASHBOARD = LOCALE_DIR.parent


def test_catalogs_are_valid_po_with_the_same_keys_and_placeholders():
    keys = {}
    for lang in LANGS:
        with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
            messages = [m for m in read_po(handle) if m.id]
        assert all(m.string.strip() for m in messages), lang
        keys[lang] = {m.id: set(re.findall(r"{(\w+)}", m.string)) for m in messages}
    assert keys["fr"] == keys["en"]
    assert len(keys["fr"]) > 100


def test_words_and_numbers_in_each_language():
    assert t("overview", "fr") == "Vue d'ensemble" and t("overview", "en") == "Overview"
    assert t("overview", "de") == t("overview", "fr")  # unknown language: French
    assert t("embed.get_data", "en") == "Get the data"
    assert euros(1234567, "fr") == "1\u202f234\u202f567 €"  # CLDR: narrow no-break spaces
    assert euros(1234567, "en") == "€1,234,567"
    assert percent(0.98, "fr") == "98\u202f%"
    assert catalog("fr") is catalog("fr")  # read once


def _catalog_entries(lang: str) -> list:
    with open(LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return [m for m in read_po(handle) if m.id]


def test_both_catalogs_list_their_keys_in_the_same_order():
    # translators compare the two files side by side
    assert [m.id for m in _catalog_entries("fr")] == [m.id for m in _catalog_entries("en")]


def _bilingual_code(path: Path) -> list[str]:
    """Places in a module that carry their own French/English words instead of asking the catalog."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            if {"fr", "en"} <= keys:
                found.append(f"{path.name}:{node.lineno} {{'fr': ..., 'en': ...}}")
        if isinstance(node, (ast.If, ast.IfExp)) and "_fr(" in ast.unparse(node.test):
            found.append(f"{path.name}:{node.lineno} if {ast.unparse(node.test)}")
    return found


def test_no_module_outside_i18n_carries_its_own_translations(tmp_path):
    modules = [p for p in DASHBOARD.rglob("*.py") if p.name != "i18n.py"]
    assert len(modules) > 10  # the scan sees the package
    assert [place for p in modules for place in _bilingual_code(p)] == []
    # and the scan does find what it forbids
    probe = tmp_path / "probe.py"
    probe.write_text('W = {"fr": "oui", "en": "yes"}\nx = 1 if _fr(lang) else 2\n', encoding="utf-8")
    assert len(_bilingual_code(probe)) == 2


def test_every_key_the_dashboard_asks_for_is_in_the_catalog():
    asked = {key for p in DASHBOARD.rglob("*.py")
             for key in re.findall(r"""\bt\(\s*["']([\w.]+)["']\s*[,)]""", p.read_text(encoding="utf-8"))}
    assert {"ui.filters", "describe.no_data", "describe.funding_by_year"} <= asked
    assert sorted(asked - set(catalog("fr"))) == []


def test_descriptions_keep_french_typography():
    # a no-break space before ':' so the colon never starts a line (the '%' one comes from i18n.percent)
    words = catalog("fr")
    sentences = [text for key, text in words.items() if key.startswith("describe.")]
    assert sum("\u00a0:" in text for text in sentences) >= 8
    assert not [text for text in sentences if " :" in text]
    assert t("describe.funding_by_year", "fr", first=2023, last=2025, committed="1\u202f€", disbursed="2\u202f€") \
        == "De 2023 à 2025, 1\u202f€ engagés et 2\u202f€ versés."
    assert t("describe.list_last", "en", items="A, B", last="C") == "A, B and C"
