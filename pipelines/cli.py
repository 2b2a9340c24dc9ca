"""`solidarity`: the project's command line.

    solidarity sample --out DIR [--scale N] [--seed S]
    solidarity sample --registry N --out DIR [--registry-mb MB] [--workers N] [--seed S]
    solidarity context --dump DIR [--out DIR] [--workers N]
    solidarity materialize [--raw DIR] [--warehouse FILE] [--serving FILE]
    solidarity serve [--serving FILE] [--host H] [--port P] [--workers N] [--threads N] [--no-compress]
    solidarity validate FILE...
    solidarity export-embeds --out DIR [--serving FILE] [--dashboard-url URL]

Paths default to SOLIDARITY_RAW_DIR, SOLIDARITY_WAREHOUSE and SOLIDARITY_SERVING,
then to files under data/.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from pipelines import settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__.split("\n")[0])

RawOpt = Annotated[Optional[Path], typer.Option("--raw", help="Raw files folder [env SOLIDARITY_RAW_DIR]")]
WarehouseOpt = Annotated[
    Optional[Path], typer.Option("--warehouse", help="Warehouse DuckDB file [env SOLIDARITY_WAREHOUSE]")
]
ServingOpt = Annotated[
    Optional[Path], typer.Option("--serving", help="Serving snapshot file [env SOLIDARITY_SERVING]")
]


@app.command()
def sample(
    out: Annotated[Path, typer.Option(help="Folder to write the raw files into")] = settings.DATA_DIR / "sample",
    scale: Annotated[int, typer.Option(min=1, help="Multiply the volume (benchmarks)")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes")] = 2026,
    registry: Annotated[Optional[int], typer.Option(
        min=1, help="Instead: an IATI registry dump of N publishers (data/<publisher>/<dataset>.xml)")] = None,
    registry_mb: Annotated[Optional[float], typer.Option(
        min=0.01, help="With --registry: about this many MB of activity files (~9000: the real registry)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="With --registry: processes writing publishers")] = 1,
) -> None:
    """Write the deterministic sample (SCDL, IATI, organisations, jobs, events) in the real formats,
    or with --registry a registry-scale IATI dump for the context layer (pipelines/sample/registry.py)."""
    started = time.perf_counter()
    if registry is not None:
        from pipelines.sample.registry import write_registry

        counts = write_registry(out, registry, seed=seed, target_mb=registry_mb, workers=workers,
                                progress=lambda m: typer.echo(m, err=True))
        for kind, n in counts.items():
            typer.echo(f"{kind}: {n}")
        typer.echo(f"registry dump written to {out} in {time.perf_counter() - started:.1f} s")
        return
    if registry_mb is not None or workers != 1:
        typer.echo("--registry-mb and --workers go with --registry N", err=True)
        raise typer.Exit(2)
    from pipelines.sample import write_sample

    counts = write_sample(out, scale=scale, seed=seed, progress=lambda m: typer.echo(m, err=True))
    for kind, n in counts.items():
        typer.echo(f"{kind}: {n}")
    typer.echo(f"sample written to {out} in {time.perf_counter() - started:.1f} s")


@app.command()
def context(
    dump: Annotated[Path, typer.Option(help="IATI registry dump: data/<publisher>/<dataset>.xml [+ metadata/]")],
    out: Annotated[Path, typer.Option(help="Folder of the partitioned Parquet and its manifest")] = (
        settings.DATA_DIR / "context"),
    workers: Annotated[int, typer.Option(min=1, help="Worker processes reading files in parallel")] = 2,
) -> None:
    """Read every activity file of the dump into partitioned Parquet (docs/context.md); files unchanged
    since the last run (same sha256) are not read again. Exits 1 if a file failed for another reason
    than its content (refused files are listed with their reason)."""
    from pipelines.context import read_dump

    if not dump.is_dir():
        typer.echo(f"no dump folder at {dump}", err=True)
        raise typer.Exit(2)
    report = read_dump(dump, out, workers=workers, progress=lambda m: typer.echo(m, err=True))
    for line in report.lines():
        typer.echo(line)
    raise typer.Exit(1 if report.failed else 0)


@app.command()
def materialize(raw: RawOpt = None, warehouse: WarehouseOpt = None, serving: ServingOpt = None) -> None:
    """Run every asset and check, then publish the serving snapshot. Exits 1 if a blocking check
    or a step fails, 2 if the run was refused before it started (a folder that cannot be written,
    too little free space, another run on the warehouse for longer than SOLIDARITY_LOCK_TIMEOUT).
    One run at a time per warehouse: a second one waits for the first."""
    from pipelines.run import materialize_all

    outcome = materialize_all(raw or settings.raw_dir(), warehouse or settings.warehouse_path(),
                              serving or settings.serving_path(), say=lambda m: typer.echo(m, err=True))
    for line in outcome.report_lines():
        typer.echo(line)
    raise typer.Exit(0 if outcome.success else 2 if outcome.refused else 1)


@app.command()
def serve(
    serving: ServingOpt = None,
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8050,
    workers: Annotated[Optional[int], typer.Option(help="Gunicorn worker processes [one per core, at most 4]")] = None,
    threads: Annotated[int, typer.Option(help="Threads per worker")] = 8,
    compress: Annotated[bool, typer.Option(help="Compress responses (zstd/brotli/gzip)")] = True,
) -> None:
    """Serve the dashboard and public embeds from the snapshot (read-only), with gunicorn."""
    from dashboard.server import run

    path = serving or settings.serving_path()
    if not Path(path).exists():
        typer.echo(f"no serving snapshot at {path}: run `solidarity materialize` first", err=True)
        raise typer.Exit(2)
    typer.echo(f"Dashboard: http://{host}:{port}/")
    run(path, host, port, workers=workers, threads=threads, compress=compress)


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Files to check before dropping them in the inbox")]) -> None:
    """Print each problem as `file:line:field: reason`; exit 1 when anything is rejected."""
    from pipelines.validate import validate_file

    rejected = 0
    for path in files:
        report = validate_file(path)
        for line in report.lines:
            typer.echo(line)
        typer.echo(report.summary, err=True)
        rejected += report.rejected
    raise typer.Exit(1 if rejected else 0)


@app.command("export-embeds")
def export_embeds(
    out: Annotated[Path, typer.Option(help="Folder to write the self-contained chart pages into")],
    serving: ServingOpt = None,
    dashboard_url: Annotated[Optional[str], typer.Option(
        help="Public address of the dashboard the charts link back to [env SOLIDARITY_PUBLIC_URL]")] = None,
) -> None:
    """Write every public chart as static HTML (+ CSV, zip, local plotly.js and topojson), no CDN."""
    from dashboard.embed.export import export_embeds as export

    path = serving or settings.serving_path()
    if not Path(path).exists():
        typer.echo(f"no serving snapshot at {path}: run `solidarity materialize` first", err=True)
        raise typer.Exit(2)
    try:
        written = export(out, Path(path), dashboard_url)
    except ValueError as exc:  # no or no http(s) dashboard address: the links back need one
        typer.echo(f"export-embeds: {exc} (give --dashboard-url or set SOLIDARITY_PUBLIC_URL)", err=True)
        raise typer.Exit(2)
    typer.echo(f"{len(written)} files written to {out}; open {out / 'index.html'}")


export_app = typer.Typer(add_completion=False, no_args_is_help=True,
                         help="The region's open data in the standards: SCDL subventions, IATI 2.03.")
app.add_typer(export_app, name="export")


def _warehouse_or_exit(warehouse: Optional[Path]) -> Path:
    path = Path(warehouse or settings.warehouse_path())
    if not path.exists():
        typer.echo(f"no warehouse at {path}: run `solidarity materialize` first", err=True)
        raise typer.Exit(2)
    return path


@export_app.command("scdl")
def export_scdl_command(
    year: Annotated[int, typer.Option(help="Year of the grants (their convention's year)")],
    out: Annotated[Optional[Path], typer.Option(help="CSV to write [subventions_<year>.csv]")] = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """The year's grants as an SCDL `subventions` 2.1.1 CSV, validated; exit 1 when not valid."""
    from pipelines.export.scdl import export_scdl

    report = export_scdl(_warehouse_or_exit(warehouse), year, out or Path(f"subventions_{year}.csv"))
    for line in report.summary_lines():
        typer.echo(line)
    raise typer.Exit(0 if report.validation.get("valid") is not False else 1)


@export_app.command("iati")
def export_iati_command(
    out: Annotated[Path, typer.Option(help="XML file to write")] = Path("iati-activities.xml"),
    warehouse: WarehouseOpt = None,
) -> None:
    """The programme as an IATI 2.03 activity file, validated against the XSD; exit 1 when not valid."""
    from pipelines.export.iati import export_iati

    report = export_iati(_warehouse_or_exit(warehouse), out)
    for line in report.summary_lines():
        typer.echo(line)
    raise typer.Exit(0 if report.validation.get("valid") is not False else 1)


def main() -> None:  # pragma: no cover - console entry
    app(prog_name="solidarity")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
