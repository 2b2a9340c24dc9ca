"""A workbook read both ways, whole by calamine and streamed a row at a time (`split.STREAM_CELLS`
set out of reach, then to 0): what tests/test_scdl_reader_xlsx_stream.py and
tests/test_scdl_reader_ods_stream.py compare."""

from __future__ import annotations

import warnings
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from pipelines.sources.common import SourceError
from pipelines.sources.scdl import split
from pipelines.sources.scdl.grants import read_grants


def read_sheets(path: Path, streamed: bool, monkeypatch) -> list[pl.DataFrame] | str:
    """Every sheet's records frame, or the refusal's text."""
    monkeypatch.setattr(split, "STREAM_CELLS", 0 if streamed else 10**15)
    try:
        with warnings.catch_warnings():  # python-calamine warns of a leap second it reads as :59
            warnings.simplefilter("ignore")
            return split.sheet_tables(path, path.name)
    except SourceError as exc:
        return f"refused: {exc}"


def assert_same_grants_both_ways(path: Path, monkeypatch) -> None:
    """The grants, set-aside rows and problems of a real SCDL workbook, whichever way it is read."""
    monkeypatch.setattr(split, "STREAM_CELLS", 10**15)
    whole = read_grants(path)
    monkeypatch.setattr(split, "STREAM_CELLS", 0)
    streamed = read_grants(path)
    assert streamed.rows_read == whole.rows_read > 0
    for name in ("grants", "grants_set_aside"):
        assert_frame_equal(streamed.tables[name], whole.tables[name])
    assert streamed.problem_lines() == whole.problem_lines()


def read_both(path: Path, monkeypatch) -> list[pl.DataFrame] | str:
    """The sheets streamed, once held equal frame for frame to calamine's; or, if calamine
    refuses the file, the stream's refusal (it must refuse it too, naming the file)."""
    whole, streamed = read_sheets(path, False, monkeypatch), read_sheets(path, True, monkeypatch)
    if isinstance(whole, str):
        assert isinstance(streamed, str) and path.name in streamed, streamed
        return streamed
    assert not isinstance(streamed, str), streamed
    assert len(streamed) == len(whole)
    for mine, theirs in zip(streamed, whole):
        assert_frame_equal(mine, theirs)
    return streamed


def streamed_cells(paths: list[Path], monkeypatch) -> set[str]:
    """Every cell text the stream read from these workbooks (those it refuses left out): what a
    corpus test checks is not a comparison of empty frames."""
    cells: set[str] = set()
    for path in paths:
        frames = read_sheets(path, True, monkeypatch)
        if not isinstance(frames, str):
            for frame in frames:
                for col in frame.columns[2:]:
                    cells.update(frame[col].drop_nulls().to_list())
    return cells


def readers_chosen(path: Path, cells: int, stream: str, monkeypatch) -> list[str]:
    """Which reader `split.sheet_batches` takes for a workbook of `cells` cells, with
    `STREAM_CELLS` at those cells, then one fewer (`stream`: the streaming reader's dotted name)."""
    seen: list[str] = []
    monkeypatch.setattr(stream, lambda *a: seen.append("stream") or iter(()))
    monkeypatch.setattr(split, "_calamine_sheets", lambda *a: seen.append("calamine") or iter(()))
    for limit in (cells, cells - 1):
        monkeypatch.setattr(split, "STREAM_CELLS", limit)
        list(split.sheet_batches(path, path.name, 10))
    return seen
