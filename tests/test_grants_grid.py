"""The grants table's server-side rows and the per-snapshot caches, against the sample snapshot.

Expected rows come from a direct SQL over `grants_public`; the grid's requests are the
shapes ag-grid's infinite row model sends (startRow/endRow, sortModel, filterModel).
"""

from __future__ import annotations

import json
import os
import shutil

import duckdb
import pytest

from dashboard import grants_grid
from dashboard.filters import Filters
from snapshot import sql


# `serving` is the session fixture of conftest.py.


def _rows(serving, filters: Filters, request: dict) -> dict:
    return grants_grid.rows_response(filters, request, path=serving)


def test_a_block_sorted_by_amount_is_the_snapshot_s_largest_grants(serving):
    year = sql(serving, "select max(year) from grants_public")[0][0]
    filters = Filters(year_from=year, year_to=year)
    got = _rows(serving, filters, {"startRow": 0, "endRow": 10, "sortModel": [{"colId": "amount_eur", "sort": "desc"}],
                                   "filterModel": {}})
    expected = sql(serving, "select amount_eur from grants_public where year = $y order by amount_eur desc limit 10",
                    {"y": year})
    assert [r["amount_eur"] for r in got["rowData"]] == [a for (a,) in expected]
    assert got["rowCount"] == sql(serving, "select count(*) from grants_public where year = $y", {"y": year})[0][0]
    assert all(r["amount_text"] and r["date_text"] for r in got["rowData"])


def test_blocks_page_through_every_grant_once(serving):
    total = sql(serving, "select count(*) from grants_public")[0][0]
    seen = []
    for start in range(0, total, 500):
        block = _rows(serving, Filters(), {"startRow": start, "endRow": start + 500})
        seen += [(r["reference_decision"], r["amount_eur"], r["purpose"]) for r in block["rowData"]]
    assert len(seen) == total
    expected = sql(serving, "select reference_decision, amount_eur, purpose from grants_public")
    assert sorted(seen, key=repr) == sorted(expected, key=repr)


def test_column_filters_bind_values_and_ignore_unknown_columns_and_operators(serving):
    # a word of a grant the OR condition keeps, so the expected count cannot be 0 by chance
    word = sql(serving, "select split_part(purpose, ' ', 1) from grants_public "
                         "where purpose is not null and amount_eur > 50000 order by grant_key limit 1")[0][0]
    request = {"startRow": 0, "endRow": 100000,
               "sortModel": [{"colId": "amount_eur desc; drop table grants_public; --", "sort": "asc"}],
               "filterModel": {"purpose": {"filterType": "text", "type": "contains", "filter": word.upper()},
                               "amount_eur": {"filterType": "number", "operator": "OR", "conditions": [
                                   {"filterType": "number", "type": "greaterThan", "filter": 50000},
                                   {"filterType": "number", "type": "lessThan", "filter": 1000}]},
                               "grant_key": {"filterType": "text", "type": "contains", "filter": "x"},
                               "programme": {"filterType": "text", "type": "1=1) or (1", "filter": "x"}}}
    got = _rows(serving, Filters(), request)
    expected = sql(serving, "select count(*) from grants_public where contains(lower(purpose), lower($w)) "
                             "and (amount_eur > 50000 or amount_eur < 1000)", {"w": word})[0][0]
    assert got["rowCount"] == len(got["rowData"]) == expected > 0
    # at most MAX_BLOCK rows per request, whatever was asked
    assert len(_rows(serving, Filters(), {"startRow": 0, "endRow": 10**6})["rowData"]) == grants_grid.MAX_BLOCK


