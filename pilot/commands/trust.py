"""``pilot trust approve|show``: act as ``pilot-gov``, the trust-list operator of the sandbox.

Rotating ``pilot-gov``'s own key (docs/design.md §5): ``pilot keys rotate --id pilot-gov`` appends key-2 to
``keys/pilot-gov.pem`` and writes its request; ``pilot trust approve`` publishes it in a list signed by
the OLD key (nodes trust only keys pinned in ``trust-anchor.json`` or announced by a list they accepted,
and remember the announced ones); every later list is signed by the newest key nodes already trust, so
key-2 from then on. Acting as the operator, these commands verify the current list against the pinned
anchor plus ``pilot-gov``'s own keyring, so they keep working after a rotation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from node_core.durable_files import replace_durably
from node_core.i18n import translate
from pilot.console import EXIT_FAILED, console, fail_usage, print_json
from pilot.data_dir import default_data_dir
from pilot.language import cli_language, tr
from pilot.output_format import FormatOpt, JsonFlagOpt, OutputFormat, wants_json
from pilot.participant_labels import reader_ranges
from pilot.registration import RequestRefused, adds_agreement_key, approve
from pilot.safe_text import untrusted
from pilot.sandbox import pretty_json
from pilot.tables import new_table
from pilot.trust_files import load_registry
from schemas.errors import JsonMalformedError, KeyFormatError, VerificationError
from schemas.jsonio import parse_json
from schemas.keyring import KeyEntry, load_keyring
from schemas.multikey import encode_multikey
from schemas.names import choose_name
from schemas.time import format_time, utc_now
from schemas.trust import TrustRegistry, anchor_keys, load_trust_list, read_json_file

app = typer.Typer(help="Act as pilot-gov: approve change requests, show the trust list.", no_args_is_help=True)
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory (default: ./pilot-data).")]


@app.command("approve")
def approve_command(
    request: Annotated[
        Path, typer.Argument(help="A change request from `pilot onboard exporter` or `pilot keys rotate`.")
    ],
    data_dir: DataDirOpt = None,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Check a change request (proof of possession, no clashes) and publish the next trust-list sequence.

    A new signing key must have signed its own request; a port's new keyAgreement key (X25519, which
    cannot sign) must come with a request signed by an assertion key of that port, published and valid
    now. Running nodes pick up the new trust-list.json within a second or two, without a restart.
    With ``--format json``: ``{"approved", "request", "sequence", "previousSequence", "issued", "signedBy",
    "sealingKey"}``, or ``{"approved": false, "request", "reason"}`` (exit 1), the reason in English.
    """
    directory = data_dir or default_data_dir()
    machine = wants_json(output_format, as_json)
    if not request.is_file():
        fail_usage(tr("{path} does not exist", path=request))
    try:
        document = parse_json(request.read_bytes())
        keyring = _gov_keyring(directory)
    except (JsonMalformedError, KeyFormatError, OSError) as exc:
        fail_usage(str(exc))
    registry = _operator_registry(directory, keyring)
    now = utc_now().replace(microsecond=0)
    try:
        gov = signing_key(registry, read_json_file(directory / "trust-anchor.json"), keyring, now)
        signed = approve(registry, document, gov.private_key, gov.verification_method, issued=now)
    except (RequestRefused, KeyError, KeyFormatError, TypeError, VerificationError) as exc:
        if machine:
            print_json({"approved": False, "request": str(request), "reason": str(exc)})
        else:
            reason = translate(exc.phrase, cli_language()) if isinstance(exc, RequestRefused) else str(exc)
            console.print(f"[bold red]{tr('refused:')}[/] {untrusted(reason)}")
        raise typer.Exit(EXIT_FAILED) from exc
    replace_durably(directory / "trust-list.json", pretty_json(signed))
    sealing_key: str | None = None
    if adds_agreement_key(document):
        sealing = TrustRegistry.from_document(signed).sealing_key(str(document["participant"]), now)
        sealing_key = sealing.kid if sealing is not None else None
    if machine:
        print_json(
            {
                "approved": True,
                "request": str(request),
                "previousSequence": registry.sequence,
                "sequence": signed["sequence"],
                "issued": signed["issued"],
                "signedBy": gov.verification_method,
                "sealingKey": sealing_key,
            }
        )
        return
    approved = tr(
        "[green]approved[/] {request}: trust list sequence {previous} -> {sequence} "
        "(issued {issued}, signed by {signer})",
        request=untrusted(request.name),
        previous=registry.sequence,
        sequence=signed["sequence"],
        issued=signed["issued"],
        signer=gov.verification_method,
    )
    console.print(approved)
    if adds_agreement_key(document):
        console.print(
            tr(
                "exporters seal to {participant} with {key}",
                participant=untrusted(document["participant"]),
                key=untrusted(sealing_key) if sealing_key is not None else tr("no key (none is usable now)"),
            )
        )


