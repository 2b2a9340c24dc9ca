"""Shared fixtures: the sample written once, materialised once, per test session.

Browser tests drive Debian's Chromium through ChromeDriver (`make test` installs them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Tests record their runs in throwaway Dagster instances, never in a developer's DAGSTER_HOME.
os.environ.pop("DAGSTER_HOME", None)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"


def pytest_configure(config):
    # the asset graph is read from dbt's manifest: parse sql/ again if a model changed since
    # `make setup` (as `dagster dev` does), before any test loads the definitions
    from pipelines.dbt_project import prepare

    prepare()


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    from pipelines.sample import write_sample

    out = tmp_path_factory.mktemp("raw")
    write_sample(out, scale=1, seed=2026)
    return out


@pytest.fixture(scope="session")
def built(tmp_path_factory, sample_dir):
    """A full materialisation of the sample: (outcome, warehouse path, serving path)."""
    from pipelines.run import materialize_all

    work = tmp_path_factory.mktemp("built")
    warehouse, serving = work / "warehouse.duckdb", work / "serving.duckdb"
    outcome = materialize_all(sample_dir, warehouse, serving)
    return outcome, warehouse, serving


@pytest.fixture(scope="session")
def serving(built) -> Path:
    """The sample's published serving snapshot (a test module may define its own)."""
    outcome, _, serving = built
    assert outcome.success, outcome.report_lines()
    return serving


@pytest.fixture(scope="session")
def client(serving):
    """A Flask test client of the dashboard over the sample snapshot."""
    from snapshot import client_of

    return client_of(serving)


# The dashboard for tests/test_names_*.py (issue 15), built once for both modules (a module may define its own).
@pytest.fixture(scope="session")
def app(built):
    """(Flask test client, Dash's callback dependencies, serving path) of the dashboard over the sample."""
    from dashboard.app import create_app

    outcome, _, serving = built
    assert outcome.success
    client = create_app(serving).server.test_client()
    deps = client.get("/_dash-dependencies").get_json()
    return client, deps, serving


@pytest.fixture(scope="session")
def codes(app):
    """The snapshot's codes of each kind, and a filter value of each kind that has money."""
    from names_reading import _sector, _sql

    _, _, serving = app
    rows = _sql(serving, "select location_kind, location_code, category_code, sector_code, sum(committed_eur) "
                         "from funding group by all order by 5 desc, 2, 3, 4")
    countries = [r[1] for r in rows if r[0] == "country"]
    regions = [r[1] for r in rows if r[0] == "region"]
    categories = [r[2] for r in rows if r[2] != "unallocated"]
    sectors = [r[3] for r in rows if r[3] != "unallocated"]
    assert countries and regions and categories and sectors  # the sample has each kind
    departement = _sql(serving, "select departement_code from campaign_reach where departement_code <> 'inconnu' "
                                "group by 1 order by sum(participants) desc, 1 limit 1")[0][0]
    unnamed = [s for s in dict.fromkeys(sectors) if _sector(s, "fr") is None]
    named = [s for s in dict.fromkeys(sectors) if _sector(s, "fr") is not None]
    return {"countries": list(dict.fromkeys(countries)), "regions": list(dict.fromkeys(regions)),
            "categories": list(dict.fromkeys(categories)), "named_sector": named[0],
            "unnamed_sector": unnamed[0] if unnamed else None, "departement": departement}


def pytest_setup_options():
    """Chrome options for dash's `dash_duo`: Debian's Chromium, headless, as root, offline."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    return options


# The analyst login's failure counts live in a file shared by a server's workers; the
# tests keep theirs apart from a developer's running dashboard.
os.environ.setdefault("SOLIDARITY_LOGIN_DB", os.path.join(__import__("tempfile").mkdtemp(), "logins.sqlite"))
