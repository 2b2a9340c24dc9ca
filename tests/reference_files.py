"""Where tests/test_reference_*.py find the reference files: the project's, and the public ones
(../shared/reference) the shipped data is checked against."""

from __future__ import annotations

from pathlib import Path


PROJECT = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"
CODELISTS = SHARED / "codelists" / "iati_nonembedded"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
