"""The tests' own ways into a serving snapshot: a Flask test client of the dashboard over a
file, and plain SQL over it (the independent reading every expected figure starts from).

One home for every test module; `conftest.py` builds its session `client` with `client_of`.
"""

from __future__ import annotations

from pathlib import Path

import duckdb


def client_of(serving: Path):
    """A Flask test client of a fresh dashboard over `serving`."""
    from dashboard.app import create_app

    return create_app(serving).server.test_client()


def sql(serving: Path, query: str, params: dict | list | None = None) -> list[tuple]:
    """Rows of `query` over the snapshot, opened read-only (never the code under test)."""
    with duckdb.connect(str(serving), read_only=True) as conn:
        return conn.execute(query, params).fetchall()


def check_sql(name: str) -> str:
    """A check of `sql/checks/` as dbt runs it on the warehouse: `ref('x')` is the model's layer
    and name, `source('s', 't')` the source's schema and table, `config()` nothing. For tests that
    run a check on a warehouse they broke on purpose (dbt compiles the same names, quoted)."""
    import jinja2
    import yaml

    sql_dir = Path(__file__).resolve().parents[1] / "sql"
    layers = {p.stem: p.parent.name for p in (sql_dir / "models").glob("*/*.sql")}
    schemas = {
        source["name"]: source.get("schema", source["name"])
        for path in (sql_dir / "models").rglob("*.yml")
        for source in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("sources", [])
    }
    template = jinja2.Template((sql_dir / "checks" / f"{name}.sql").read_text(encoding="utf-8"))
    return template.render(
        ref=lambda model: f"{layers[model]}.{model}",
        source=lambda source, table: f"{schemas[source]}.{table}",
        config=lambda **_: "",
    )
