"""SCDL row validation, column by column over distinct values.

A grants file repeats itself: one attribuant, a few natures, dates and amounts shared
by many rows. Each check (`checks`) is a pure function of a few cells of one row (a *field
group*: `montant`; `datesPeriodeVersement` with the old split period columns...), so it
runs once per distinct value (or tuple of values) of its columns, in plain Python with
the exact parsers of `values`, and polars joins the outcome back to every row:
values, and problems (field, value, reason) with their order in the row. Python never
loops over the rows, except to build the `Problem` objects the contract returns. A file read
in batches keeps each group's outcomes per value from batch to batch as frames (`CheckMemo`,
bounded), so a value is checked once per file, not once per batch, and a batch's rows are
joined to the outcomes already known without a Python step per value.

The groups run in the order the checks were written for one row (`checks.GROUPS`), so a row's
problems and `flags` keep that order: the short-row warning, missing required values,
name, amount, date, SIRET, ... percentage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from pipelines.sources.common import Problem
from pipelines.sources.scdl.checks import FIRST_GROUP_SEQ, GROUPS, CheckedValue, FileContext

_PROBLEM_SCHEMA = {"_idx": pl.UInt32, "_seq": pl.Int32, "_sub": pl.Int32, "field": pl.String,
                   "value": pl.String, "reason": pl.String, "severity": pl.String}


# A field group's outcomes kept per distinct value, from batch to batch of one file (`CheckMemo`):
# at most this many values per group (~20,000 x 15 groups x a few hundred bytes: tens of MB at most).
MEMO_KEYS = 20_000


@dataclass
class GroupMemo:
    """One field group's outcomes so far, as frames: `keys` (the group's columns, its outputs,
    `_f0`/`_f1` flag codes, `_err`, `_kid`) and `problems` (`_kid` and the problem columns)."""

    keys: pl.DataFrame | None = None
    problems: pl.DataFrame | None = None


class CheckMemo:
    """What each field group's check gave for each distinct value already met in the file, so a
    value repeated from batch to batch (a beneficiary funded every year, a date, a nature) is
    checked once per file, not once per batch, and joined back to the rows by polars without a
    Python step per value. The checks are pure functions of the value and the file's
    `FileContext`, so an outcome is the same in every batch. Bounded: a group keeps the first
    `MEMO_KEYS` values it meets, and checks the others in every batch, as before."""

    def __init__(self) -> None:
        self.groups: dict[int, GroupMemo] = {}


def validate(rows: pl.DataFrame, width: int, extras: list[tuple[str, str]], present: set[str],
             spreadsheet: bool, schema: dict[str, pl.DataType], memo: CheckMemo | None = None
             ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Validate data rows, one column per SCDL name present plus `_line`, `_ncells` and the
    extra columns (`extras`: column, label). Returns (grants with `schema`, problems ordered
    as the rows and checks, with `_line`, and the rejected rows whose amount was readable:
    `source_row`, `year`, `montant_eur`). `memo`: the file's outcomes so far (its other batches)."""
    memo = memo if memo is not None else CheckMemo()
    ctx = FileContext(frozenset(present), spreadsheet)
    n = rows.height
    rows = rows.with_row_index("_idx")
    shape_problems, shape_flags, too_many = _shape_problems(rows, width)
    outputs, problem_parts, early_flags, flag_parts, errors = _run_groups(rows, present, ctx, schema, memo)
    problem_parts = [shape_problems, *problem_parts]
    errors = ([too_many] if too_many is not None else []) + errors
    problems = pl.concat(problem_parts).sort("_idx", "_seq", "_sub", maintain_order=True)

    computed = [name for name in schema if name not in ("source_file", "source_row", "extra", "flags", "record_hash")]
    grants = pl.DataFrame({name: outputs.get(name, pl.Series(name, [], schema[name])) for name in computed},
                          height=n).with_columns(
        source_row=rows["_line"],
        extra=_extra(rows, extras),
        flags=_row_flags([shape_flags, *early_flags, *flag_parts], n),
        source_file=pl.lit(None, pl.String),
    )
    problems = problems.with_columns(_line=rows["_line"].gather(problems["_idx"]))
    money_cols = ("source_row", "year", "montant_eur", "beneficiaire_nom", "beneficiaire_id", "beneficiaire_siren",
                  "rna_beneficiaire")
    rejected_money = grants.head(0).select(money_cols)
    if errors:
        rejected = pl.any_horizontal(errors)
        # a rejected row whose amount could be read: its euros are set aside, with the reason
        # (not a row with too many cells: its montant column may hold another column's value)
        trusted = ~too_many if too_many is not None else pl.lit(True)
        rejected_money = grants.filter(rejected & trusted & pl.col("montant_eur").is_not_null()).select(money_cols)
        grants = grants.filter(~rejected)
    return grants, problems, rejected_money


