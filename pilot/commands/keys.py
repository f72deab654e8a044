"""``pilot keys rotate|destroy``: a participant's key lifecycle (docs/keys.md).

``rotate`` appends a new key to ``<data dir>/keys/<id>.pem`` and writes a trust-list change request
(``change: add-key``) to ``<data dir>/requests/<id>-key-<n>.json`` for ``pilot trust approve``
(pilot.key_rotation): a signing key signs its own request, a port's ``keyAgreement`` key (X25519, which
cannot sign) has its request signed by the port's current ``assertion`` key. ``destroy`` removes a
port's ``keyAgreement`` private key for good (pilot.key_destruction).
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from node_core.i18n import translate
from pilot.console import console, err_console, fail_usage, print_json, untrusted
from pilot.data_dir import default_data_dir
from pilot.key_destruction import DestructionRefused, destroy, plan_destruction
from pilot.key_rotation import (
    DEFAULT_VALID_DAYS,
    SIGNING_PURPOSES,
    Rotation,
    RotationRefused,
    rotate_agreement_key,
    rotate_signing_key,
)
from pilot.language import N_, cli_language, tr
from pilot.local_trust_list import TrustListUnreadable, held_trust_list
from pilot.output_format import FormatOpt, JsonFlagOpt, OutputFormat, wants_json
from schemas.errors import KeyFormatError
from schemas.keyring import KEY_AGREEMENT
from schemas.time import format_time, utc_now
from schemas.trust import TrustRegistry

__all__ = ["DEFAULT_VALID_DAYS", "app", "destroy_command", "rotate_command"]

app = typer.Typer(
    help="Manage a participant's keys: rotate them, destroy a port's keyAgreement key.", no_args_is_help=True
)

#: What becomes unreadable when a keyAgreement key is destroyed, and what does not (translated where shown).
CONSEQUENCE = N_("content sealed to {kid} can no longer be opened; receipts, proofs and bundles stay verifiable")


class Purpose(StrEnum):
    """A key purpose as the trust list names it (docs/design.md §5)."""

    assertion = "assertion"
    authentication = "authentication"
    log = "log"
    witness = "witness"
    keyAgreement = "keyAgreement"  # the trust list's own spelling


PURPOSE_HELP = (
    "What the new key is for; repeat for several signing purposes. assertion: signs credentials and "
    "receipts; authentication: signs HTTP requests; log: signs a port's checkpoints; witness: signs a "
    "port's cosignatures; keyAgreement: a port's X25519 key that exporters seal credentials to (alone, "
    "ports only; its request is signed by the port's current assertion key)."
)
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory (default: ./pilot-data).")]


def _passphrase() -> bytes | None:
    secret = os.environ.get("PILOT_KEY_PASSPHRASE")
    return secret.encode() if secret else None


def _chosen_purposes(purposes: str | None, purpose: list[Purpose]) -> tuple[str, ...] | None:
    """The purposes asked for by ``--purposes a,b`` and ``--purpose X`` (None: those of the current key)."""
    chosen = [p.value for p in purpose]
    if purposes is not None:
        listed = [p.strip() for p in purposes.split(",") if p.strip()]
        if not listed or any(p not in SIGNING_PURPOSES for p in listed):
            fail_usage(tr("--purposes must name some of {purposes}", purposes=", ".join(SIGNING_PURPOSES)))
        chosen += listed
    if not chosen:
        return None
    if KEY_AGREEMENT in chosen and len(chosen) > 1:
        fail_usage(tr("a keyAgreement key has no other purpose: rotate signing keys and keyAgreement keys separately"))
    return tuple(dict.fromkeys(chosen))


def _held_trust_list(directory: Path) -> TrustRegistry | None:
    try:
        return held_trust_list(directory)
    except TrustListUnreadable as exc:
        err_console.print(f"[yellow]{tr('warning:')}[/] {untrusted(_refusal(exc))}")
        return None


@app.command("rotate")
def rotate_command(
    participant: Annotated[str, typer.Option("--id", help="The participant's short id, e.g. ru-exp-01.")],
    data_dir: DataDirOpt = None,
    purposes: Annotated[
        str | None,
        typer.Option(
            "--purposes",
            help="Comma-separated signing purposes (default: those of the current assertion key).",
        ),
    ] = None,
    purpose: Annotated[list[Purpose] | None, typer.Option("--purpose", help=PURPOSE_HELP)] = None,
    valid_days: Annotated[
        int, typer.Option("--valid-days", min=1, help="Requested validity of the new key, from now.")
    ] = DEFAULT_VALID_DAYS,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Make a new key for ID and a trust-list change request for it; the old key stays valid for its window.

    Next: `pilot trust approve <data dir>/requests/<id>-key-<n>.json` (as pilot-gov). Nodes sign with a
    new signing key once the trust list they hold publishes it; exporters seal to a port's new
    keyAgreement key once it is published (the port holds it from now on).
    """
    directory = data_dir or default_data_dir()
    key_file = directory / "keys" / f"{participant}.pem"
    if not key_file.is_file():
        fail_usage(
            tr(
                "{path} does not exist: is {participant} a participant of the sandbox in {directory}?",
                path=key_file,
                participant=participant,
                directory=directory,
            )
        )
    chosen = _chosen_purposes(purposes, purpose or [])
    try:
        if chosen == (KEY_AGREEMENT,):
            trust = held_trust_list(directory)
            rotation = rotate_agreement_key(
                directory, participant, trust, valid_days=valid_days, passphrase=_passphrase()
            )
        else:
            _, rotation = rotate_signing_key(
                directory, participant, purposes=chosen, valid_days=valid_days, passphrase=_passphrase()
            )
    except KeyFormatError as exc:
        fail_usage(tr("cannot read {path}: {problem} (is PILOT_KEY_PASSPHRASE right?)", path=key_file, problem=exc))
    except (RotationRefused, TrustListUnreadable) as exc:
        fail_usage(_refusal(exc))
    if wants_json(output_format, as_json):
        print_json({"participant": participant, **rotation.to_json()})
        return
    _print_rotation(rotation, directory)


