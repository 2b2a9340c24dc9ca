"""The overview page in a real headless Chromium (dash_duo), against the sample snapshot."""

from __future__ import annotations

import duckdb
import pytest

from dashboard.i18n import euros_short, number

pytestmark = pytest.mark.browser


@pytest.fixture
def app(built):
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    return create_app(serving), serving


def test_overview_shows_the_headline_figures_of_the_snapshot(dash_duo, app):
    dash_app, serving = app
    with duckdb.connect(str(serving), read_only=True) as conn:
        year = conn.execute("select max(year) from kpis where indicator = 'committed_eur'").fetchone()[0]
        committed = conn.execute(
            "select value from kpis where indicator = 'committed_eur' and year = $y", {"y": year}
        ).fetchone()[0]
        jobs = conn.execute(
            "select value from kpis where indicator = 'jobs_headcount' and year = $y", {"y": year}
        ).fetchone()[0]
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_text_to_equal("#kpi-committed_eur", euros_short(committed, "fr"), timeout=20)
    dash_duo.wait_for_text_to_equal("#kpi-jobs_headcount", number(jobs, "fr"))
    dash_duo.wait_for_contains_text("#sample-banner", "Données d'exemple")
    dash_duo.wait_for_contains_text("#footer", "Instantané")
    assert dash_duo.get_logs() == []


def test_overview_in_english_for_a_given_year(dash_duo, app):
    dash_app, serving = app
    with duckdb.connect(str(serving), read_only=True) as conn:
        committed = conn.execute(
            "select value from kpis where indicator = 'committed_eur' and year = 2019"
        ).fetchone()[0]
    dash_duo.start_server(dash_app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?year=2019&lang=en")
    dash_duo.wait_for_text_to_equal("#kpi-committed_eur", euros_short(committed, "en"), timeout=20)
    dash_duo.wait_for_contains_text("#sample-banner", "sample data")
    assert dash_duo.get_logs() == []
