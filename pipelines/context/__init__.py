"""The context layer (issue 19): every activity of the IATI registry, read with the pipeline's own
reader into partitioned Parquet, so the region's money can be set beside everyone else's.

`read_dump(dump_dir, out_dir, workers)` (in `dump`) reads a registry dump incrementally;
`files.read_file` is one file's work; docs/context.md describes the layout.
"""

from pipelines.context.dump import DumpReport, read_dump

__all__ = ["DumpReport", "read_dump"]
