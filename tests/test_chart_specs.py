"""One chart spec (issue 18): pages, downloads and embeds are views of `dashboard.specs.SPECS`.

Each spec's block is on its page under its section id with its dataset's download links; an
embed's CSV is its download's rows (one query); every column kind is one `dashboard.cells` formats.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from dash_pages import nodes, render
from dashboard.specs import SPECS
from snapshot import sql


def _rows(body: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


def test_downloads_and_embeds_list_the_specs_and_nothing_else():
    from dashboard.downloads import DATASETS
    from dashboard.embed.catalogue import CHARTS
    assert list(DATASETS) == [s.dataset for s in SPECS if s.download]
    assert len({s.dataset for s in SPECS}) == len(SPECS)
    assert {slug: c.spec.dataset for slug, c in CHARTS.items()} == {
        "funding-by-year": "funding_by_year", "world-map": "funding_by_country", "flows": "flows",
        "sectors": "sectors", "jobs-by-departement": "jobs_by_departement", "campaign-reach": "campaign_reach",
        "kpi": "kpis"}
    # every embed takes the pages' words (plus a KPI's indicator)
    from dashboard.filters import PARAMS

    assert {p for c in CHARTS.values() for p in c.params} <= {*PARAMS, "indicator"}


@pytest.mark.parametrize("kind", sorted({c.kind for s in SPECS for c in s.columns}))
def test_every_column_kind_is_one_the_cells_format(kind):
    from dashboard.cells import cell_text

    value = {"text": "Mali", "beneficiary": "ong", "indicator": "committed_eur"}.get(kind, Decimal("1234.5"))
    written = cell_text(value, kind, "fr")
    if kind in ("euros", "number", "decimal"):
        assert written != str(value) and written.replace("\u202f", " ").startswith("1 23"), (kind, written)
    else:
        assert written and written not in ("committed_eur", "ong"), (kind, written)


@pytest.mark.parametrize("dataset", ["funding_by_year", "funding_by_country", "flows", "sectors",
                                     "jobs_by_departement", "campaign_reach", "committed_against_target", "outcomes"])
def test_a_spec_s_block_is_on_its_page_with_its_dataset_s_downloads(client, dataset):
    from dashboard.specs import spec

    chart = spec(dataset)
    tree = render(client, chart.page, "")
    block = next((n for n in nodes(tree) if n["props"].get("id") == chart.section), None)
    assert block is not None and block["type"] == "Section", (chart.page, chart.section)
    links = {n["props"]["href"].split("?")[0] for n in nodes(block) if n["type"] == "A"}
    assert f"/download/{dataset}.csv" in links


@pytest.mark.parametrize("slug,dataset,key", [("world-map", "funding_by_country", ("country_code",)),
                                              ("sectors", "sectors", ("category_code", "sector_code")),
                                              ("jobs-by-departement", "jobs_by_departement", ("departement_code",))])
def test_an_embed_s_csv_is_its_download_s_rows(client, serving, slug, dataset, key):
    year = sql(serving, "select max(year) from funding")[0][0] - 1
    embedded = _rows(client.get(f"/embed/{slug}.csv?years={year}").data)
    downloaded = _rows(client.get(f"/download/{dataset}.csv?years={year}").data)
    assert embedded and len(embedded) == len(downloaded)
    by_key = {tuple(r[k] for k in key): r for r in downloaded}
    for row in embedded:
        other = by_key[tuple(row[k] for k in key)]
        assert row == {k: other[k] for k in row}, row


def test_every_embedded_column_has_the_downloads_header_in_both_languages():
    """Embeds and downloads name a column the same way (`downloads.column_label`): one vocabulary."""
    from dashboard.downloads import column_label
    from dashboard.embed.catalogue import CHARTS

    missing = [(slug, column.name, lang) for slug, chart in CHARTS.items() for column in chart.columns
               for lang in ("fr", "en") if column_label(chart.spec.dataset, column.name.format(lang=lang), lang) is None]
    assert len(CHARTS) >= 6 and missing == []
