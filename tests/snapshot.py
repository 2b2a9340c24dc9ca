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
    """A check as dbt runs it on the warehouse: a singular test of `sql/checks/`, or a generic
    test of `sql/checks/generic/` named `name` in a model's .yml, with its arguments. `ref('x')`
    is the model's layer and name, `source('s', 't')` the source's schema and table, `config()`
    nothing. For tests that run a check on a warehouse they broke on purpose (dbt compiles the
    same names, quoted)."""
    import re

    import jinja2
    import yaml

    sql_dir = Path(__file__).resolve().parents[1] / "sql"
    layers = {p.stem: p.parent.name for p in (sql_dir / "models").glob("*/*.sql")}
    documents = [yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in (sql_dir / "models").rglob("*.yml")]
    schemas = {source["name"]: source.get("schema", source["name"]) for doc in documents for source in doc.get("sources", [])}
    names = {
        "ref": lambda model: f"{layers[model]}.{model}",
        "source": lambda source, table: f"{schemas[source]}.{table}",
        "config": lambda **_: "",
    }
    singular = sql_dir / "checks" / f"{name}.sql"
    if singular.exists():
        return jinja2.Template(singular.read_text(encoding="utf-8")).render(**names)
    for doc in documents:
        for model in doc.get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []):
                    (generic, spec), = test.items() if isinstance(test, dict) else ((test, {}),)
                    if spec.get("name") != name:
                        continue
                    text = (sql_dir / "checks" / "generic" / f"{generic}.sql").read_text(encoding="utf-8")
                    body = re.search(r"{%\s*test\s[^%]*%}(.*){%\s*endtest\s*%}", text, re.S).group(1)
                    arguments = {key: jinja2.Template(f"{{{{ {value} }}}}").render(**names)
                                 if key == "to" else value for key, value in spec.get("arguments", {}).items()}
                    return jinja2.Template(body).render(model=names["ref"](model["name"]),
                                                        column_name=column["name"], **arguments)
    raise KeyError(f"no check named {name} in sql/checks/ or the models' .yml")
