"""``pilot conformance``: validate files, regenerate the published vectors (and, later, run suites)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pilot.console import EXIT_FAILED, console, fail_usage
from pilot.data_dir import default_data_dir
from pilot.documents import FileVerdict, check_file
from pilot.reports import Format, render_verdicts
from pilot.trust_files import load_registry
from schemas._time import parse_time, utc_now
from schemas.errors import VerificationError

app = typer.Typer(help="Conformance: validate files, regenerate vectors.", no_args_is_help=True)


@app.command("validate")
def validate_command(
    files: Annotated[list[Path], typer.Argument(help="Credential or submission JSON files.")],
    trust_list: Annotated[Path | None, typer.Option("--trust-list", help="Trust list (default: data dir's).")] = None,
    trust_anchor: Annotated[Path | None, typer.Option("--trust-anchor", help="Anchor (default: beside list).")] = None,
    port: Annotated[str, typer.Option("--port", help="Port whose policy submissions are judged by.")] = "cn-port-01",
    at: Annotated[str | None, typer.Option("--at", help="Judge at this RFC 3339 time (default: now).")] = None,
    output_format: Annotated[Format, typer.Option("--format", help="Report format.")] = Format.text,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report here.")] = None,
) -> None:
    """Check files against the schema, their proofs, the trust list and a port's policy.

    Exit 0 when every file is accepted, 1 when any file has an error-level problem.
    """
    for path in files:
        if not path.is_file():
            fail_usage(f"{path} does not exist")
    registry = load_registry(trust_list or default_data_dir() / "trust-list.json", trust_anchor)
    try:
        when = parse_time(at) if at else utc_now()
    except VerificationError:
        fail_usage(f"--at {at!r} is not an RFC 3339 time")
    verdicts: list[FileVerdict] = [check_file(path, registry, when, port_id=port) for path in files]
    text = render_verdicts(verdicts, output_format)
    if output is not None:
        output.write_text(text)
    elif output_format is Format.text:
        _print_table(verdicts)
    else:
        typer.echo(text, nl=False)
    if any(v.errors for v in verdicts):
        raise typer.Exit(EXIT_FAILED)


def _print_table(verdicts: list[FileVerdict]) -> None:
    table = Table("file", "kind", "outcome", "problems")
    for verdict in verdicts:
        style = "green" if verdict.outcome == "accept" else "red"
        details = "\n".join(f"{p.code} {p.path}: {p.message}" for p in verdict.problems)
        table.add_row(str(verdict.path), verdict.kind or "?", f"[{style}]{verdict.outcome}[/]", details)
    console.print(table)
    bad = sum(1 for v in verdicts if v.errors)
    console.print(f"{len(verdicts) - bad} accepted, {bad} refused")


@app.command("vectors")
def vectors_command(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the vectors into.")],
    seed: Annotated[str | None, typer.Option(help="Seed (default: the published one).")] = None,
) -> None:
    """Regenerate the published test vectors (byte for byte with the default seed)."""
    from pilot.vectors import DEFAULT_SEED, write_vectors

    count = write_vectors(out, seed or DEFAULT_SEED)
    console.print(f"wrote {count} files to {out}")
