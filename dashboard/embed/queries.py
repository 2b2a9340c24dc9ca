"""What the embeds read beyond the specs' queries: a country's name for titles.

The charts' frames come from `dashboard.specs` (the same SQL the dashboard pages run, so an
embed and a page never disagree) and the allowlists from `data.filter_allowlists` (the pages'
own). Values are bound as parameters.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.snapshot import query


def country_name(code: str, lang: str, path: Path | None = None) -> str:
    frame = query("select name_fr, name_en from countries where alpha3 = $code", {"code": code}, path=path)
    if frame.is_empty():
        return code
    return frame["name_en" if lang == "en" else "name_fr"][0] or code
