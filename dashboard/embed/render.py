"""An embed as bytes: the HTML page, its CSV and its zip (data + metadata + how to cite).

Pure given a snapshot: the same request on the same snapshot gives the same bytes, so
a page can be cached in memory and exported to a folder. Text from the data reaches
the page through Jinja's autoescape, and the figure's data strings are escaped for
plotly.js's own pseudo-HTML (it draws `<b>`, `<a href>` inside labels) before the figure
is written as JSON safe inside a `<script type="application/json">`.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import jinja2
import markupsafe
import polars as pl
from plotly.io.json import to_json_plotly

from dashboard import constant_euros, kpi, snapshot
from dashboard.downloads import LICENCE, PUBLISHER, SOURCE, column_label, published_numbers
from dashboard.embed.catalogue import CHARTS, Chart, EmbedRequest
from dashboard.embed.labels import et
from dashboard.embed.queries import country_name
from dashboard.cells import cell_text
from dashboard.figures import graph_config
from dashboard.i18n import day, t
from dashboard.names import UNKNOWN_KEYS, readable_names
from dashboard.plotly_text import safe_figure
from pipelines.inert import inert_frame

HERE = Path(__file__).resolve().parent
ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,  # every {{ value }} is HTML-escaped unless it is Markup
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
HEIGHT_MESSAGE = "solidarity-embed:height"


@dataclass(frozen=True)
class Links:
    """Where a page finds its files: root paths on the live server, relative names in an export."""

    static: str  # prefix of plotly.min.js, embed.js, embed.css, world_110m.js
    csv: str
    zip: str
    canonical: str  # the URL to cite
    version: str = ""  # appended to static URLs so they can be cached for a year
    dashboard: str = ""  # the officials' page the chart comes from, same filters (opened in a new tab)


def title(req: EmbedRequest) -> str:
    """The chart's name, its filters, and in constant euros their base (the title is what the
    page, the citation and the zip's README say: the basis travels with the numbers)."""
    if req.chart == "kpi":
        return f"{t(req.indicator, req.lang)} — {req.year}" + _basis(req)
    text = et(req.chart, req.lang)
    if req.country:
        text += " — " + country_name(req.country, req.lang)
    if req.year is not None:
        text += f" — {req.year}"
    return text + _basis(req)


def _basis(req: EmbedRequest) -> str:
    if not req.euros or (req.chart == "kpi" and not (req.indicator or "").endswith("_eur")):
        return ""  # a count is the same in any euros
    return " — " + t("euros.constant", req.lang, year=constant_euros.price_base())


def figure_json(fig) -> markupsafe.Markup:
    text = to_json_plotly(safe_figure(fig))
    # safe inside <script>: no `</script>`, no `<!--`, no entity surprises
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                         ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return markupsafe.Markup(text)


def _cell(row: dict, name: str, kind: str, lang: str) -> str:
    value = row[name]
    if kind != "text" or value is None:
        return cell_text(value, kind, lang)  # written as the pages' tables write it
    if value == "unallocated":  # what is not known, in the words the dashboard's pages use
        return t(UNKNOWN_KEYS[_CODE_OF.get(name, "location_code")], lang)
    if row.get("location_kind") == "region" and value == row.get("country_code"):
        return t("iati_region", lang, code=value)  # a region code the IATI codelist shipped lacks
    return str(value)


# the code column a name column names (others, the world map's name_fr/name_en, name places)
_CODE_OF = {"category_name": "category_code", "sector_name": "sector_code"}


def table(spec: Chart, req: EmbedRequest, frame: pl.DataFrame) -> tuple[list[str], list[list[str]]]:
    columns = [(c.name.format(lang=req.lang), c.kind) for c in spec.columns]
    # one vocabulary for a column's header: the downloads' (`csv.<dataset>.<column>`, else `csv.<column>`)
    headers = [column_label(spec.spec.dataset, name, req.lang) or name for name, _ in columns]
    frame = readable_names(frame, req.lang)  # the pages' names: no known country or category, never a code
    rows = [[_cell(row, name, kind, req.lang) for name, kind in columns] for row in frame.iter_rows(named=True)]
    return headers, rows


def source_line(lang: str) -> str:
    info = snapshot.snapshot_info()
    return t("source_line", lang, sources=t("sources", lang), built_at=day(info.built_at, lang), version=info.version)


