"""Every chart's data as CSV, Excel or Parquet, with where it comes from.

`GET /download/<dataset>.<csv|excel.csv|xlsx|parquet>?<the page's filters>` returns the
frame the chart was drawn from. Provenance travels inside the file so it cannot get lost:
Text written for spreadsheets is inert (pipelines/inert.py: no live formula in a
CSV or Excel cell).

Two CSVs: `<dataset>.csv` is the open-data file (UTF-8, comma, the columns' own names,
decimal points), the same whatever the page's language. `<dataset>.excel.csv` is the one
a spreadsheet opens by double-click in the reader's language: a UTF-8 byte-order mark (else
Excel reads the accents as Windows-1252), the page's language's decimal sign, and the list
separator Excel expects with it (`;` where the decimal sign is a comma: French Excel splits
on `;`), numbers never in scientific notation, dates and times as Excel reads them, and
every header a label from the PO catalogs (`csv.<column>`, or `csv.<dataset>.<column>` where
a name means something else in that dataset). CSV and Parquet carry `meta_source`, `meta_licence`, `meta_built_at`,
`meta_snapshot_version` and `meta_is_sample` columns (and `meta_euros`, the base of constant
euros, when the page shows them: `euros=constant` converts every euro column) (prefixed so they never clash with
a data column such as rejected rows' `source`; Parquet also as file metadata); Excel
has a `metadata` sheet.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable

import flask
import polars as pl
from babel.numbers import get_decimal_symbol

from dashboard import constant_euros, data, snapshot
from dashboard.built_once import built_once, default_root
from dashboard.filters import Filters, parse, to_query
from dashboard.i18n import LOCALES, catalog, lang_of, t
from dashboard.specs import BY_DATASET, SPECS
from pipelines.inert import XLSX_OPTIONS, inert_frame

# The programme publishes its data under Etalab's open licence, the French public-sector default.
LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"
# Who publishes the data: a proper name, written the same in every language (files, embeds).
PUBLISHER = "Région — programme de solidarité internationale"
SOURCE = (f"{PUBLISHER} : subventions (SCDL), projets (IATI), paiements (comptabilité), "
          "annuaire des structures, emplois, agenda du Festival des Solidarités")
EXCEL_CSV = "excel.csv"
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    EXCEL_CSV: "text/csv; charset=utf-8",  # for a spreadsheet, in the page's language (see above)
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}

# dataset name -> frame for the page's filters: the charts' specs' own queries (dashboard/specs.py)
DATASETS: dict[str, Callable[[Filters], pl.DataFrame]] = {s.dataset: s.frame for s in SPECS if s.download}


def provenance(source: str | None = None, sample: bool = False) -> dict[str, str]:
    """What every file carries about itself; `source`: a chart spec's own (the registry's), else the
    region's; `sample`: that source is generated data, whatever the region's is."""
    info = snapshot.snapshot_info()
    is_sample = info.is_sample or sample
    return {
        "source": (source or SOURCE) + (" — DONNÉES D'EXEMPLE, NON OFFICIELLES" if is_sample else ""),
        "licence": LICENCE,
        "built_at": info.built_at,
        "snapshot_version": info.version,
        "is_sample": str(is_sample).lower(),
    }


def with_provenance(frame: pl.DataFrame, meta: dict[str, str]) -> pl.DataFrame:
    return frame.with_columns(*(pl.lit(v).alias(f"meta_{k}") for k, v in meta.items()))


def published_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    """Numbers as a file should carry them: euro columns (`*_eur`) as decimals of two places,
    other fractional numbers (ratios, full-time equivalents) to 12 significant digits (a ratio
    of 0.0093 € per inhabitant keeps its precision; the noise is in the 16th). The snapshot's money
    is exact DECIMAL(38, 10) (docs/money-rules.md, "Exact money"): a euro column is that exact
    value rounded to the cent (half to even) here, for display only; a float euro column (a
    figure the dashboard computes) is rounded the same way. Other exact decimals stay as stored."""
    return frame.with_columns(
        pl.col(name).round(2).cast(pl.Decimal(38, 2)) if name.endswith("_eur")
        else pl.col(name).round_sig_figs(12)
        for name, dtype in frame.schema.items()
        if dtype.is_float() or (dtype.is_decimal() and name.endswith("_eur")))


def column_label(dataset: str, column: str, lang: str) -> str | None:
    """A column's header in a spreadsheet: `csv.<dataset>.<column>`, else `csv.<column>`, from
    the language's PO catalog; None when the catalog has neither (a test keeps that from happening)."""
    words = catalog(lang_of(lang))
    return words.get(f"csv.{dataset}.{column}") or words.get(f"csv.{column}")


