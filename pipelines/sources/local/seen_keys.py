"""The primary keys a file has shown so far, and the line of each: what `primaryKey` needs
to name "duplicate of row at line N" across a file read in batches (issue 19).

A key is held in a dict while the file is small; past `memory_keys` keys, the dict is
moved into a private SQLite database on disk (deleted when closed) and emptied, again and
again, so memory stays bounded whatever the number of rows: a 2 GB payments file has
~25 million order numbers, ~5 GB as Python tuples. A lookup then asks the dict, then
SQLite (a B-tree on disk, behind a small page cache). Keys are compared exactly (their
`repr`, which tells the strings and integers of a key apart), never by a hash alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Hashable

# ~200 bytes a key held as a tuple of strings: 200,000 keys is ~40 MB before the first spill.
MEMORY_KEYS = 200_000
_CACHE_KIB = 32 << 10  # SQLite's page cache: 32 MiB, what keeps lookups fast once spilled


class SeenKeys:
    """A mapping key -> first line, bounded in memory (see the module docstring)."""

    def __init__(self, memory_keys: int | None = None):
        self.memory_keys = MEMORY_KEYS if memory_keys is None else memory_keys
        self.recent: dict[Hashable, int] = {}
        self.disk: sqlite3.Connection | None = None
        self.spilled = 0  # keys moved to disk so far

    def get(self, key: Hashable) -> int | None:
        line = self.recent.get(key)
        if line is not None or self.disk is None:
            return line
        found = self.disk.execute("select line from seen where key = ?", (repr(key),)).fetchone()
        return None if found is None else found[0]

    def add(self, key: Hashable, line: int) -> None:
        """Record the first line of a key not seen before (the caller checked with `get`)."""
        self.recent[key] = line
        if len(self.recent) >= self.memory_keys:
            self._spill()

    def __len__(self) -> int:
        return self.spilled + len(self.recent)

    def _spill(self) -> None:
        if self.disk is None:
            # "" opens a private temporary database file, removed when it is closed
            self.disk = sqlite3.connect("", isolation_level=None)
            self.disk.execute("pragma journal_mode = off")
            self.disk.execute("pragma synchronous = off")
            self.disk.execute(f"pragma cache_size = -{_CACHE_KIB}")
            self.disk.execute("create table seen (key text primary key, line integer not null) without rowid")
        self.disk.execute("begin")
        self.disk.executemany("insert into seen values (?, ?)", ((repr(k), v) for k, v in self.recent.items()))
        self.disk.execute("commit")
        self.spilled += len(self.recent)
        self.recent = {}  # a new dict: clear() would keep the old one's table allocated

    def close(self) -> None:
        if self.disk is not None:
            self.disk.close()
            self.disk = None
        self.recent = {}
