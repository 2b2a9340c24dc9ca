"""Total lines: a row that is the sum of the grants above it is no grant (it is set aside).

The one rule of the grants reader that looks beyond its row, so a file read in batches
(issue 19) carries what it needs from one batch to the next in `Sums`: the grants counted
since the previous total line and since the top of the file, as exact Decimal sums added in
the file's order (the same additions, in the same order, as summing them all at once).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

_TOTAL_LABEL = re.compile(r"(?i)^\s*(sous[- ]?)?total\b|^\s*montant total\b")  # (?i) inline: polars reads the pattern too


@dataclass
class Sums:
    """The grants above the next row: since the previous total line (`section`) and since the
    top of the file (`every`), each a sum and a count; `found`: a total line was found above."""

    section: Decimal | int = 0
    section_n: int = 0
    every: Decimal | int = 0
    every_n: int = 0
    found: bool = False

    def add(self, amounts: list[Decimal]) -> None:
        self.add_sum(sum(amounts, 0), len(amounts))

    def add_sum(self, total: Decimal | int, n: int) -> None:
        """`n` grants whose exact sum is `total` (the same value as adding them one by one:
        decimal addition is exact)."""
        self.section, self.every = self.section + total, self.every + total
        self.section_n += n
        self.every_n += n


def total_lines(grants: pl.DataFrame, rejected: pl.DataFrame, sums: Sums
                ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Split off the total lines: a row with no beneficiary (no name, no identifier) or
    labelled "Total"/"Sous-total", whose amount equals the sum of the grants above it
    (since the previous total line, or since the top of the file). A total line often has
    no date, so rows rejected for want of a year are candidates too. A labelled total that
    is no such sum stays what it was: money is never guessed away. Returns (grants, totals
    with `why` and `_grant`, the rejected rows that are not totals); `sums` is carried on."""
    cols = ["source_row", "year", "montant_eur", "beneficiaire_nom", "beneficiaire_id", "beneficiaire_siren",
            "rna_beneficiaire"]
    rows = pl.concat([grants.select(cols).with_columns(_grant=pl.lit(True)),
                      rejected.select(cols).with_columns(_grant=pl.lit(False))]).sort("source_row")
    empty = (pl.col("beneficiaire_nom").is_null() & pl.col("beneficiaire_id").is_null()
             & pl.col("beneficiaire_siren").is_null() & pl.col("rna_beneficiaire").is_null())
    labelled = pl.col("beneficiaire_nom").str.contains(_TOTAL_LABEL.pattern).fill_null(False)
    candidates = rows.select(pl.arg_where(empty | labelled)).to_series().to_list()
    if not candidates:
        # a batch with no candidate: its exact sum (polars adds DECIMAL(38, 10) as integers), no
        # Python Decimal per grant; an accepted grant always has an amount
        sums.add_sum(grants["montant_eur"].sum() if grants.height else 0, grants.height)
        return grants, rows.head(0).with_columns(why=pl.lit(None, pl.String)), rejected
    totals: dict[int, str] = {}
    amounts = rows["montant_eur"].to_list()  # exact Decimals (the contract's DECIMAL(38, 10))
    counted = rows["_grant"].to_list()
    names = rows["beneficiaire_nom"].to_list()
    done = 0  # rows before this one are in `sums`
    for k in candidates:
        sums.add([a for a, c in zip(amounts[done:k], counted[done:k]) if c])
        done = k
        needed = 1 if names[k] is not None else 2  # one row is no total
        if sums.section_n >= needed and amounts[k] == sums.section:
            totals[k] = f"equals the sum of the {sums.section_n} rows above ({_plain(sums.section)} €)"
        elif sums.found and sums.every_n >= needed and amounts[k] == sums.every:
            totals[k] = f"equals the sum of all {sums.every_n} grants above ({_plain(sums.every)} €)"
        else:
            continue
        sums.section, sums.section_n, sums.found = 0, 0, True
        done = k + 1  # a total line is counted in no sum
    sums.add([a for a, c in zip(amounts[done:], counted[done:]) if c])
    lines = {rows["source_row"][k] for k in totals}
    found = rows.with_columns(why=pl.Series("why", [totals.get(i) for i in range(rows.height)], dtype=pl.String))
    found = found.filter(pl.col("source_row").is_in(list(lines)))
    return (grants.filter(~pl.col("source_row").is_in(list(lines))), found,
            rejected.filter(~pl.col("source_row").is_in(list(lines))))


def _plain(amount: Decimal) -> str:
    """An exact amount as a person writes it: 15000, 1234.5 (not 15000.0000000000)."""
    return format(Decimal(amount).normalize(), "f")
