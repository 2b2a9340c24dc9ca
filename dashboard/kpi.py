"""KPI cards' words and numbers: pure functions, data in, text out."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.i18n import euros_short, number, percent, t

HEADLINE = ("committed_eur", "disbursed_eur", "partner_countries", "ngos_funded", "jobs_headcount", "events")


@dataclass(frozen=True)
class Kpi:
    indicator: str
    year: int
    value: float | None
    previous: float | None
    target: float | None
    unit: str
    # False for money paid where no payment can be known (no IATI activity): 'non suivi', never 0
    tracked: bool = True


def formatted(kpi: Kpi, lang: str) -> str:
    if not kpi.tracked:
        return t("not_tracked", lang)
    if kpi.unit == "EUR":
        return euros_short(kpi.value, lang)
    return number(kpi.value, lang, digits=1 if kpi.unit == "FTE" else 0)


def change(kpi: Kpi) -> float | None:
    if kpi.value is None or not kpi.previous:
        return None
    return kpi.value / kpi.previous - 1


def target_share(kpi: Kpi) -> float | None:
    if kpi.value is None or not kpi.target:
        return None
    return kpi.value / kpi.target


def sentence(kpi: Kpi, lang: str) -> str:
    """'2024 : 9,8 M€ engagés, 98 % de l'objectif' — the line read aloud at council."""
    sep = "\u00a0: " if lang == "fr" else ": "
    if not kpi.tracked:
        return f"{kpi.year}{sep}{t('payments.card_not_tracked', lang)}"
    parts = [f"{kpi.year}{sep}{formatted(kpi, lang)} {t('phrase_' + kpi.indicator, lang)}"]
    share = target_share(kpi)
    if share is not None:
        parts.append(t("of_target", lang, share=percent(share, lang)))
    delta = change(kpi)
    if delta is not None:
        parts.append(t("vs_last_year", lang, change=percent(delta, lang, signed=True), year=kpi.year - 1))
    return ", ".join(parts)
