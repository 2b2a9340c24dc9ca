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
