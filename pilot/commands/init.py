"""``pilot init``: make a sandbox (keys, signed trust list, pinned anchor, operator tokens)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pilot.console import EXIT_USAGE, console, err_console, print_json, untrusted
from pilot.data_dir import default_data_dir
from pilot.language import tr
from pilot.output_format import FormatOpt, OutputFormat, wants_json
from pilot.sandbox import DEFAULT_SEED, STATUS_LISTS_DIR, initialise

DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $PILOT_DATA_DIR, else ./pilot-data)."),
]


def init_command(
    data_dir: DataDirOption = None,
    seed: Annotated[str, typer.Option(help="Seed for keys and synthetic data.")] = DEFAULT_SEED,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing sandbox.")] = False,
    output_format: FormatOpt = OutputFormat.text,
) -> None:
    """Create a sandbox: every participant's keys, the signed trust list, the anchor, operator tokens.

    With the default seed this is exactly the sandbox of the published test vectors. Keys are
    encrypted at rest when PILOT_KEY_PASSPHRASE is set.
    """
    target = data_dir or default_data_dir()
    if (target / "trust-list.json").exists() and not force:
        problem = tr("{path} already holds a sandbox; pass --force to replace it", path=untrusted(target))
        err_console.print(f"[red]{tr('error:')}[/] {problem}")
        raise typer.Exit(EXIT_USAGE)
    initialise(target, seed)
    if wants_json(output_format):
        print_json(
            {
                "dataDir": str(target),
                "seed": seed,
                "keys": str(target / "keys"),
                "trustList": str(target / "trust-list.json"),
                "trustAnchor": str(target / "trust-anchor.json"),
                "tokens": str(target / "tokens"),
                "statusLists": str(target / STATUS_LISTS_DIR),
            }
        )
        return
    console.print(
        tr(
            "Sandbox written to {path} (seed {seed}):",
            path=f"[bold]{untrusted(target)}[/]",
            seed=untrusted(repr(seed)),
        )
    )
    console.print("  keys/<id>.pem, trust-list.json, trust-anchor.json, tokens/<id>")
