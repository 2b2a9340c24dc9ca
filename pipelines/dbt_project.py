"""The dbt project in `sql/`: where it is, and its manifest, prepared ahead of time.

Dagster reads the asset graph (models, sources, tests, columns) from dbt's manifest, never by
parsing the project when a code location loads: `make setup` runs `python -m
pipelines.dbt_project`, which parses the project when a file of it is newer than its manifest
(and the test session does the same before it starts). `dagster dev` re-parses by itself
(`DbtProject.prepare_if_dev`).
"""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
from functools import cached_property
from pathlib import Path

from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource, DbtProject
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from packaging import version

from pipelines.dbt_in_process import DbtInThisProcess, build_args
from pipelines.settings import SQL_DIR

# the environment variable sql/profiles.yml reads the warehouse's path from
WAREHOUSE_ENV = "SOLIDARITY_DBT_WAREHOUSE"
# ... and DuckDB's memory limit while the models build (`settings.models_duckdb_mb`)
MEMORY_ENV = "SOLIDARITY_DBT_MEMORY_LIMIT"

DBT_PROJECT = DbtProject(project_dir=SQL_DIR, profiles_dir=SQL_DIR)
# the dbt installed beside this interpreter (the virtualenv's), whatever PATH says
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))


class WarehouseDbt(DbtCliResource):
    """dagster-dbt's dbt resource without the start-up costs this project has no use for
    (docs/benchmarks.md, issue 18):

    - `build` runs `dbt build` in this process (`pipelines.dbt_in_process`) rather than in a
      `dbt` process that imports dbt again (~2.4 s of CPU at every build);

    - dagster-dbt asks `dbt --version` in a process of its own (2.5 s) to tell dbt Core from
      the Fusion engine; the executable here is the virtualenv's dbt (`DBT_EXECUTABLE`), whose
      version is the dbt-core package's, read from its metadata;
    - it opens a dbt adapter in this process (2.2 s of imports) only to fetch row counts and
      column types, which `pipelines/defs/models/metadata.py` reads from the warehouse itself.
      With no adapter, dagster-dbt skips both (`DbtCliInvocation.adapter` is optional).

    Both are private hooks of dagster-dbt 0.29.x (locked); `tests/test_dbt_resource.py` checks
    the version against `dbt --version` and that a build still reports every model and check.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None

    def build(self, context, target_path: Path) -> DbtCliInvocation:
        """`dbt build` of the step's selection, as `self.cli(["build"], context=context)` would
        run it (same selection, through dagster-dbt's own function), in this process. Its
        `stream()` gives the same materialisations and check results."""
        params = get_updated_cli_invocation_params_for_context(
            context=context, manifest={}, dagster_dbt_translator=DagsterDbtTranslator())
        # a large selection runs in a temporary copy of the project holding a selectors file
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        args = build_args(project_dir=project_dir, profiles_dir=Path(self.profiles_dir or project_dir),
                          target_path=target_path, selection=params.selection_args,
                          indirect_selection=params.indirect_selection)
        return DbtCliInvocation(
            process=DbtInThisProcess(args), manifest=params.manifest,
            dagster_dbt_translator=params.dagster_dbt_translator, project_dir=project_dir,
            target_path=target_path, raise_on_error=True, cli_version=self._cli_version,
            project=params.dbt_project, context=context)


def project_files(project_dir: Path = SQL_DIR) -> list[Path]:
    """What dbt parses: the project file, models, checks, macros, their .yml and the .md of
    shared column descriptions (docs blocks)."""
    found = [project_dir / "dbt_project.yml"]
    for folder in ("models", "checks", "macros"):
        found += [p for p in (project_dir / folder).rglob("*") if p.suffix in {".sql", ".yml", ".md"}]
    return found


def manifest_is_stale(project_dir: Path = SQL_DIR) -> bool:
    manifest = project_dir / "target" / "manifest.json"
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(p.stat().st_mtime > built for p in project_files(project_dir))


def prepare(project_dir: Path = SQL_DIR, *, force: bool = False) -> bool:
    """Parse the project into `target/manifest.json` when stale (or `force`); True if parsed.
    A project that does not parse fails here, with dbt's own message."""
    if not force and not manifest_is_stale(project_dir):
        return False
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", WAREHOUSE_ENV: os.devnull}
    done = subprocess.run(
        [DBT_EXECUTABLE, "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir), "--quiet"],
        env=env, capture_output=True, text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"dbt parse failed in {project_dir}:\n{done.stdout}{done.stderr}")
    return True


if __name__ == "__main__":
    parsed = prepare(force="--force" in sys.argv)
    print(f"dbt manifest {'prepared' if parsed else 'up to date'}: {SQL_DIR / 'target' / 'manifest.json'}")
