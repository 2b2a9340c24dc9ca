"""A table cell's text, by its column's kind: one set of kinds for the officials' pages' tables
(`components.table`, whose cells are classed `col-<kind>`) and the charts' specs' columns
(`specs.Column`, the public embeds' tables), so a euro amount or a count reads the same in both.

Kinds: `euros`, `euros_per_capita` (cents, more below ten cents: `0,0035 €`), `number` (a count),
`number1` (one decimal), `decimal` (one decimal when not whole: `1,5`, `2`), `percent`,
`beneficiary` (an organisation type code), `indicator` (a KPI code), `number-text` (a number
already written, right-aligned); `text` or any other kind is the value as text.
"""

from __future__ import annotations

from dashboard.figures import euros_per_capita
from dashboard.i18n import euros, has_label, number, percent, t
from dashboard.names import beneficiary_label

MISSING = "–"  # what a cell with no value shows


def cell_text(value, kind: str, lang: str) -> str:
    if value is None:
        return MISSING
    if kind == "euros":
        return euros(value, lang)
    if kind == "euros_per_capita":
        return euros_per_capita(value, lang)
    if kind == "number":
        return number(value, lang)
    if kind == "number1":
        return number(value, lang, digits=1)
    if kind == "decimal":
        return number(value, lang, digits=1 if value != int(value) else 0)
    if kind == "percent":
        return percent(value, lang)
    if kind == "beneficiary":
        return beneficiary_label(value, lang)
    if kind == "indicator":
        return t(value, lang) if has_label(value) else value
    return str(value)
