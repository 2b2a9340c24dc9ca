"""A workbook's cells budget: the range calamine will allocate for each sheet, summed.

calamine builds a sheet's whole range at once, from its first to its last cell with a
value: `Box` is that range, `Cells` adds the sheets' ranges up and refuses the workbook
past `TABLE_CELLS` (or a sheet past `COLUMNS` columns). The scanners of
`workbook_xml` (xlsx, ods) and `workbook_xls` (.xls) feed them.
"""

from __future__ import annotations

from pipelines.limits import COLUMNS, TABLE_CELLS, Limit


class Cells:
    """The cells budget of the whole workbook: sheets' ranges, added as they are scanned;
    and the columns of each. `bound`: `TABLE_CELLS` for a workbook read whole, `STREAMED_CELLS`
    for one read row by row (an xlsx)."""

    def __init__(self, source_file: str, bound: Limit = TABLE_CELLS):
        self.source_file, self.bound, self.limit, self.done = source_file, bound, bound.value(), 0
        self.columns = COLUMNS.value()

    def check(self, box: "Box | int", where: str) -> None:
        area = box if isinstance(box, int) else box.area
        total = self.done + area
        if total > self.limit:
            raise self.bound.refuse(self.source_file, "1", f"{where} spans {total:,} cells")
        width = 0 if isinstance(box, int) else box.width
        if width > self.columns:
            raise COLUMNS.refuse(self.source_file, "1", f"{where} spans {width:,} columns")


class Box:
    """A sheet's range: rows and columns from its first to its last cell with a value."""

    def __init__(self) -> None:
        self.top = self.left = None
        self.bottom = self.right = -1

    def add(self, row0: int, row1: int, col0: int, col1: int) -> None:
        self.top = row0 if self.top is None else min(self.top, row0)
        self.left = col0 if self.left is None else min(self.left, col0)
        self.bottom, self.right = max(self.bottom, row1), max(self.right, col1)

    @property
    def width(self) -> int:
        return 0 if self.top is None else self.right - self.left + 1

    @property
    def area(self) -> int:
        return 0 if self.top is None else (self.bottom - self.top + 1) * self.width
