"""``pilot keys rotate --id ID``: add a new key to a participant's keyring and ask pilot-gov to publish it.

The new Ed25519 key is appended to ``<data dir>/keys/<id>.pem`` (encrypted when ``PILOT_KEY_PASSPHRASE``
is set; the existing blocks are left byte for byte) under the next label ``key-<n>``, with the purposes of
the key it succeeds. A trust-list change request (``change: add-key``) is written to
``<data dir>/requests/<id>-key-<n>.json``, signed with ``eddsa-jcs-2022`` by the NEW key (proof of
possession); ``pilot trust approve`` publishes it. The old key is not touched: records it signed stay
verifiable for its whole window, and nodes keep signing with it until the new key is in the trust list.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pilot.console import console, fail_usage, untrusted
from pilot.data_dir import default_data_dir
from pilot.registration import sign_request
from pilot.sandbox import pretty_json, write_private
from schemas.errors import KeyFormatError
from schemas.keyring import KeyEntry, dump_keyring, load_keyring
from schemas.multikey import encode_multikey
from schemas.time import format_time, utc_now

app = typer.Typer(help="Manage a participant's keys.", no_args_is_help=True)

#: How long a rotated-in key is requested to be valid.
DEFAULT_VALID_DAYS = 3650
_PURPOSES = ("assertion", "authentication", "log", "witness")


def _label_number(verification_method: str) -> int:
    label = verification_method.rpartition("#")[2]
    number = label.removeprefix("key-")
    return int(number) if number.isdigit() else 0


def rotate_key(
    data_dir: Path,
    participant: str,
    *,
    purposes: tuple[str, ...] | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
    passphrase: bytes | None = None,
) -> tuple[KeyEntry, Path]:
    """Append a new key to the participant's keyring and write its signed change request; returns both."""
    key_file = data_dir / "keys" / f"{participant}.pem"
    existing_bytes = key_file.read_bytes()
    entries = load_keyring(existing_bytes, passphrase)
    if purposes is None:
        current = next((e for e in reversed(entries) if "assertion" in e.purposes), entries[-1])
        purposes = current.purposes
    did = entries[0].verification_method.partition("#")[0]
    number = max(_label_number(e.verification_method) for e in entries) + 1
    new = KeyEntry(f"{did}#key-{number}", tuple(purposes), Ed25519PrivateKey.generate())

    now = utc_now().replace(microsecond=0)
    request = {
        "change": "add-key",
        "participant": participant,
        "key": {
            "id": new.verification_method,
            "type": "Multikey",
            "publicKeyMultibase": encode_multikey(new.private_key.public_key()),
            "purposes": list(new.purposes),
            "validFrom": format_time(now),
            "validUntil": format_time(now + timedelta(days=valid_days)),
        },
    }
    signed = sign_request(request, new.private_key, new.verification_method, now)
    request_path = data_dir / "requests" / f"{participant}-key-{number}.json"
    request_path.parent.mkdir(parents=True, exist_ok=True)
    request_path.write_bytes(pretty_json(signed))
    # The old blocks stay as they are; the new one is appended (encrypted alike when a passphrase is set).
    write_private(key_file, existing_bytes + dump_keyring([new], passphrase))
    return new, request_path


@app.command("rotate")
def rotate_command(
    participant: Annotated[str, typer.Option("--id", help="The participant's short id, e.g. ru-exp-01.")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory.")] = None,
    purposes: Annotated[
        str | None,
        typer.Option("--purposes", help="Comma-separated purposes (default: those of the current assertion key)."),
    ] = None,
    valid_days: Annotated[int, typer.Option("--valid-days", min=1, help="Requested validity of the new key.")] = (
        DEFAULT_VALID_DAYS
    ),
) -> None:
    """Make a new key for ID and a trust-list change request for it; the old key stays valid for its window.

    Next: `pilot trust approve <data dir>/requests/<id>-key-<n>.json` (as pilot-gov). Nodes switch to the
    new key once the trust list they hold publishes it.
    """
    directory = data_dir or default_data_dir()
    key_file = directory / "keys" / f"{participant}.pem"
    if not key_file.is_file():
        fail_usage(f"{key_file} does not exist: is {participant} a participant of the sandbox in {directory}?")
    chosen: tuple[str, ...] | None = None
    if purposes is not None:
        chosen = tuple(p.strip() for p in purposes.split(",") if p.strip())
        unknown = [p for p in chosen if p not in _PURPOSES]
        if not chosen or unknown:
            fail_usage(f"--purposes must name some of {', '.join(_PURPOSES)}")
    secret = os.environ.get("PILOT_KEY_PASSPHRASE")
    try:
        new, request_path = rotate_key(
            directory,
            participant,
            purposes=chosen,
            valid_days=valid_days,
            passphrase=secret.encode() if secret else None,
        )
    except KeyFormatError as exc:
        fail_usage(f"cannot read {key_file}: {exc} (is PILOT_KEY_PASSPHRASE right?)")
    console.print(
        f"new key [bold]{untrusted(new.verification_method)}[/] ({','.join(new.purposes)}) "
        f"appended to {untrusted(key_file)}"
    )
    console.print(f"change request written to [bold]{untrusted(request_path)}[/]")
    console.print(f"next: pilot trust approve {untrusted(request_path)} --data-dir {untrusted(directory)}")
