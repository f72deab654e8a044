"""``pilot onboard exporter|check``: rehearse joining the pilot as a new exporter, then send a first consignment."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from pilot.console import EXIT_USAGE, console, fail_usage
from pilot.data_dir import default_data_dir
from pilot.files import write_atomic
from pilot.participants import did_of
from pilot.registration import sign_request
from pilot.sandbox import KEYS_VALID_UNTIL, pretty_json, write_private
from schemas._keyring import KeyEntry, dump_keyring
from schemas._models.regions import region_bbox
from schemas._multikey import encode_multikey
from schemas._time import format_time, utc_now

app = typer.Typer(help="Rehearse onboarding a new exporter.", no_args_is_help=True)
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory (default: ./pilot-data).")]
PRODUCT_HS = {
    "1201": "120190",
    "1512": "151211",
    "0207": "020714",
    "0202": "020230",
    "0203": "020329",
    "0402": "040210",
}


@app.command("exporter")
def exporter_command(
    exporter_id: Annotated[str, typer.Option("--id", help="Short id of the new exporter, e.g. ru-exp-07.")],
    name: Annotated[str, typer.Option("--name", help="Legal name shown in the trust list.")],
    data_dir: DataDirOpt = None,
    region: Annotated[str, typer.Option(help="ISO 3166-2 region of the farms and plant.")] = "RU-TAM",
    product: Annotated[str, typer.Option(help="HS heading exported (4 digits).")] = "1201",
) -> None:
    """Make the new exporter's key, operator token and a registration request with proof of key possession.

    Next: `pilot trust approve <data dir>/requests/<id>.json` (as pilot-gov), then start the node with
    `pilot node exporter --id <id>` and run `pilot onboard check`.
    """
    directory = data_dir or default_data_dir()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{2,31}", exporter_id):
        fail_usage(f"--id {exporter_id!r}: use lowercase letters, digits and dashes, e.g. ru-exp-07")
    if product not in PRODUCT_HS:
        fail_usage(f"--product {product!r}: one of {', '.join(sorted(PRODUCT_HS))}")
    if region_bbox(region) is None:
        fail_usage(f"--region {region!r} has no authored bounding box; try RU-TAM, RU-BEL, RU-AMU ...")
    if not (directory / "trust-list.json").is_file():
        fail_usage(f"{directory} holds no sandbox: run `pilot init --data-dir {directory}` first")
    key_file = directory / "keys" / f"{exporter_id}.pem"
    if key_file.exists():
        console.print(f"[red]error:[/] {key_file} exists: {exporter_id} was onboarded already")
        raise typer.Exit(EXIT_USAGE)

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from node_core.auth import ensure_token

    now = utc_now().replace(microsecond=0)
    did = did_of(exporter_id)
    private = Ed25519PrivateKey.generate()
    vm = f"{did}#key-1"
    passphrase = os.environ.get("PILOT_KEY_PASSPHRASE")
    write_private(
        key_file,
        dump_keyring(
            [KeyEntry(vm, ("assertion", "authentication"), private)], passphrase.encode() if passphrase else None
        ),
    )
    ensure_token(directory / "tokens", exporter_id)
    plant = f"{region}-{int(re.sub(r'[^0-9]', '', exporter_id)[-2:] or 0):02d}01"
    request = {
        "change": "add-participant",
        "participant": {
            "id": exporter_id,
            "did": did,
            "role": "exporter",
            "name": name,
            "country": "RU",
            "keys": [
                {
                    "id": vm,
                    "type": "Multikey",
                    "publicKeyMultibase": encode_multikey(private.public_key()),
                    "purposes": ["assertion", "authentication"],
                    "validFrom": format_time(now - timedelta(minutes=5)),
                    "validUntil": format_time(KEYS_VALID_UNTIL),
                }
            ],
        },
        "establishments": [
            {
                "establishmentNumber": plant,
                "name": f"{name} processing plant",
                "exporter": exporter_id,
                "region": region,
                "categories": [product],
                "recommendedBy": did_of("ru-vet"),
                "approvedFrom": format_time(now - timedelta(minutes=5)),
                "approvedUntil": format_time(KEYS_VALID_UNTIL),
            }
        ],
    }
    signed = sign_request(request, private, vm, now)
    request_file = directory / "requests" / f"{exporter_id}.json"
    write_atomic(request_file, pretty_json(signed))
    profile = {"id": exporter_id, "region": region, "hsCode": PRODUCT_HS[product], "establishmentNumber": plant}
    write_atomic(directory / "onboarding" / f"{exporter_id}.json", pretty_json(profile))
    console.print(f"[green]created[/] key {key_file}, operator token, and request {request_file}")
    console.print(f"next: [bold]pilot trust approve {request_file} --data-dir {directory}[/]")
