"""``pilot onboard exporter|check``: rehearse joining the pilot as a new exporter, then send a first consignment.

``exporter`` takes the exporter's legal name as a plain ``--name`` and, repeatable, in each of its languages
as ``--name-in LANG=TEXT`` (a BCP 47 tag: ``--name-in ru="ООО Ромашка" --name-in en="Romashka LLC"``); those
become the participant's ``names`` in the trust list, VC 2.0 language value objects, the plain name among
them (docs/records.md, "Names in several languages"), each text exactly as given (never normalised).

With ``--format json`` each prints its result as one JSON document on stdout: the files ``exporter`` made,
and every step ``check`` ran (``{"ok", "steps": [{"step", "ok", "detail" | "fix"}]}``, in English, the steps
also shown on stderr, in the command's language, as they pass or fail).
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import TypeAdapter, ValidationError
from rich.console import Console

from node_core.durable_files import replace_durably
from node_core.i18n import translate
from pilot.console import EXIT_FAILED, EXIT_USAGE, console, fail_usage, print_json, untrusted
from pilot.data_dir import default_data_dir
from pilot.language import cli_language, tr
from pilot.output_format import FormatOpt, OutputFormat, notes_console, wants_json
from pilot.registration import sign_request
from pilot.sandbox import KEYS_VALID_UNTIL, pretty_json, write_private
from schemas.identifiers import did_of
from schemas.keyring import KeyEntry, dump_keyring
from schemas.models.language import Names, language_tag_problem
from schemas.models.regions import region_bbox
from schemas.multikey import encode_multikey
from schemas.phrase import Phrase
from schemas.time import format_time, utc_now

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
_NAMES = TypeAdapter(Names)


def language_names(name: str | None, name_in: list[str]) -> tuple[str, list[dict[str, str]] | None]:
    """The plain name and the ``names`` (language value objects) of ``--name`` and ``--name-in LANG=TEXT``.

    Without ``--name`` the plain name is the first ``--name-in`` text; with both, ``--name`` must be one of
    them (``names`` lists every form, ``name`` among them). Each tag is checked as BCP 47 and given once;
    texts are kept exactly as written. Bad usage (exit 2), saying what is wrong, otherwise.
    """
    forms: list[dict[str, str]] = []
    for given in name_in:
        tag, equals, text = given.partition("=")
        tag = tag.strip()
        if not equals or not tag or not text.strip():
            fail_usage(tr('--name-in {value}: write LANG=TEXT, e.g. --name-in ru="ООО Ромашка"', value=repr(given)))
        problem = language_tag_problem(tag)
        if problem is not None:
            fail_usage(
                tr(
                    "--name-in {value}: {tag} is not a language tag such as ru, en or zh-Hans ({problem})",
                    value=repr(given),
                    tag=repr(tag),
                    problem=problem,
                )
            )
        if any(form["@language"].lower() == tag.lower() for form in forms):
            fail_usage(tr("--name-in: {tag} is given twice: give one name per language", tag=repr(tag)))
        forms.append({"@value": text, "@language": tag})
    if not forms:
        if name is None:
            fail_usage(tr("give the exporter's legal name: --name TEXT, or --name-in LANG=TEXT for each language"))
        return name, None
    try:
        _NAMES.validate_python(forms, by_alias=True)
    except ValidationError as exc:
        fail_usage(tr("--name-in is not valid: {problem}", problem=exc.errors()[0]["msg"]))
    if name is None:
        return forms[0]["@value"], forms
    if all(form["@value"] != name for form in forms):
        fail_usage(
            tr(
                "--name {name} is none of the --name-in names: give it with its language too, e.g. --name-in ru={name}",
                name=repr(name),
            )
        )
    return name, forms


@app.command("exporter")
def exporter_command(
    exporter_id: Annotated[str, typer.Option("--id", help="Short id of the new exporter, e.g. ru-exp-07.")],
    name: Annotated[
        str | None,
        typer.Option("--name", help="Legal name shown in the trust list (default: the first --name-in)."),
    ] = None,
    name_in: Annotated[
        list[str] | None,
        typer.Option(
            "--name-in",
            metavar="LANG=TEXT",
            help='The legal name in one language, as a BCP 47 tag and the text, e.g. --name-in ru="ООО Ромашка" '
            '--name-in en="Romashka LLC"; repeat for each language (the trust list\'s names).',
        ),
    ] = None,
    data_dir: DataDirOpt = None,
    region: Annotated[str, typer.Option(help="ISO 3166-2 region of the farms and plant.")] = "RU-TAM",
    product: Annotated[str, typer.Option(help="HS heading exported (4 digits).")] = "1201",
    output_format: FormatOpt = OutputFormat.text,
) -> None:
    """Make the new exporter's key, operator token and a registration request with proof of key possession.

    Next: `pilot trust approve <data dir>/requests/<id>.json` (as pilot-gov), then start the node with
    `pilot node exporter --id <id>` and run `pilot onboard check`.
    """
    directory = data_dir or default_data_dir()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{2,31}", exporter_id):
        fail_usage(
            tr("--id {value}: use lowercase letters, digits and dashes, e.g. ru-exp-07", value=repr(exporter_id))
        )
    name, names = language_names(name, name_in or [])
    if product not in PRODUCT_HS:
        fail_usage(
            tr("--product {value}: one of {choices}", value=repr(product), choices=", ".join(sorted(PRODUCT_HS)))
        )
    if region_bbox(region) is None:
        fail_usage(
            tr("--region {value} has no authored bounding box; try RU-TAM, RU-BEL, RU-AMU ...", value=repr(region))
        )
    if not (directory / "trust-list.json").is_file():
        fail_usage(
            tr(
                "{directory} holds no sandbox: run `pilot init --data-dir {directory}` first",
                directory=directory,
            )
        )
    key_file = directory / "keys" / f"{exporter_id}.pem"
    if key_file.exists():
        exists = tr("{path} exists: {id} was onboarded already", path=untrusted(key_file), id=untrusted(exporter_id))
        console.print(f"[red]{tr('error:')}[/] {exists}")
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
            **({"names": names} if names is not None else {}),
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
    replace_durably(request_file, pretty_json(signed))
    profile = {
        "id": exporter_id,
        "name": name,
        "region": region,
        "hsCode": PRODUCT_HS[product],
        "establishmentNumber": plant,
    }
    profile_file = directory / "onboarding" / f"{exporter_id}.json"
    replace_durably(profile_file, pretty_json(profile))
    if wants_json(output_format):
        print_json(
            {
                "exporter": exporter_id,
                "did": did,
                "keyFile": str(key_file),
                "requestFile": str(request_file),
                "profileFile": str(profile_file),
                "next": f"pilot trust approve {request_file} --data-dir {directory}",
            }
        )
        return
    console.print(
        tr(
            "[green]created[/] key {key_file}, operator token, and request {request_file}",
            key_file=untrusted(key_file),
            request_file=untrusted(request_file),
        )
    )
    command = f"pilot trust approve {untrusted(request_file)} --data-dir {untrusted(directory)}"
    console.print(tr("next: {command}", command=f"[bold]{command}[/]"))


def _shown(text: Phrase | str) -> str:
    """A step's text as printed: a phrase in the command's language, a plain text (a node's answer) as it is."""
    return translate(text, cli_language()) if isinstance(text, Phrase) else text


class Checklist:
    """Steps of ``pilot onboard check``, printed as they pass or fail, each failure with what to fix.

    Steps and details quote the nodes' answers: they are shown literally, never as markup. A step given as
    a ``Phrase`` is printed in the command's language and kept in English (``as_json``).
    """

    def __init__(self, out: Console) -> None:
        self.out = out
        self.failed = False
        self.steps: list[dict[str, Any]] = []

    def ok(self, step: Phrase | str, detail: Phrase | str = "") -> None:
        self.steps.append({"step": str(step), "ok": True, "detail": str(detail)})
        shown = f"[green]✓[/] {untrusted(_shown(step))}"
        self.out.print(shown + (f" [dim]({untrusted(_shown(detail))})[/]" if str(detail) else ""))

    def fail(self, step: Phrase | str, fix: Phrase | str) -> None:
        self.failed = True
        self.steps.append({"step": str(step), "ok": False, "fix": str(fix)})
        self.out.print(
            f"[bold red]✗[/] {untrusted(_shown(step))}\n    [yellow]{tr('to fix:')}[/] {untrusted(_shown(fix))}"
        )

    def as_json(self) -> dict[str, Any]:
        """``{"ok", "steps"}``: ok when at least one step ran and none failed."""
        return {"ok": bool(self.steps) and not self.failed, "steps": self.steps}


def _onboarding_subjects(profile: dict[str, str]) -> list[dict[str, Any]]:
    """A farm and the processing plant of a newly onboarded exporter, inside its region."""
    import random

    from pilot.synthetic import polygon_in
    from schemas.records import facility

    exporter_id, region = profile["id"], profile["region"]
    bbox = region_bbox(region)
    assert bbox is not None
    rng = random.Random(exporter_id)
    common: dict[str, Any] = {
        "country": "RU",
        "region": region,
        "operator_did": did_of(exporter_id),
        "operator_name": profile.get("name", exporter_id),
        "products": [(profile["hsCode"], f"HS {profile['hsCode']} goods")],
    }
    farm = facility(
        facility_id=f"urn:pilot:facility:{exporter_id}:farm-001",
        name=f"{exporter_id} first farm",
        facility_type="farm",
        establishment_number=f"{region}-9{exporter_id[-2:]}1",
        boundary=polygon_in(rng, bbox),
        **common,
    )
    farm["areaHectares"] = 850.0
    farm["productionPeriod"] = {"start": "2026-01-01", "end": "2026-12-31"}
    plant = facility(
        facility_id=f"urn:pilot:facility:{exporter_id}:plant-01",
        name=f"{exporter_id} processing plant",
        facility_type="processing_plant",
        establishment_number=profile["establishmentNumber"],
        boundary=polygon_in(rng, bbox),
        **common,
    )
    return [farm, plant]


@app.command("check")
def check_command(
    exporter: Annotated[str, typer.Option("--exporter", help="The new exporter node's URL.")],
    port: Annotated[str, typer.Option("--port", help="A port node's URL.")],
    data_dir: DataDirOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the receipt.")] = 60.0,
    output_format: FormatOpt = OutputFormat.text,
) -> None:
    """Send a first consignment from the new exporter to a port and print a checklist of what passed.

    Registers a farm and the plant if needed, asks for a consignment, waits for delivery, and checks the
    receipt. Exit 0 when every step passed, 1 otherwise (each failed step says what to fix).
    """
    machine = wants_json(output_format)
    check = Checklist(notes_console(machine))
    try:
        _check(check, exporter, port, data_dir or default_data_dir(), timeout)
    finally:
        if machine:
            print_json(check.as_json())
    if check.failed:
        raise typer.Exit(EXIT_FAILED)


def _check(check: Checklist, exporter: str, port: str, directory: Path, timeout: float) -> None:
    """The steps of ``pilot onboard check``: return when every one passed, else exit 1 at the first that failed."""
    import time

    import httpx

    from node_core.auth import read_token

    with httpx.Client(timeout=15.0, trust_env=False) as client:
        exporter_health = _wait_for_health(client, exporter, 30.0)
        try:
            exporter_health = exporter_health or client.get(f"{exporter}/health").raise_for_status().json()
            check.ok(
                Phrase("exporter node answers"),
                Phrase(
                    "{node}, trust list {sequence}",
                    node=exporter_health["node"],
                    sequence=exporter_health["trustListSequence"],
                ),
            )
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            check.fail(
                Phrase("exporter node answers at {url}", url=exporter),
                Phrase("start it: pilot node exporter --id <id> ({problem})", problem=str(exc)),
            )
            raise typer.Exit(1) from exc
        try:
            port_health = client.get(f"{port}/health").raise_for_status().json()
            check.ok(
                Phrase("port node answers"),
                Phrase(
                    "{node}, trust list {sequence}", node=port_health["node"], sequence=port_health["trustListSequence"]
                ),
            )
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            check.fail(
                Phrase("port node answers at {url}", url=port),
                Phrase("start the network: pilot up ({problem})", problem=str(exc)),
            )
            raise typer.Exit(1) from exc
        exporter_id, port_id = exporter_health["node"], port_health["node"]
        trusts = (
            (port, Phrase("the port trusts {id}", id=exporter_id)),
            (exporter, Phrase("the exporter trusts {id}", id=exporter_id)),
        )
        for url, step in trusts:
            listed = client.get(f"{url}/v1/trust-list").json()
            ids = {p.get("id") for p in listed.get("participants", [])}
            if exporter_id in ids:
                check.ok(step, Phrase("trust list sequence {sequence}", sequence=listed.get("sequence")))
            else:
                check.fail(
                    step,
                    Phrase(
                        "approve the request: {command}; nodes reload trust-list.json within seconds",
                        command=f"pilot trust approve {directory}/requests/{exporter_id}.json --data-dir {directory}",
                    ),
                )
        if check.failed:
            raise typer.Exit(1)
        try:
            token = read_token(directory / "tokens", str(exporter_id))
        except OSError as exc:
            check.fail(
                Phrase("operator token found"),
                Phrase("{path} is missing: use --data-dir", path=f"{directory}/tokens/{exporter_id}"),
            )
            raise typer.Exit(1) from exc
        headers = {"Authorization": f"Bearer {token}"}
        profile_file = directory / "onboarding" / f"{exporter_id}.json"
        if not profile_file.is_file():
            check.fail(
                Phrase("onboarding profile found"),
                Phrase("{path} is missing: run pilot onboard exporter first", path=profile_file),
            )
            raise typer.Exit(1)
        profile = json.loads(profile_file.read_text())
        farm, plant = _onboarding_subjects(profile)
        for subject in (farm, plant):
            answer = client.post(f"{exporter}/v1/farms", json=subject, headers=headers)
            registered = Phrase("{facility_type} registered", facility_type=subject["facilityType"])
            if answer.status_code in (201, 409):
                check.ok(registered, str(subject["id"]))
            else:
                check.fail(registered, f"HTTP {answer.status_code}: {answer.text[:300]}")
                raise typer.Exit(1)
        consignment_id = f"{exporter_id}-first-{int(time.time())}"
        lot = {
            "lotId": f"urn:pilot:lot:{exporter_id}:{consignment_id}",
            "hsCode": profile["hsCode"],
            "description": "first consignment",
            "netWeight": {"value": 20.0, "unit": "TNE"},
            "establishmentNumber": profile["establishmentNumber"],
            "originFacilities": [farm["id"]],
        }
        answer = client.post(
            f"{exporter}/v1/consignments",
            headers=headers,
            json={"destination": port_id, "lots": [lot], "consignmentId": consignment_id},
        )
        if answer.status_code != 202:
            body = answer.json() if answer.headers.get("content-type", "").endswith("json") else {}
            reasons = "; ".join(f"{r.get('code')} {r.get('path')}" for r in body.get("reasons", []))
            check.fail(
                Phrase("consignment passes the exporter's pre-check"),
                f"{body.get('code', answer.status_code)}: {body.get('detail', answer.text[:200])} {reasons}",
            )
            raise typer.Exit(1)
        check.ok(Phrase("consignment passes the exporter's pre-check"), consignment_id)
        deadline = time.monotonic() + timeout
        state: dict[str, object] = {}
        while time.monotonic() < deadline:
            state = client.get(f"{exporter}/v1/consignments/{consignment_id}", headers=headers).json()
            if state.get("state") in ("delivered", "delivered_with_warnings", "failed"):
                break
            time.sleep(0.5)
        if state.get("state") in ("delivered", "delivered_with_warnings"):
            check.ok(Phrase("delivered with a verified receipt"), Phrase("log index {index}", index=_log_index(state)))
        else:
            attempts = state.get("attemptLog") or []
            last = attempts[-1] if isinstance(attempts, list) and attempts else {}
            check.fail(
                Phrase("delivered with a verified receipt"),
                Phrase(
                    "state {state}; last attempt: {attempt}. Is {port} in {path} or PILOT_PEER_URLS of the exporter?",
                    state=state.get("state"),
                    attempt=last,
                    port=port_id,
                    path=f"{directory}/network.json",
                ),
            )
            raise typer.Exit(1)
        if state.get("decision") == "accepted":
            check.ok(Phrase("{port} accepted it", port=port_id))
        else:
            listed = state.get("reasons")
            reasons = (
                ", ".join(str(r.get("code")) for r in listed if isinstance(r, dict)) if isinstance(listed, list) else ""
            )
            check.fail(
                Phrase("{port} accepted it", port=port_id),
                Phrase("decision {decision}: {reasons}", decision=state.get("decision"), reasons=reasons),
            )
    if check.failed:
        raise typer.Exit(1)
    check.out.print(
        tr(
            "[bold green]{id} is onboarded:[/] its first consignment was accepted by {port}",
            id=untrusted(exporter_id),
            port=untrusted(port_id),
        )
    )


def _wait_for_health(client: object, url: str, seconds: float) -> dict[str, object] | None:
    """The node's /health answer, waiting up to ``seconds`` for a node that is still starting."""
    import time

    import httpx

    assert isinstance(client, httpx.Client)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            answer = client.get(f"{url}/health")
            if answer.status_code == 200:
                body: dict[str, object] = answer.json()
                return body
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    return None


def _log_index(state: dict[str, object]) -> object:
    receipt = state.get("receipt")
    if isinstance(receipt, dict):
        return receipt.get("credentialSubject", {}).get("log", {}).get("index")
    return None
