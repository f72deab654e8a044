"""``pilot trust approve|show``: act as ``pilot-gov``, the trust-list operator of the sandbox."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from pilot.console import EXIT_FAILED, console, fail_usage, print_json
from pilot.data_dir import default_data_dir
from pilot.files import write_atomic
from pilot.registration import RequestRefused, approve
from pilot.sandbox import pretty_json
from pilot.trust_files import load_registry
from schemas._jsonio import parse_json
from schemas._keyring import load_keyring, select_key
from schemas._time import format_time, utc_now
from schemas.errors import JsonMalformedError, KeyFormatError, VerificationError

app = typer.Typer(help="Act as pilot-gov: approve change requests, show the trust list.", no_args_is_help=True)
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory (default: ./pilot-data).")]


@app.command("approve")
def approve_command(
    request: Annotated[
        Path, typer.Argument(help="A change request from `pilot onboard exporter` or `pilot keys rotate`.")
    ],
    data_dir: DataDirOpt = None,
) -> None:
    """Check a change request (proof of possession, no clashes) and publish the next trust-list sequence.

    Running nodes pick up the new trust-list.json within a second or two, without a restart.
    """
    directory = data_dir or default_data_dir()
    if not request.is_file():
        fail_usage(f"{request} does not exist")
    registry = load_registry(directory / "trust-list.json", directory / "trust-anchor.json")
    try:
        document = parse_json(request.read_bytes())
        passphrase = os.environ.get("PILOT_KEY_PASSPHRASE")
        gov = select_key(
            load_keyring(
                (directory / "keys" / "pilot-gov.pem").read_bytes(), passphrase.encode() if passphrase else None
            ),
            "assertion",
        )
    except (JsonMalformedError, KeyFormatError, OSError) as exc:
        fail_usage(str(exc))
    try:
        signed = approve(
            registry, document, gov.private_key, gov.verification_method, issued=utc_now().replace(microsecond=0)
        )
    except (RequestRefused, KeyError, TypeError, VerificationError) as exc:
        console.print(f"[bold red]refused:[/] {exc}")
        raise typer.Exit(EXIT_FAILED) from exc
    write_atomic(directory / "trust-list.json", pretty_json(signed))
    console.print(
        f"[green]approved[/] {request.name}: trust list sequence {registry.sequence} -> {signed['sequence']}"
        f" (issued {signed['issued']})"
    )


@app.command("show")
def show_command(data_dir: DataDirOpt = None, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the verified trust list: sequence, participants, roles and keys."""
    directory = data_dir or default_data_dir()
    registry = load_registry(directory / "trust-list.json", directory / "trust-anchor.json")
    if as_json:
        print_json(registry.document)
        return
    console.print(
        f"trust list sequence [bold]{registry.sequence}[/], issued {format_time(registry.issued)}, "
        f"next update {format_time(registry.next_update)}, signed by {registry.signed_by}"
    )
    table = Table("participant", "role", "name", "key", "purposes", "valid", "revoked")
    for participant in registry.participants.values():
        for key in participant["keys"]:
            table.add_row(
                participant["id"],
                participant["role"],
                participant["name"],
                key["id"].split("#")[1],
                ",".join(key["purposes"]),
                f"{key['validFrom'][:10]} .. {key['validUntil'][:10]}",
                key.get("revokedAt", "") or "",
            )
    console.print(table)
