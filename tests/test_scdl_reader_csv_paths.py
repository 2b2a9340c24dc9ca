"""SCDL grants reader: the two CSV paths (polars fast path, stdlib csv reference path) agree on hostile
CSV, the problem frame agrees with the Problem objects, and total lines are set aside only when they are the sum.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.sources.common import SourceError
from pipelines.sources.scdl import read_grants
from scdl_files import GOOD, HEADER_V211, check_invariants, problems_at, raw_records, write


# --- the two CSV paths (polars fast path, stdlib csv reference path) ---------------------

HOSTILE_CSV = {
    "quoted_newlines": HEADER_V211 + "\n" + GOOD.replace(",Projet,", ',"a\nb\r\nc",') + "\n" + GOOD + "\n",
    "crlf_and_doubled_quotes": (HEADER_V211 + "\r\n" + GOOD.replace("Assoc A", '"Assoc ""A"""') + "\r\n") * 1,
    "short_rows_and_empty_last_cells": HEADER_V211 + "\n" + GOOD + "\n" + GOOD.rsplit(",", 3)[0] + "\n"
    + GOOD.rsplit(",", 3)[0] + ",,,\n" + GOOD.rsplit(",", 3)[0] + ',"","",""\n',
    "blank_and_whitespace_lines": HEADER_V211 + "\n\n" + GOOD + "\n" + ",,,\n" + " \n" + GOOD + "\n\n\n",
    "title_rows": "Subventions 2024\n\n" + HEADER_V211 + "\n" + GOOD + "\n",
    "too_many_cells": HEADER_V211 + "\n" + GOOD + "\n" + GOOD + ",x\n" + GOOD + ", \n",
    "lone_cr": HEADER_V211 + "\r" + GOOD + "\r" + GOOD + "\r",
    "quote_after_quoted_text": HEADER_V211 + "\n" + GOOD.replace("Assoc A", '"Assoc" A') + "\n",
    "quote_inside_unquoted_cell": HEADER_V211 + "\n" + GOOD.replace("Assoc A", 'Assoc 5" A') + "\n",
    "no_final_newline": HEADER_V211 + "\n" + GOOD + "\n" + GOOD,
    "unclosed_quote": HEADER_V211 + "\n" + GOOD + "\n" + GOOD.replace("Assoc A", '"Assoc A'),
}


def _outcome(path: Path):
    try:
        r = read_grants(path)
    except SourceError as exc:
        return str(exc)
    problems = [(p.source_row, p.field, p.value, p.reason, p.severity) for p in r.problems]
    return r.rows_read, r.tables["grants"].rows(), problems


@pytest.mark.parametrize("case", sorted(HOSTILE_CSV))
def test_fast_and_reference_csv_paths_agree(case, tmp_path, monkeypatch):
    from pipelines.sources.scdl import split as scdl_split

    path = write(tmp_path, HOSTILE_CSV[case])
    fast = _outcome(path)
    monkeypatch.setattr(scdl_split, "FAST_PATH", False)
    assert fast == _outcome(path)
    if isinstance(fast, str):
        return
    # and both agree with the stdlib csv module read here (record lines, non-blank records)
    header_line = next(i for i, line in enumerate(HOSTILE_CSV[case].replace("\r\n", "\n").replace("\r", "\n")
                                                  .split("\n"), start=1) if line.startswith("nomAttribuant"))
    expected = raw_records(path, "utf-8", ",", header_line)
    assert fast[0] == len(expected)
    rejected = {int(p[0]) for p in fast[2] if p[4] == "error"}
    assert [row[1] for row in fast[1]] == [line for line, _ in expected if line not in rejected]


def test_problem_frame_and_problem_objects_agree(tmp_path):
    rows = [GOOD, GOOD.replace("1000.50", "1 000,50"), GOOD.replace("1000.50", "NC"), GOOD.replace("2024-03-01", "")]
    path = write(tmp_path, HEADER_V211 + "\n" + "\n".join(rows) + "\n")
    frame_first, objects_first = read_grants(path), read_grants(path)
    frame, rejected = frame_first.rejected, frame_first.rows_rejected  # answered without Problem objects
    objects = objects_first.problems
    assert frame.rows() == [(p.source_file, p.source_row, p.field, p.value, p.reason, p.severity) for p in objects]
    # line 5 has no convention date: its year comes from its payment period (a warning)
    assert rejected == objects_first.rows_rejected == 1 and frame_first.rows_accepted == 3
    assert [p.source_row for p in objects if p.severity == "error"] == ["4"]


def test_total_lines_are_set_aside_only_when_they_are_the_sum(tmp_path):
    """Class 11: a total line is no grant; a labelled total that is no sum stays a grant."""
    text = ("nomBeneficiaire,idBeneficiaire,montant,dateConvention\n"
            "A,,100,2024-01-01\n"            # 2
            "B,,250.50,2024-01-02\n"         # 3
            "TOTAL,,350.50,2024-01-03\n"     # 4 labelled, the sum of 2-3: set aside
            "C,,40,2024-02-01\n"             # 5
            ",,40,2024-02-02\n"              # 6 no beneficiary, equals one row only: a grant
            ",,80,2024-02-03\n"              # 7 no beneficiary, sum of 5-6: set aside
            "Total général,,430.5,2024-03-01\n"  # 8 sum of every grant above: set aside
            "Total,,999,2024-03-02\n")       # 9 labelled but no sum: kept, money is never guessed away
    result = read_grants(write(tmp_path, text))
    check_invariants(result)
    grants = result.tables["grants"]
    assert sorted(grants["source_row"]) == [2, 3, 5, 6, 9]
    aside = result.tables["grants_set_aside"]
    assert aside.select("source_row", "montant_eur", "reason").rows() == [
        (4, 350.5, "total_line"), (7, 80.0, "total_line"), (8, 430.5, "total_line")]
    assert problems_at(result, 4, "_row")[0].startswith("error:total_line: equals the sum of the 2 rows above")
    assert result.rows_rejected == 3 and result.rows_read == 8