def _refusal(exc: RotationRefused | TrustListUnreadable | DestructionRefused) -> str:
    """Why a key could not be rotated or destroyed, in the command's language."""
    return translate(exc.phrase, cli_language())


def _print_rotation(rotation: Rotation, directory: Path) -> None:
    console.print(
        tr(
            "new key [bold]{key}[/] ({purposes}, valid {valid_from} .. {valid_until}) appended to {path}",
            key=untrusted(rotation.key_id),
            purposes=",".join(rotation.purposes),
            valid_from=format_time(rotation.valid_from),
            valid_until=format_time(rotation.valid_until),
            path=untrusted(rotation.key_file),
        )
    )
    request = untrusted(rotation.request_path)
    if rotation.signed_by == rotation.key_id:
        console.print(tr("change request written to [bold]{path}[/]", path=request))
    else:
        console.print(
            tr(
                "change request written to [bold]{path}[/], signed by {signer}",
                path=request,
                signer=untrusted(rotation.signed_by),
            )
        )
    console.print(
        tr(
            "next: {command}",
            command=f"pilot trust approve {untrusted(rotation.request_path)} --data-dir {untrusted(directory)}",
        )
    )
    if rotation.purposes == (KEY_AGREEMENT,):
        console.print(
            tr("once approved, exporters seal to the new key; the old one keeps opening what was sealed to it")
        )


@app.command("destroy")
def destroy_command(
    participant: Annotated[str, typer.Option("--id", help="The port's short id, e.g. cn-port-03.")],
    purpose: Annotated[
        Purpose,
        typer.Option("--purpose", help="The kind of key to destroy: keyAgreement (the only kind that can be)."),
    ],
    key: Annotated[str, typer.Option("--key", help="The key to destroy: key-<n> or its full key id.")],
    data_dir: DataDirOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Destroy it even if it is the port's current sealing key.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Destroy a port's keyAgreement private key: what was sealed to it can never be opened again.

    The key's block leaves keys/<id>.pem (a tombstone line records when); a running port stops using it
    without a restart. Receipts, inclusion proofs and evidence bundles stay verifiable (they hold
    digests). The trust list still publishes the key until its validUntil: no change request ends a
    key's window. Refuses the current sealing key unless --force (rotate first).
    """
    if purpose is not Purpose.keyAgreement:
        fail_usage(
            tr(
                "only keyAgreement keys are destroyed: a signing key is retired by rotating it "
                "(records it signed stay verifiable with its public key)"
            )
        )
    directory = data_dir or default_data_dir()
    if not (directory / "keys" / f"{participant}.pem").is_file():
        fail_usage(
            tr(
                "{path} does not exist: is {participant} a participant?",
                path=directory / "keys" / f"{participant}.pem",
                participant=participant,
            )
        )
    machine = wants_json(output_format, as_json)
    now = utc_now().replace(microsecond=0)
    try:
        plan = plan_destruction(directory, participant, key, _held_trust_list(directory), now, force=force)
    except DestructionRefused as exc:
        fail_usage(_refusal(exc))
    consequence = tr(CONSEQUENCE, kid=plan.key_id)
    if not yes:
        question = (
            tr(
                "Destroy {key}? {consequence}. It is the CURRENT sealing key: exporters still seal to it.",
                key=plan.key_id,
                consequence=consequence,
            )
            if plan.is_current
            else tr("Destroy {key}? {consequence}.", key=plan.key_id, consequence=consequence)
        )
        typer.confirm(question, abort=True, err=True)
    try:
        destroy(plan, now)
    except DestructionRefused as exc:
        fail_usage(_refusal(exc))
    if machine:
        print_json({"participant": participant, **plan.to_json(now)})
        return
    console.print(
        tr(
            "[green]destroyed[/] {key} in {path} at {at} (a tombstone line records it)",
            key=untrusted(plan.key_id),
            path=untrusted(plan.key_file),
            at=format_time(now),
        )
    )
    console.print(untrusted(consequence))
    if plan.still_published_as_usable(now) and plan.published is not None:
        note = tr(
            "the trust list still publishes it until {until}; a submission sealed to it is refused ({code}). "
            "No change request can end a key's window.",
            until=format_time(plan.published.valid_until),
            code="SEALED_KEY_UNKNOWN",
        )
        console.print(f"[yellow]{tr('note:')}[/] {note}")