def page(req: EmbedRequest, links: Links, meta_csp: str | None = None) -> str:
    spec = CHARTS[req.chart]
    frame = spec.table(req)
    info = snapshot.snapshot_info()
    headers, rows = table(spec, req, frame)
    context = {
        "lang": req.lang,
        "chart": req.chart,
        "title": title(req),
        "is_sample": info.is_sample,
        "sample_banner": t("sample_banner", req.lang),
        "source_line": source_line(req.lang),
        "credit": et(spec.credit, req.lang) if spec.credit else "",
        "publisher": et("published_by", req.lang, publisher=PUBLISHER),
        "links": links,
        "headers": headers,
        "rows": rows,
        "meta_csp": meta_csp,
        "needs_world": spec.needs_world,
        "height_message": HEIGHT_MESSAGE,
        "et": lambda key: et(key, req.lang),
        "card": None,
        "figure_json": None,
        "config_json": None,
    }
    if spec.figure is None:
        row = frame.row(0, named=True) if frame.height else None
        card = kpi.Kpi(req.indicator, req.year, row and row["value"], row and row["previous_value"],
                       row and row["target"], row["unit"] if row else "")
        context["card"] = {"value": kpi.formatted(card, req.lang), "label": t(req.indicator, req.lang)}
        context["description"] = kpi.sentence(card, req.lang) if row else t("no_data", req.lang)
    else:
        context["figure_json"] = figure_json(spec.figure(req, frame))
        # the dashboard's toolbar (a PNG, a reset; no share/cloud, no logo), in the page's language
        config = graph_config(req.lang, f"{req.chart}-{'-'.join(req.query().values())}",
                              topojson_url=links.static + "topojson/")
        context["config_json"] = markupsafe.Markup(json.dumps(config).replace("<", "\\u003c"))
        context["description"] = spec.describe(req, frame)
    return ENV.get_template("embed.html").render(context)


def csv_bytes(req: EmbedRequest) -> bytes:
    return inert_frame(published_numbers(CHARTS[req.chart].table(req))).write_csv().encode("utf-8")


def citation(req: EmbedRequest, links: Links) -> str:
    info = snapshot.snapshot_info()
    sample = f" [{et('sample_tag', req.lang)}]" if info.is_sample else ""
    return (f"{et('publisher', req.lang)}, « {title(req)} »{sample}. "
            f"{'Instantané' if req.lang == 'fr' else 'Snapshot'} {info.version}, {day(info.built_at, req.lang)}. "
            f"{links.canonical}. {LICENCE}.")


def metadata(req: EmbedRequest, links: Links, frame: pl.DataFrame) -> dict:
    """A Frictionless data package descriptor: the CSV, its columns, provenance, licence."""
    info = snapshot.snapshot_info()
    types = {pl.Int64: "integer", pl.Int32: "integer", pl.Float64: "number", pl.Boolean: "boolean"}
    spec = CHARTS[req.chart]
    description = (spec.describe(req, frame) if spec.describe else kpi_sentence(req, frame))
    return {
        "profile": "data-package",
        "name": f"solidarity-{req.chart}",
        "title": title(req),
        "description": description,
        "homepage": links.canonical,
        "licenses": [{"name": "etalab-2.0", "title": LICENCE}],
        "sources": [{"title": SOURCE}],
        "created": info.built_at,
        "version": info.version,
        "x_solidarity": {"chart": req.chart, "filters": req.query(), "snapshot_version": info.version,
                         "built_at": info.built_at, "code_version": info.code_version,
                         "is_sample": info.is_sample},
        "resources": [{
            "name": "data", "path": "data.csv", "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "schema": {"fields": [{"name": n, "type": types.get(d.base_type(), "string")}
                                  for n, d in frame.schema.items()]},
        }],
    }


def kpi_sentence(req: EmbedRequest, frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return t("no_data", req.lang)
    row = frame.row(0, named=True)
    return kpi.sentence(kpi.Kpi(req.indicator, req.year, row["value"], row["previous_value"], row["target"],
                                row["unit"]), req.lang)


def zip_bytes(req: EmbedRequest, links: Links) -> bytes:
    frame = CHARTS[req.chart].table(req)
    info = snapshot.snapshot_info()
    stamp = datetime.fromisoformat(info.built_at).timetuple()[:6]  # fixed date: same snapshot, same bytes
    cite = citation(req, links)
    readme = "\n".join((title(req), "", metadata(req, links, frame)["description"], "",
                        f"{et('cite_as', req.lang)} :" if req.lang == "fr" else f"{et('cite_as', req.lang)}:",
                        cite, "", source_line(req.lang),
                        t("sample_banner", req.lang) if info.is_sample else "", ""))
    members = {
        "data.csv": inert_frame(published_numbers(frame)).write_csv().encode("utf-8"),
        "datapackage.json": json.dumps(metadata(req, links, frame), ensure_ascii=False, indent=2).encode("utf-8"),
        "CITATION.txt": (cite + "\n").encode("utf-8"),
        "README.txt": readme.encode("utf-8"),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
