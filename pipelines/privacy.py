"""Natural persons stay unnamed (CRPA art. L.312-1-2): a scan of every text column.

The SQL check `no_natural_person_named` guards the grants list; this scan runs inside
the publish step over the snapshot about to be swapped in, every table and every text
column — marts analysts add later included — so no table can leak a name by accident.
"""

from __future__ import annotations

import duckdb
import polars as pl

# Shorter identifiers are too common to mean anything and would only make noise.
MIN_IDENTIFIER_LENGTH = 5


class PrivacyLeak(Exception):
    """A natural person's name or SIRET is about to be published: publication stops."""


def natural_person_leaks(conn: duckdb.DuckDBPyConnection, catalog: str) -> pl.DataFrame:
    """(table, column) pairs of `catalog` holding a natural person's name or SIRET."""
    conn.execute(
        """
        create or replace temp table _natural_persons as
        select distinct identifier from (
            select trim(beneficiary_name) as identifier from staging.grants where is_natural_person
            union all
            select beneficiary_siret from staging.grants where is_natural_person
        )
        where identifier is not null and length(identifier) >= $min_length
        """,
        {"min_length": MIN_IDENTIFIER_LENGTH},
    )
    columns = conn.execute(
        """
        select table_schema, table_name, column_name from information_schema.columns
        where table_catalog = $catalog and data_type = 'VARCHAR'
        order by table_name, ordinal_position
        """,
        {"catalog": catalog},
    ).fetchall()
    leaks = []
    for schema, table, column in columns:
        # names come from the catalogue, not from input; quoted all the same
        found = conn.execute(
            f'select count(*) from "{catalog}"."{schema}"."{table}" '
            f'where trim("{column}") in (select identifier from _natural_persons)'
        ).fetchall()[0][0]
        if found:
            leaks.append({"table": table, "column": column, "rows": found})
    return pl.DataFrame(leaks, schema={"table": pl.String, "column": pl.String, "rows": pl.Int64})
