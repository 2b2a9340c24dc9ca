"""The PO catalogs: every word in both languages, placeholders intact, formats French first."""

import re

from babel.messages.pofile import read_po

from dashboard.i18n import LANGS, LOCALE_DIR, catalog, euros, percent, t


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
