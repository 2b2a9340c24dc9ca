"""The hash the operations tests (tests/hostile/test_operations_*.py, issue 20) compare files by,
computed here, not by the pipeline.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