@app.command("show")
def show_command(
    data_dir: DataDirOpt = None, output_format: FormatOpt = OutputFormat.text, as_json: JsonFlagOpt = False
) -> None:
    """Show the verified trust list: sequence, participants, roles and keys (``--format json``: the list itself)."""
    directory = data_dir or default_data_dir()
    try:
        keyring = _gov_keyring(directory)
    except (KeyFormatError, OSError):
        keyring = []  # not the operator's sandbox: the pinned anchor alone
    registry = _operator_registry(directory, keyring)
    if wants_json(output_format, as_json):
        print_json(registry.document)
        return
    console.print(
        tr(
            "trust list sequence [bold]{sequence}[/], issued {issued}, next update {next_update}, signed by {signer}",
            sequence=registry.sequence,
            issued=format_time(registry.issued),
            next_update=format_time(registry.next_update),
            signer=registry.signed_by,
        )
    )
    table = new_table(tr("participant"), tr("role"), tr("name"), tr("key"), tr("purposes"), tr("valid"), tr("revoked"))
    for participant in registry.document["participants"]:  # as signed: the text the list carries
        for key in participant["keys"]:
            table.add_row(
                untrusted(participant["id"]),
                untrusted(participant["role"]),
                untrusted(choose_name(participant["name"], participant.get("names"), reader_ranges()).value),
                untrusted(key["id"].split("#")[1]),
                ",".join(key["purposes"]),
                f"{key['validFrom'][:10]} .. {key['validUntil'][:10]}",
                key.get("revokedAt", "") or "",
            )
    console.print(table)


def _gov_keyring(directory: Path) -> list[KeyEntry]:
    """``pilot-gov``'s keyring from the sandbox (``PILOT_KEY_PASSPHRASE`` when encrypted)."""
    passphrase = os.environ.get("PILOT_KEY_PASSPHRASE")
    return load_keyring(
        (directory / "keys" / "pilot-gov.pem").read_bytes(), passphrase.encode() if passphrase else None
    )


def _operator_registry(directory: Path, keyring: list[KeyEntry]) -> TrustRegistry:
    """The current list, verified against the pinned anchor plus the operator's own public keys."""
    own = {entry.verification_method: encode_multikey(entry.private_key.public_key()) for entry in keyring}
    trust_list, anchor = directory / "trust-list.json", directory / "trust-anchor.json"
    if not own:
        return load_registry(trust_list, anchor)
    for path in (trust_list, anchor):
        if not path.is_file():
            fail_usage(tr("{path} does not exist", path=path))
    return load_trust_list(trust_list, anchor, extra_anchor_keys=own)


def signing_key(registry: TrustRegistry, anchor: Mapping[str, Any], keyring: list[KeyEntry], now: datetime) -> KeyEntry:
    """The newest ``assertion`` key of ``keyring`` that nodes holding ``registry`` trust to sign the next list.

    That is a key pinned in the anchor or announced by the current list, with the same public key, and
    not revoked at ``now``; a key only in the keyring (rotated, not yet approved) is never chosen, so the
    list that announces it is signed by the key before it. KeyFormatError when there is none.
    """
    trusted = {**registry.announced_anchor_keys(), **anchor_keys(anchor)}
    revoked = registry.anchor_revocations()
    for entry in reversed(keyring):
        multibase = trusted.get(entry.verification_method)
        if "assertion" not in entry.purposes or multibase != encode_multikey(entry.private_key.public_key()):
            continue
        if entry.verification_method in revoked and now >= revoked[entry.verification_method]:
            continue
        return entry
    raise KeyFormatError("no key of pilot-gov's keyring is pinned or announced, and unrevoked, to sign the trust list")