def _row_flags(parts: list[pl.Series | None], n: int) -> pl.Series:
    """A row's flag codes in the order of its warnings, each once, ';'-joined (null: none).
    Codes are unique within a group; across groups (missing_value, siret_cleaned, date_dmy...)
    they are deduplicated once per distinct combination, not per row."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return pl.Series("flags", [None] * n, dtype=pl.String)
    joined = pl.select(pl.concat_str(parts, separator=";", ignore_nulls=True)).to_series()
    distinct = joined.unique().drop_nulls().to_list()
    deduped = [";".join(dict.fromkeys(text.split(";"))) or None for text in distinct]
    return joined.replace_strict(distinct, deduped, default=None, return_dtype=pl.String).alias("flags")


def _shape_problems(rows: pl.DataFrame, width: int) -> tuple[pl.DataFrame, pl.Series | None, pl.Series | None]:
    """More cells than the header (non-blank ones): error; fewer: short_row warning."""
    extra_cols = [c for c in rows.columns if c.startswith("_c") and int(c[2:]) >= width]
    beyond_blank = pl.all_horizontal(_blank(c) for c in extra_cols) if extra_cols else pl.lit(True)
    too_many = (pl.col("_ncells") > width) & ~beyond_blank
    short = (pl.col("_ncells") < width) & ~too_many
    cells = pl.col("_ncells").cast(pl.String) + f" cells for {width} header columns"
    # the usual cause, said where the row is refused (the unquoted decimal comma alone is repaired)
    cause = (": a separator inside a value, unquoted (a comma in free text, or a decimal comma beside"
             " another split); the columns can no longer be trusted")
    problems = (rows.filter(too_many | short)
                .select(pl.col("_idx"), _seq=pl.lit(0, pl.Int32), _sub=pl.lit(0, pl.Int32), field=pl.lit("_row"),
                        value=pl.lit(None, pl.String),
                        reason=pl.when(too_many).then(cells + cause).otherwise(pl.lit("short_row: ") + cells),
                        severity=pl.when(too_many).then(pl.lit("error")).otherwise(pl.lit("warning")))
                .cast(_PROBLEM_SCHEMA).select(list(_PROBLEM_SCHEMA)))
    if not problems.height:
        return problems, None, None
    flags = rows.select(pl.when(short).then(pl.lit("short_row")).otherwise(pl.lit(None, pl.String))).to_series()
    return problems, flags, rows.select(too_many).to_series()


def _blank(col: str) -> pl.Expr:
    # Python's str.strip() whitespace: Unicode White_Space plus the separators U+001C..U+001F
    return pl.col(col).is_null() | pl.col(col).str.contains(r"^[\s\x1c-\x1f]*$")


def _run_groups(rows: pl.DataFrame, present: set[str], ctx: FileContext, schema: dict[str, pl.DataType],
                memo: CheckMemo) -> tuple[dict[str, pl.Series], list[pl.DataFrame], list[pl.Series],
                                          list[pl.Series], list[pl.Series]]:
    """Every field group of `GROUPS` over the batch: its check runs once per distinct tuple of its
    columns not in `memo` (the file's outcomes so far), then every row is joined to its values'
    outcomes. Returns the outputs, and in the groups' order: problems, flag codes reported first
    in a row (missing values), the other flag codes, and whether a group rejects the row (a
    group that flags or rejects no row of the batch gives no series). Each polars step runs for
    all the groups at once (`collect_all`): a batch's groups are some 15 small joins."""
    groups = [(seq, tuple(c for c in cols if c in present), check)
              for seq, (cols, check) in enumerate(GROUPS, start=FIRST_GROUP_SEQ)]
    keys = rows.select("_idx", *present, _nokey=pl.lit(True))  # _nokey: the key of a group with no column
    keys_of = {seq: list(cols) or ["_nokey"] for seq, cols, _ in groups}

    def joining(seq: int, table: pl.DataFrame) -> pl.LazyFrame:
        """Every row of the batch with its value's outcome in `table` (null: a value not in it)."""
        return keys.lazy().select(keys_of[seq]).join(
            table.lazy().rename({c: f"{c}#{seq}" for c in _PER_GROUP}), on=keys_of[seq], how="left",
            nulls_equal=True, maintain_order="left").drop(keys_of[seq])

    # 1. every row joined to the outcomes of the values already met in the file (all groups at once)
    met = [seq for seq, _, _ in groups if memo.groups.setdefault(seq, GroupMemo()).keys is not None]
    parts = dict(zip(met, pl.collect_all([joining(seq, memo.groups[seq].keys) for seq in met])))
    # 2. the values not met before: their checks, in Python, once per value; the memo keeps the
    # first MEMO_KEYS values; the rows of a group with new values are joined again
    tables: dict[int, tuple[pl.DataFrame, pl.DataFrame]] = {}
    again = []
    for seq, cols, check in groups:
        group = memo.groups[seq]
        known, problem_table = group.keys, group.problems
        unmet = keys.select(keys_of[seq]) if seq not in parts else \
            keys.select(keys_of[seq]).filter(parts[seq][f"_kid#{seq}"].is_null())
        new = unmet.unique(maintain_order=True)
        if new.height:
            first_kid = 0 if known is None else known.height
            fresh, fresh_problems = _check_keys(new, cols, check, ctx, seq, schema, first_kid)
            known = fresh if known is None else pl.concat([known, fresh])
            problem_table = fresh_problems if problem_table is None else pl.concat([problem_table, fresh_problems])
            if group.keys is None or group.keys.height < MEMO_KEYS:
                group.keys = known.head(MEMO_KEYS)
                group.problems = problem_table.filter(pl.col("_kid") < MEMO_KEYS)
            again.append(seq)
        if known is not None:  # None: a batch without rows, in a file where nothing was met yet
            tables[seq] = (known, problem_table)
    parts.update(zip(again, pl.collect_all([joining(seq, tables[seq][0]) for seq in again])))
    joined = pl.concat([parts[seq] for seq in tables], how="horizontal") if tables else pl.DataFrame()
    outputs = {name[1:]: joined[name].alias(name[1:]) for name in joined.columns if name.startswith("=")}
    # which groups flag or reject some row of the batch (most columns of a clean file: none)
    seen = joined.select(*(pl.col(f"_f{i}#{seq}").is_not_null().any().alias(f"_f{i}#{seq}")
                           for seq in tables for i in (0, 1)),
                         *(pl.col(f"_err#{seq}").any().alias(f"_err#{seq}") for seq in tables)).row(0, named=True) \
        if tables else {}
    early = [joined[f"_f0#{seq}"].alias(f"_flags{seq}_0") for seq in tables if seen[f"_f0#{seq}"]]
    late = [joined[f"_f1#{seq}"].alias(f"_flags{seq}_1") for seq in tables if seen[f"_f1#{seq}"]]
    errors = [joined[f"_err#{seq}"].alias(f"_error{seq}") for seq in tables if seen[f"_err#{seq}"]]
    problems = pl.collect_all([
        pl.LazyFrame({"_idx": rows["_idx"], "_kid": joined[f"_kid#{seq}"]})
        .join(problem_table.lazy(), on="_kid", how="inner").select(list(_PROBLEM_SCHEMA))
        for seq, (_, problem_table) in tables.items() if problem_table.height])
    return outputs, problems, early, late, errors


# A memo table's columns that every group has: suffixed by the group's seq when the groups are joined together
_PER_GROUP = ("_f0", "_f1", "_err", "_kid")
_KEY_PROBLEM_SCHEMA = {"_kid": pl.UInt32, **{k: v for k, v in _PROBLEM_SCHEMA.items() if k != "_idx"}}


def _check_keys(new: pl.DataFrame, cols: tuple[str, ...], check: Callable, ctx: FileContext, seq: int,
                schema: dict[str, pl.DataType], first_kid: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The outcomes of the values of `new` not met before (the one Python step per value), as
    the memo's frames, their `_kid` numbered from `first_kid`."""
    out_values: dict[str, list] = {}
    found: list[tuple] = []
    key_flags: list[tuple[str | None, str | None]] = []  # (missing_value reported first, the others)
    key_error: list[bool] = []
    for k, values in enumerate(new.rows(), start=first_kid):
        row = CheckedValue()
        out, problems, flags, error = _outcome(check(dict(zip(cols, values)), row, ctx), row, seq)
        for name, value in out.items():
            out_values.setdefault(name, []).append(value)
        found.extend((k, *p) for p in problems)
        key_flags.append(flags)
        key_error.append(error)
    n = new.height
    fresh = new.with_columns(
        # outputs are "="-prefixed: `objet`, `nature` are both a key column and an output
        *(pl.Series("=" + name, vals, dtype=schema[name]) for name, vals in out_values.items()),
        pl.Series("_f0", [f[0] for f in key_flags], dtype=pl.String),
        pl.Series("_f1", [f[1] for f in key_flags], dtype=pl.String),
        pl.Series("_err", key_error, dtype=pl.Boolean),
        pl.int_range(first_kid, first_kid + n, dtype=pl.UInt32).alias("_kid"),
    )
    return fresh, pl.DataFrame(found, schema=_KEY_PROBLEM_SCHEMA, orient="row")


def _outcome(out: dict, row: CheckedValue, seq: int) -> tuple:
    """One value's outcome: (outputs, problems as (place, sub, field, value, reason, severity),
    flag codes (reported first in a row, the others), whether it rejects the row)."""
    problems = tuple((seq if p[0] is None else p[0], sub, *p[1:5]) for sub, p in enumerate(row.problems))
    early = [p[5] for p in row.problems if p[5] and p[0] is not None]
    late = [p[5] for p in row.problems if p[5] and p[0] is None]
    flags = (";".join(dict.fromkeys(early)) or None, ";".join(dict.fromkeys(late)) or None)
    return out, problems, flags, any(p[4] == "error" for p in row.problems)


def _extra(rows: pl.DataFrame, extras: list[tuple[str, str]]) -> pl.Series:
    """Non-schema columns as a JSON object per row (stripped, empty cells left out)."""
    if not extras:
        return pl.Series("extra", [None] * rows.height, dtype=pl.String)
    cols = [c for c, _ in extras]
    keys = rows.select(cols).unique(maintain_order=True).with_row_index("_kid")
    kid = rows.select(cols).join(keys, on=cols, how="left", nulls_equal=True, maintain_order="left")["_kid"]
    texts = []
    for values in keys.select(cols).rows():
        obj = {label: v.strip() for (_, label), v in zip(extras, values) if v is not None and v.strip()}
        texts.append(json.dumps(obj, ensure_ascii=False) if obj else None)
    return pl.Series("extra", texts, dtype=pl.String).gather(kid)


def to_problems(name: str, problems: pl.DataFrame) -> list[Problem]:
    """The `Problem` objects of the reader's contract (the one loop over problem rows)."""
    columns = [problems[c].to_list() for c in ("field", "value", "reason", "severity")]
    lines = problems["_line"].cast(pl.String).to_list()
    return [Problem(name, line, field, value, reason, severity)
            for line, field, value, reason, severity in zip(lines, *columns)]
