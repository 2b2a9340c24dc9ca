"""Query parameters checked against the pages' allowlists, read from the snapshot.

A request names a chart and a few filters, in the pages' words (`years`, `country`, `euros`,
`lang`; `indicator` for a key figure). Each value must be one the snapshot holds
(`data.filter_allowlists`, the pages' own: a year present in the chart's mart, an ISO-3 country
funded at least once, a KPI indicator, `fr` or `en`). Embeds show one year: `years=2024`, and
`year=2024` (the word of embeds pasted on partners' sites before) reads the same. Anything else
is an `EmbedError` with a short message: the request text is never echoed, never parsed further
and never reaches SQL.
"""

from __future__ import annotations

import re
from pathlib import Path

from werkzeug.datastructures import MultiDict

from dashboard import data
from dashboard.embed.catalogue import CHARTS, EmbedRequest
from dashboard.filters import CONSTANT_EUROS, YEAR_ALIAS, Allowed
from dashboard.i18n import LANGS

MAX_VALUE = 16  # longer than any allowed value: refuse before looking further
YEAR = re.compile(r"[0-9]{4}")
ISO3 = re.compile(r"[A-Za-z]{3}")
INDICATOR = re.compile(r"[a-z_]{1,40}")


class EmbedError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def allowlists(path: Path | None = None) -> Allowed:
    """The pages' allowlists (cached per snapshot with every query)."""
    return data.filter_allowlists(path)


def canonical(args: MultiDict) -> MultiDict:
    """The request in the pages' words: `year` (older embeds) is `years`; both at once is a repeat."""
    return MultiDict([("years" if key == YEAR_ALIAS else key, value) for key, value in args.items(multi=True)])


def validate(chart: str, args: MultiDict, path: Path | None = None) -> EmbedRequest:
    spec = CHARTS.get(chart)
    if spec is None:
        raise EmbedError(404, "Unknown chart. Available charts: " + ", ".join(CHARTS) + ".")
    args = canonical(args)
    accepted = ("lang", *spec.params)
    for key in args.keys():
        if key not in accepted:
            raise EmbedError(400, f"Unknown parameter for chart {spec.slug}; accepted: {', '.join(accepted)}.")
        values = args.getlist(key)
        if len(values) != 1:
            raise EmbedError(400, f"Parameter {key} given more than once.")
        if len(values[0]) > MAX_VALUE:
            raise EmbedError(400, f"Parameter {key} is too long.")
    lists = allowlists(path)
    lang = args.get("lang", "fr")
    if lang not in LANGS:
        raise EmbedError(400, "Parameter lang must be one of: " + ", ".join(LANGS) + ".")
    fields: dict = {"chart": spec.slug, "lang": lang}
    if "years" in spec.params:
        years = lists.years_of(spec.years_table)
        raw = args.get("years")
        if raw is None:
            if not years:
                raise EmbedError(404, "This chart has no data in the current snapshot.")
            fields["year"] = years[-1]
        elif YEAR.fullmatch(raw) and int(raw) in years:
            fields["year"] = int(raw)
        else:
            span = f"{years[0]}–{years[-1]}" if years else "none"
            raise EmbedError(400, f"Parameter years must be one year present in the data ({span}).")
    if "country" in spec.params and "country" in args:
        raw = args["country"]
        # the pages' places are countries and IATI regions; an embed takes a country (letters) only
        if not (ISO3.fullmatch(raw) and raw.upper() in lists.countries):
            raise EmbedError(400, "Parameter country must be the ISO 3166 alpha-3 code of a funded country.")
        fields["country"] = raw.upper()
    if "indicator" in spec.params:
        raw = args.get("indicator", spec.defaults.get("indicator"))
        if not (raw and INDICATOR.fullmatch(raw) and raw in lists.indicators):
            raise EmbedError(400, "Parameter indicator must be one of: " + ", ".join(lists.indicators) + ".")
        fields["indicator"] = raw
    # the money basis: the pages' word and value; current euros (the default) by leaving it out
    if "euros" in spec.params and "euros" in args:
        raw = args["euros"]
        if raw == "current":
            pass
        elif raw == CONSTANT_EUROS and lists.price_base:
            fields["euros"] = CONSTANT_EUROS
        else:
            raise EmbedError(400, "Parameter euros must be 'constant' (or 'current', the default).")
    return EmbedRequest(**fields)