def spreadsheet_signs(lang: str) -> tuple[str, bool]:
    """(field separator, decimal comma?) for the language's spreadsheet: its decimal sign from
    CLDR, and the list separator Excel pairs with it (a comma decimal means `;` between fields)."""
    decimal_comma = get_decimal_symbol(LOCALES[lang_of(lang)]) == ","
    return (";" if decimal_comma else ","), decimal_comma


def excel_csv(frame: pl.DataFrame, dataset: str, lang: str) -> bytes:
    """The spreadsheet CSV of an already published, provenance-carrying, inert frame."""
    separator, decimal_comma = spreadsheet_signs(lang)
    labels = {c: column_label(dataset, c, lang) or c for c in frame.columns}
    buffer = io.BytesIO()
    frame.rename(labels).write_csv(
        buffer, separator=separator, decimal_comma=decimal_comma, include_bom=True, line_terminator="\r\n",
        float_scientific=False, datetime_format="%Y-%m-%d %H:%M:%S", date_format="%Y-%m-%d",
    )
    return buffer.getvalue()


def encode(frame: pl.DataFrame, fmt: str, meta: dict[str, str], dataset: str = "", lang: str = "fr") -> bytes:
    buffer = io.BytesIO()
    if fmt == "csv":
        inert_frame(with_provenance(published_numbers(frame), meta)).write_csv(buffer)
    elif fmt == EXCEL_CSV:
        # inert before the numbers become text: a French "-12,50" stays a number, never "'-12,50"
        return excel_csv(inert_frame(with_provenance(published_numbers(frame), meta)), dataset, lang)
    elif fmt == "parquet":
        with_provenance(published_numbers(frame), meta).write_parquet(buffer, metadata=meta)
    elif fmt == "xlsx":
        import xlsxwriter

        with xlsxwriter.Workbook(buffer, {"in_memory": True, **XLSX_OPTIONS}) as book:
            published_numbers(frame).write_excel(book, worksheet="data", autofit=True)
            pl.DataFrame({"field": list(meta), "value": list(meta.values())}).write_excel(
                book, worksheet="metadata", autofit=True)
    else:
        raise ValueError(fmt)
    return buffer.getvalue()


def href(dataset: str, fmt: str, filters: Filters) -> str:
    return f"/download/{dataset}.{fmt}{to_query(filters)}"


def split_name(name: str) -> tuple[str, str]:
    """`flows.excel.csv` -> (flows, excel.csv): the longest format the name ends with."""
    for fmt in sorted(FORMATS, key=len, reverse=True):
        if name.endswith("." + fmt):
            return name[: -len(fmt) - 1], fmt
    return name, ""


def register(server: flask.Flask) -> None:
    @server.route("/open-data/<name>")
    def open_data(name: str):
        """The snapshot's SCDL and IATI exports and their validation report, as written once by
        the pipeline (pipelines/export/published.py): a name from the report, never a path."""
        from pipelines.export.published import export_file

        path = export_file(snapshot.serving_path(), snapshot.snapshot_info().version, name)
        if path is None or not path.is_file():
            flask.abort(404)
        kind = {".csv": "text/csv; charset=utf-8", ".xml": "application/xml; charset=utf-8",
                ".json": "application/json; charset=utf-8"}[path.suffix]
        return flask.send_file(path, mimetype=kind, as_attachment=path.suffix != ".json", download_name=name,
                               max_age=3600)

    @server.route("/download/<dataset>.<fmt>")
    def download(dataset: str, fmt: str):
        dataset, fmt = split_name(f"{dataset}.{fmt}")
        if dataset not in DATASETS or fmt not in FORMATS:
            flask.abort(404)
        filters = parse(flask.request.args.to_dict(), data.filter_allowlists())
        chart = BY_DATASET[dataset]
        meta = provenance(chart.source, bool(chart.sample and chart.sample()))
        if filters.constant_euros and chart.constant_euros:  # the amounts' basis travels in the file (`meta_euros`), named
            meta["euros"] = t("euros.basis", filters.lang, year=constant_euros.price_base())
        # the key is the format and the validated filters (language included), not the raw query:
        # `?x=1` cannot force a new build, and a French and an English spreadsheet CSV are two files
        # the snapshot file's identity (inode, mtime) too: a changed copy is another snapshot
        stamp = hashlib.sha256(repr(snapshot.snapshot_stamp()).encode()).hexdigest()[:12]
        built = built_once(default_root(snapshot.serving_path()), f"{meta['snapshot_version']}-{stamp}",
                           f"{dataset}.{fmt}{to_query(filters)}",
                           lambda: encode(DATASETS[dataset](filters), fmt, meta, dataset, filters.lang))
        headers = {"Content-Disposition": f'attachment; filename="{dataset}.{fmt}"'}
        if isinstance(built, bytes):
            response = flask.Response(built, headers=headers)
        else:
            response = flask.send_file(built, conditional=False, etag=False)
            response.headers.update(headers)
        response.content_type = FORMATS[fmt]  # as is: `mimetype=` would append a second charset
        return response
