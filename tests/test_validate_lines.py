"""`solidarity validate`'s lines, built by polars from the grants reader's problems frame, are the
lines of the `Problem` objects (`Problem.line`, one home for the wording): on every SCDL file of
tests/data/real and ../shared/reference, and on values whose Python repr is not plain (quotes,
backslashes, control and non-printable characters)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.sources.common import REJECTED_SCHEMA, Problem, SourceError, problem_lines
from pipelines.sources.scdl.grants import grant_batches
from reference_files import SHARED

REAL = Path(__file__).parent / "data" / "real" / "scdl"
FILES = sorted(p for folder in (REAL, SHARED / "scdl") for p in folder.rglob("*")
               if p.suffix.lower() in (".csv", ".xlsx", ".xls", ".ods"))


@pytest.mark.parametrize("path", FILES, ids=[p.name[:40] for p in FILES])
def test_a_real_files_lines_are_its_problems_lines(path):
    try:
        fresh, objects = list(grant_batches(path)), list(grant_batches(path))
    except SourceError as refused:  # a file refused whole prints its refusal alone (pipelines/validate.py)
        assert str(refused).startswith(f"{path.name}:")
        return
    for frame_batch, object_batch in zip(fresh, objects):
        expected = [p.line() for p in object_batch.problems]  # the objects first: the frame stays unbuilt on `fresh`
        assert frame_batch._problems is None
        assert frame_batch.problem_lines() == expected


VALUES = [None, "", "a'b", 'a"b', "a'\"b", "back\\slash", "tab\there", "nbsp\xa0", "soft\xad", "emoji 😀",
          "zero\u200bwidth", "line\u2028sep", "é", "œ€’", "\x00", "\x7f", "\U0010ffff", "a\r\nb", "1 234,56 €",
          "~[]{}|^`", "\u2030\u205e\u205f", "\x9f\xa1"]


def test_lines_of_values_whose_repr_is_not_plain():
    problems = [Problem("f.csv", str(i + 2), "montant", v, "amount is not a number", "warning" if i % 2 else "error")
                for i, v in enumerate(VALUES)]
    frame = pl.DataFrame([{k: getattr(p, k) for k in REJECTED_SCHEMA} for p in problems], schema=REJECTED_SCHEMA)
    assert problem_lines(frame) == [p.line() for p in problems]
