"""Data tables drawn as one Markdown block (dashboard/components.table) read back exactly.

A table without filter links is one dcc.Markdown component (a component per cell made the
data-quality page take 7-12 s to draw after a click in the navigation). Its cells come from
data — file names, reasons, identifiers — so the test types every ASCII punctuation mark and
link, HTML and entity look-alikes into cells, renders them in Chromium, and reads the DOM
back: the same text, in a real <table>, with no link, image or script made from data.
"""

from __future__ import annotations

import string

import polars as pl
import pytest
from dash import Dash, html

pytestmark = pytest.mark.browser

TRICKY = [*string.punctuation, "www.example.com", "http://example.com/x", "<b>x</b>", "&amp;", "a&b", "&#60;",
          "<script>alert(1)</script>", "foo@bar.com", "[a](http://x)", "![i](http://x/i.png)", "<http://x>",
          "*b*", "_i_", "`code`", "a | b", "# titre", "> citation", "1. liste", "- puce", "=HYPERLIEN(\"x\")",
          "   espaces   en trop  ", "ligne\nsuivante", "Montant (devise d'origine)", "é à ç – €"]


def test_markdown_table_cells_read_back_as_written(dash_duo):
    from dashboard.components import table

    frame = pl.DataFrame({"text": TRICKY, "amount": [1234.0 + i for i in range(len(TRICKY))]})
    app = Dash(__name__)
    app.layout = html.Div(table(frame, [("text", "Texte <b>brut</b> & [lien](http://x)", "text"),
                                        ("amount", "Montant", "euros")], "fr"), id="holder")
    dash_duo.start_server(app)
    dash_duo.wait_for_element("#holder table tbody tr", timeout=20)
    shown = dash_duo.driver.execute_script(
        "const t = document.querySelector('#holder table');"
        "return {head: Array.from(t.querySelectorAll('thead th')).map(c => c.textContent),"
        "        rows: Array.from(t.querySelectorAll('tbody tr')).map(r => Array.from(r.children).map(c => c.textContent)),"
        "        align: Array.from(t.querySelectorAll('tbody tr:first-child td')).map(c => getComputedStyle(c).textAlign),"
        "        made: t.querySelectorAll('a, img, script, b, em, strong, code, ol, ul, blockquote, h1').length}")
    assert shown["head"] == ["Texte <b>brut</b> & [lien](http://x)", "Montant"]
    # the reading: whitespace runs are one space in a cell (a table row is one line)
    assert [row[0] for row in shown["rows"]] == [" ".join(text.split()) for text in TRICKY]
    # whole euros as the French page writes them: digits grouped by a (narrow) no-break space, then €
    assert [row[1].replace("\u202f", " ").replace("\xa0", " ") for row in shown["rows"][:2]] == ["1 234 €", "1 235 €"]
    assert shown["made"] == 0
    assert shown["align"] == ["start", "right"]  # text as the page flows, numbers right-aligned
    assert dash_duo.get_logs() == []
