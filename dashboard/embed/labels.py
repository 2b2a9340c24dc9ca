"""Words of the public embeds: the `embed.` keys of the shared PO catalogs (dashboard/locales/)."""

from __future__ import annotations

from dashboard.i18n import t


def et(key: str, lang: str, **values: object) -> str:
    return t(f"embed.{key}", lang, **values)