def test_the_grants_page_sends_no_rows_and_a_callback_serves_one_block(serving):
    from dashboard.app import create_app

    client = create_app(serving).server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    page = next(d for d in deps if "_pages_content" in d["output"])
    body = {"output": page["output"], "outputs": [{"id": "_pages_content", "property": "children"},
                                                  {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/grants"},
                       {"id": "_pages_location", "property": "search", "value": "?country=SEN"}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    text = client.post("/_dash-update-component", json=body).get_data(as_text=True)
    assert '"rowModelType":"infinite"' in text and '"rowData"' not in text
    grid_id = {"query": "?country=SEN", "type": "grants-grid"}
    assert '"query":"?country=SEN"' in text and '"type":"grants-grid"' in text
    rows = next(d for d in deps if d["output"].endswith(".getRowsResponse"))
    request = {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}
    answer = client.post("/_dash-update-component", json={
        "output": rows["output"], "outputs": {"id": grid_id, "property": "getRowsResponse"},
        "inputs": [{"id": grid_id, "property": "getRowsRequest", "value": request}],
        "changedPropIds": [json.dumps(grid_id, separators=(",", ":")) + ".getRowsRequest"], "state": []}).get_json()
    block = answer["response"][json.dumps(grid_id, separators=(",", ":"))]["getRowsResponse"]
    senegal = sql(serving, "select count(*) from grants_public where main_location_code = 'SEN'")[0][0]
    assert block["rowCount"] == senegal > 0
    assert {r["main_location_code"] for r in block["rowData"]} == {"SEN"}
    assert len(block["rowData"]) == min(100, senegal)


def test_a_replaced_snapshot_is_seen_by_the_next_request_despite_the_caches(serving, tmp_path):
    from dashboard.app import create_app

    path = tmp_path / "serving.duckdb"
    shutil.copy(serving, path)
    client = create_app(path).server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    page = next(d for d in deps if "_pages_content" in d["output"])
    body = {"output": page["output"], "outputs": [{"id": "_pages_content", "property": "children"},
                                                  {"id": "_pages_store", "property": "data"}],
            "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/grants"},
                       {"id": "_pages_location", "property": "search", "value": "?lang=en"}],
            "changedPropIds": ["_pages_location.pathname"], "state": []}
    before = client.post("/_dash-update-component", json=body).get_data(as_text=True)
    count = sql(path, "select count(*) from grants_public")[0][0]
    assert f"{count:,} grants" in before
    # a new snapshot with one grant fewer, swapped in atomically as publish does
    fresh = tmp_path / "fresh.duckdb"
    shutil.copy(serving, fresh)
    with duckdb.connect(str(fresh)) as conn:
        conn.execute("delete from grants_public where rowid = (select min(rowid) from grants_public)")
    os.replace(fresh, path)
    after = client.post("/_dash-update-component", json=body).get_data(as_text=True)
    assert f"{count - 1:,} grants" in after


@pytest.mark.browser
def test_the_grid_shows_a_block_in_the_browser_and_sorts_on_the_server(dash_duo, serving):
    from dashboard.app import create_app
    from dashboard.i18n import day, euros

    dash_duo.start_server(create_app(serving))
    dash_duo.wait_for_page(url=dash_duo.server_url + "/grants?country=SEN")
    dash_duo.wait_for_element(".ag-row [col-id='amount_eur']", timeout=30)
    # default order: newest first, date in French format
    newest = sql(serving, "select max(date_convention) from grants_public where main_location_code = 'SEN'")[0][0]
    dash_duo.wait_for_text_to_equal(".ag-row[row-index='0'] [col-id='date_convention']", day(newest, "fr"), timeout=20)
    largest = sql(serving, "select max(amount_eur) from grants_public where main_location_code = 'SEN'")[0][0]
    header = dash_duo.find_element(".ag-header-cell[col-id='amount_eur'] .ag-header-cell-label")
    header.click()  # ascending
    header.click()  # descending: asked of the server, not sorted in the browser
    dash_duo.wait_for_text_to_equal(".ag-row[row-index='0'] [col-id='amount_eur']", euros(largest, "fr"), timeout=20)
    assert dash_duo.get_logs() == []
