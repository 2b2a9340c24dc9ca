"""The data-quality page's queries (public) and the analysts' lists (behind a login).

What was read, counted and set aside, and why; the open-data files and the 23,000 € rule;
links and payments left to a person; every published column.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dashboard.snapshot import query, serving_path, snapshot_info


def data_quality(path: Path | None = None) -> pl.DataFrame:
    return query("select source, metric, value, latest_file_at from data_quality order by source, metric", path=path)


def money_reconciliation(path: Path | None = None) -> pl.DataFrame:
    """Public: per source and currency, the amounts read, counted and set aside (by reason):
    read = counted + set aside, rows and money (marts.money_reconciliation)."""
    return query(
        "select source, currency, outcome, coalesce(reason, '') as reason, sum(rows) as rows, "
        "sum(value) as amount, sum(value_eur) as amount_eur from money_reconciliation "
        "group by 1, 2, 3, 4 order by 1, 2, list_position(['read', 'counted', 'set_aside'], outcome), 4",
        path=path,
    )


def negative_money(path: Path | None = None) -> pl.DataFrame:
    """Public: IATI activities whose counted money nets below zero in a year (cancellations,
    reimbursements): counted as is, listed so nobody mistakes them for an error."""
    return query("select year, source_file, iati_identifier, flow_kind, amount_eur, transactions "
                 "from negative_money order by year desc, amount_eur", path=path)


def unconverted_money(path: Path | None = None) -> pl.DataFrame:
    """Public: IATI amounts with no euro rate (before 1999, or a currency the ECB never
    quoted), in their own currency: not counted, not hidden."""
    return query("select year, source_file, currency, transaction_type, transactions, value "
                 "from unconverted_money order by currency, year", path=path)


def rejected_counts(path: Path | None = None) -> pl.DataFrame:
    """Public: how many rows were rejected or flagged, by source and reason code (no values)."""
    return query(
        "select source, severity, split_part(reason, ':', 1) as reason, count(*) as rows "
        "from rejected_rows group by all order by source, rows desc, reason",
        path=path,
    )


def open_data_files(path: Path | None = None) -> pl.DataFrame:
    """Public: the SCDL and IATI files published with this snapshot and their validation."""
    from pipelines.export.published import read_report

    snapshot = path or serving_path()
    report = read_report(snapshot, snapshot_info(snapshot).version)
    rows = [] if report is None else [
        {"file": f["file"], "standard": f["standard"], "rows": f["rows"],
         "valid": f["validation"].get("valid"), "errors": f["validation"].get("errors")}
        for f in report["files"]]
    return pl.DataFrame(rows, schema={"file": pl.String, "standard": pl.String, "rows": pl.Int64,
                                      "valid": pl.Boolean, "errors": pl.Int64})


def publication_compliance(path: Path | None = None) -> pl.DataFrame:
    """Public: the 23,000 € rule per year (counts and rate; no grant-level detail)."""
    return query("select * from publication_compliance order by year desc, missing_field", path=path)


def publication_gaps(path: Path | None = None) -> pl.DataFrame:
    """Analysts only: each grant above 23,000 € and the required field it lacks."""
    return query("select * from publication_gaps order by year desc, grant_key, missing_field", path=path)


def grant_project_reconciliation(path: Path | None = None) -> pl.DataFrame:
    """Public: grants <-> IATI projects per year and programme."""
    return query("select * from grant_project_reconciliation order by year desc, programme", path=path)


def link_review(path: Path | None = None) -> pl.DataFrame:
    """Analysts only: links left to a person (ambiguous or suggested)."""
    return query("select * from link_review order by year desc, review, grant_key", path=path)


def payment_matching(path: Path | None = None) -> pl.DataFrame:
    """Public: the region's payments per year, matched to a grant (by which rule) or set aside
    (and why), rows and euros (marts.payment_matching: read = matched + unmatched + set aside)."""
    return query("select year, outcome, reason, payments, amount_eur from payment_matching "
                 "order by year desc nulls last, outcome, reason", path=path)


def payment_totals(path: Path | None = None) -> dict:
    """Public: all years of marts.payment_matching in one line: read, matched, unmatched (no
    single grant found) and other set-asides (repeated lines and rejected rows)."""
    frame = query(
        "select coalesce(sum(payments), 0) as read, coalesce(sum(amount_eur), 0) as read_eur, "
        "coalesce(sum(payments) filter (where outcome = 'matched'), 0) as matched, "
        "coalesce(sum(amount_eur) filter (where outcome = 'matched'), 0) as matched_eur, "
        "coalesce(sum(payments) filter (where outcome = 'unmatched'), 0) as unmatched, "
        "coalesce(sum(amount_eur) filter (where outcome = 'unmatched'), 0) as unmatched_eur, "
        "coalesce(sum(payments) filter (where outcome = 'set_aside'), 0) as other, "
        "coalesce(sum(amount_eur) filter (where outcome = 'set_aside'), 0) as other_eur "
        "from payment_matching", path=path)
    return frame.row(0, named=True)


def unmatched_payments(path: Path | None = None) -> pl.DataFrame:
    """Analysts only: each payment no rule could give to one grant, with its file, line and reason."""
    return query("select * from unmatched_payments order by year desc, source_file, source_row", path=path)

def rejected_rows(path: Path | None = None) -> pl.DataFrame:
    """Analysts only (behind a login): row-level detail, identifying values already masked."""
    return query(
        "select source, source_file, source_row, field, value, reason, severity from rejected_rows "
        "order by source, source_file, source_row",
        path=path,
    )


def data_dictionary(path: Path | None = None) -> pl.DataFrame:
    """Every published column: table, column, type, meaning, unit, source SQL file."""
    return query(
        "select table_name, column_name, data_type, meaning, unit, source from data_dictionary "
        "order by table_name, position",
        path=path,
    )
