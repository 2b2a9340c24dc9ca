"""The hostile-input corpus, generated: every case is a function returning bytes.

No hand-made files: each case writes a small file in the real format of its source
with good rows mixed in, plus the one hostile thing it is about, and says what the
reader must do with it:

- `refused`: the whole file is refused with a SourceError whose message names the
  file and the place (`where`, e.g. "1", "line 7", "1:montant");
- otherwise `errors` (source_row -> field) must be rejected rows, each with an
  error Problem naming that file, row and field; `warnings` (source_row -> field)
  are accepted but flagged; `accepted` is how many rows must reach the table.

The cases are written per source in corpus_grants.py, corpus_iati.py and corpus_local.py, the
record and its register in corpus_cases.py; they are registered here, in that order.

Expected figures are written by hand from the case's own construction, never
taken from the reader. Line numbers are physical lines (header = 1); IATI rows
are activity XPaths.
"""

from __future__ import annotations

# the case record and register, then each source's cases; the hostile tests import these from here
from .corpus_cases import CASES, Case, delimited, siret
from .corpus_grants import SCDL_HEADER, _grant_cases, column_letters, grant, scdl, xlsx
from .corpus_iati import _iati_cases, activity
from .corpus_local import ORG_HEADER, _local_cases, vevent

__all__ = ["CASES", "Case", "delimited", "siret", "SCDL_HEADER", "column_letters", "grant", "scdl", "xlsx",
           "activity", "ORG_HEADER", "vevent"]


_grant_cases()
_iati_cases()
_local_cases()

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
