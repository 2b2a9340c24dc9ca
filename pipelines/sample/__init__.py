"""Deterministic, realistic sample raw files in the real formats (see generate.py)."""

from pipelines.sample.generate import write_sample

__all__ = ["write_sample"]
