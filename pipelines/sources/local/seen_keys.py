"""The primary keys a file has shown so far, and the line of each: what `primaryKey` needs
to name "duplicate of row at line N" across a file read in batches (issue 19).

A key is held in a dict while the file is small; past `memory_keys` keys, the dict is
moved into a private SQLite database on disk (deleted when closed) and emptied, again and
again, so memory stays bounded whatever the number of rows: a 2 GB payments file has
~25 million order numbers, ~5 GB as Python tuples. A lookup then asks the dict, then
SQLite (a B-tree on disk, behind a small page cache). Keys are compared exactly (their
`repr`, which tells the strings and integers of a key apart), never by a hash alone.

Two things keep the cost per row flat as the file grows (raw/jobs x10 -> x100 took 11.6x):
- keys are held as their `repr` strings (~40 % less memory than tuples, and a dict of strings
  and integers is no work for Python's garbage collector), and spilled in key order;
- a Bloom filter (`BLOOM_BYTES`, set up at the first spill) of the keys on disk answers
  "never seen" for almost every new key without asking SQLite; a key it may have seen is
  looked up in SQLite as before, so a false positive costs a lookup, never a wrong answer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Hashable

# ~145 bytes a key held as its repr (a string) in the dict, ~235 as a tuple: 300,000 keys is
# ~43 MB before the first spill, what 200,000 tuples took.
MEMORY_KEYS = 300_000
_CACHE_KIB = 32 << 10  # SQLite's page cache: 32 MiB, what keeps lookups fast once spilled
# The Bloom filter of the keys on disk: 2^27 bits (16 MiB), 2 bits a key, both from one 64-bit
# hash: ~3 % of new keys looked up in SQLite for nothing at 13 million keys on disk, ~0.02 % at
# a million (the answers stay exact).
BLOOM_BYTES = 1 << 24
_BLOOM_MASK = BLOOM_BYTES * 8 - 1


class SeenKeys:
    """A mapping key -> first line, bounded in memory (see the module docstring)."""

    def __init__(self, memory_keys: int | None = None):
        self.memory_keys = MEMORY_KEYS if memory_keys is None else memory_keys
        self.recent: dict[str, int] = {}  # repr(key) -> line
        self.disk: sqlite3.Connection | None = None
        self.bloom: bytearray | None = None  # the keys on disk, set up at the first spill
        self.spilled = 0  # keys moved to disk so far

    def get(self, key: Hashable) -> int | None:
        text = repr(key)
        line = self.recent.get(text)
        if line is not None or self.disk is None or not self._maybe_on_disk(text):
            return line
        found = self.disk.execute("select line from seen where key = ?", (text,)).fetchall()
        return found[0][0] if found else None

    def add(self, key: Hashable, line: int) -> None:
        """Record the first line of a key not seen before (the caller checked with `get`)."""
        self.recent[repr(key)] = line
        if len(self.recent) >= self.memory_keys:
            self._spill()

    def __len__(self) -> int:
        return self.spilled + len(self.recent)

    @staticmethod
    def _bloom_bits(text: str) -> tuple[int, int]:
        """A key's two bits in the filter, from Python's hash of its string (stable within the
        process, the filter's whole life)."""
        h = hash(text)
        return h & _BLOOM_MASK, (h >> 32) & _BLOOM_MASK

    def _maybe_on_disk(self, text: str) -> bool:
        low, high = self._bloom_bits(text)
        bloom = self.bloom
        return bool(bloom[low >> 3] & (1 << (low & 7))) and bool(bloom[high >> 3] & (1 << (high & 7)))

    def _spill(self) -> None:
        if self.disk is None:
            # "" opens a private temporary database file, removed when it is closed
            self.disk = sqlite3.connect("", isolation_level=None)
            self.disk.execute("pragma journal_mode = off")
            self.disk.execute("pragma synchronous = off")
            self.disk.execute(f"pragma cache_size = -{_CACHE_KIB}")
            self.disk.execute("create table seen (key text primary key, line integer not null) without rowid")
            self.bloom = bytearray(BLOOM_BYTES)
        bloom = self.bloom
        for text in self.recent:
            low, high = self._bloom_bits(text)
            bloom[low >> 3] |= 1 << (low & 7)
            bloom[high >> 3] |= 1 << (high & 7)
        self.disk.execute("begin")
        # in key order: SQLite's B-tree then fills page after page (unsorted, a spill took longer
        # the more keys were on disk: 0.26 -> 0.79 s for 200,000 keys; sorted, ~0.3 s each time)
        self.disk.executemany("insert into seen values (?, ?)", sorted(self.recent.items()))
        self.disk.execute("commit")
        self.spilled += len(self.recent)
        self.recent = {}  # a new dict: clear() would keep the old one's table allocated

    def close(self) -> None:
        if self.disk is not None:
            self.disk.close()
            self.disk = None
        self.recent, self.bloom = {}, None
