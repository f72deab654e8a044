"""``pilot credential verify|canonicalize|inspect``: look at one signed record from the command line."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from pilot.console import EXIT_FAILED, console, fail_usage, print_json, untrusted
from pilot.data_dir import default_data_dir
from pilot.documents import credential_problems
from pilot.input_files import InputTooLargeError, read_bounded
from pilot.language import tr
from pilot.output_format import FormatOpt, JsonFlagOpt, OutputFormat, wants_json
from pilot.status_list_options import STATUS_NOT_RUN_REASON, StatusListDirsOpt, StatusListFilesOpt, given_status_lists
from pilot.tables import new_table
from pilot.trust_files import load_registry
from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.data_integrity import read_proof, verify_data_integrity
from schemas.digest import credential_digest
from schemas.errors import JsonMalformedError, KeyFormatError, PilotSchemaError, Reason, VerificationError
from schemas.jose import is_enveloped, read_enveloped, verify_enveloped
from schemas.jsonio import parse_json
from schemas.multikey import decode_multikey
from schemas.time import parse_time, utc_now
from schemas.verify import check_credential

app = typer.Typer(help="Verify, canonicalize and inspect one credential file.", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="A JSON credential (embedded proof or enveloped).")]
TrustListOpt = Annotated[Path | None, typer.Option("--trust-list", help="Trust list to resolve keys with.")]
AnchorOpt = Annotated[Path | None, typer.Option("--trust-anchor", help="Pinned anchor (default: beside the list).")]
AtOpt = Annotated[str | None, typer.Option("--at", help="Judge validity at this RFC 3339 time (default: now).")]

#: The largest file read (a port takes at most 16 MiB in one batch request, docs/design.md §7).
MAX_FILE_BYTES = 16 * 1024 * 1024


def _read(path: Path, machine: bool = False) -> Any:
    """The file's JSON; a failed check (exit 1) for a file too large or not JSON, reported as JSON when ``machine``."""
    if not path.is_file():
        fail_usage(tr("{path} does not exist", path=path))
    try:
        return parse_json(read_bounded(path, MAX_FILE_BYTES))
    except InputTooLargeError as exc:
        _unreadable(path, Reason(Code.PAYLOAD_TOO_LARGE, "", exc.message), machine)
    except OSError as exc:
        fail_usage(tr("cannot read {path}: {problem}", path=path, problem=exc))
    except JsonMalformedError as exc:
        _unreadable(path, Reason(Code.JSON_MALFORMED, "", exc.message), machine)


def _unreadable(path: Path, problem: Reason, machine: bool) -> NoReturn:
    if machine:
        print_json({"file": str(path), "verified": False, "problems": [problem.as_dict()]})
    else:
        console.print(f"[bold red]{problem.code}[/] {untrusted(path)}: {untrusted(problem.message)}")
    raise typer.Exit(EXIT_FAILED)


def _at(at: str | None) -> datetime:
    if at is None:
        return utc_now()
    try:
        return parse_time(at)
    except VerificationError:
        fail_usage(tr("--at {value} is not an RFC 3339 time such as 2026-11-01T00:00:00Z", value=repr(at)))


def print_problems(problems: list[Reason]) -> None:
    """A table of problems: code, severity, JSON pointer, message (the last two shown literally)."""
    table = new_table(tr("code"), tr("severity"), tr("path"), tr("message"))
    for problem in problems:
        style = "red" if problem.severity == "error" else "yellow"
        table.add_row(
            f"[{style}]{untrusted(problem.code)}[/]",
            untrusted(problem.severity),
            untrusted(problem.path or "/"),
            untrusted(problem.message),
        )
    console.print(table)


@app.command("verify")
def verify_command(
    file: FileArg,
    trust_list: TrustListOpt = None,
    trust_anchor: AnchorOpt = None,
    public_key_multibase: Annotated[
        str | None,
        typer.Option("--public-key-multibase", help="Check the proof with this key only (any W3C VC)."),
    ] = None,
    at: AtOpt = None,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
    status_list: StatusListFilesOpt = None,
    status_lists: StatusListDirsOpt = None,
) -> None:
    """Verify a credential's proof, and with a trust list also its issuer, role, schema and validity.

    With status lists (``--status-list``, ``--status-lists``), also its status (docs/design.md §12): revoked
    or suspended, or a status the lists given cannot establish (``STATUS_UNAVAILABLE``), fails (exit 1).
    Status lists need the trust list: they cannot be combined with ``--public-key-multibase``.
    """
    as_json = wants_json(output_format, as_json)
    document = _read(file, as_json)
    status = given_status_lists(status_list, status_lists)
    status_checked = status is not None
    if public_key_multibase is not None:
        if status is not None:
            fail_usage(tr("--status-list needs the trust list: it cannot be combined with --public-key-multibase"))
        problems = _verify_with_key(document, public_key_multibase)
    else:
        registry = load_registry(trust_list or default_data_dir() / "trust-list.json", trust_anchor)
        problems = credential_problems(document, registry, _at(at), status)
    errors = [p for p in problems if p.severity == "error"]
    unknown = [p for p in problems if p.code == Code.STATUS_UNAVAILABLE]
    if as_json:
        print_json(
            {
                "file": str(file),
                "verified": not errors,
                "statusChecked": status_checked,
                "statusEstablished": status_checked and not unknown,
                "problems": [p.as_dict() for p in problems],
            }
        )
    elif errors:
        console.print(f"[bold red]{untrusted(errors[0].code)}[/] {tr('{file} does not verify', file=untrusted(file))}")
        print_problems(problems)
    elif unknown:
        unknown_status = tr("{file}: its status cannot be established", file=untrusted(file))
        console.print(f"[bold red]{Code.STATUS_UNAVAILABLE}[/] {unknown_status}")
        print_problems(problems)
    else:
        console.print(tr("[bold green]verified[/] {file}", file=untrusted(file)))
        if problems:
            print_problems(problems)
    if not as_json and not status_checked and public_key_multibase is None:
        console.print(f"[yellow]{tr('status not checked ({reason})', reason=tr(STATUS_NOT_RUN_REASON))}[/]")
    if errors or unknown:
        raise typer.Exit(EXIT_FAILED)


def _verify_with_key(document: Any, multibase: str) -> list[Reason]:
    try:
        key = decode_multikey(multibase)
    except KeyFormatError as exc:
        fail_usage(tr("--public-key-multibase is not a usable key: {problem}", problem=exc))
    if not isinstance(document, Mapping):
        return [Reason(Code.SCHEMA_INVALID, "/", "a credential must be a JSON object")]
    try:
        if is_enveloped(document):
            verify_enveloped(document, key)
        else:
            verify_data_integrity(document, key)
    except VerificationError as exc:
        return exc.problems
    return []


@app.command("canonicalize")
def canonicalize_command(file: FileArg) -> None:
    """Print the RFC 8785 canonical bytes of a JSON file on stdout, and nothing else."""
    document = _read(file)
    try:
        sys.stdout.buffer.write(canonicalize(document))
    except PilotSchemaError as exc:
        console.print(f"[bold red]{untrusted(exc.code)}[/] {untrusted(exc)}")
        raise typer.Exit(EXIT_FAILED) from exc
    sys.stdout.flush()


@app.command("inspect")
def inspect_command(
    file: FileArg,
    trust_list: TrustListOpt = None,
    trust_anchor: AnchorOpt = None,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Show a credential's canonical form, the two hashes it signs, its proof, issuer and verifying key."""
    as_json = wants_json(output_format, as_json)
    document = _read(file, as_json)
    if not isinstance(document, Mapping):
        fail_usage(tr("{file} is not a JSON object", file=file))
    info: dict[str, Any] = {"file": str(file), "digest": credential_digest(document)}
    if is_enveloped(document):
        envelope = read_enveloped(document)
        payload: Mapping[str, Any] = envelope.payload
        info.update(securing="VC-JOSE (vc+jwt)", header=envelope.header, verificationMethod=envelope.kid)
    else:
        payload = document
        proof = read_proof(document)
        config = {k: v for k, v in proof.raw.items() if k != "proofValue"}
        if "@context" in document:
            config["@context"] = document["@context"]
        unsigned = {k: v for k, v in document.items() if k != "proof"}
        info.update(
            securing=f"Data Integrity ({proof.cryptosuite})",
            verificationMethod=proof.verification_method,
            proof=proof.raw,
            proofConfigHash=hashlib.sha256(canonicalize(config)).hexdigest(),
            documentHash=hashlib.sha256(canonicalize(unsigned)).hexdigest(),
        )
    info["canonical"] = canonicalize(payload).decode()
    issuer = payload.get("issuer")
    info["issuer"] = issuer
    if trust_list is not None or (default_data_dir() / "trust-list.json").exists():
        registry = load_registry(trust_list or default_data_dir() / "trust-list.json", trust_anchor)
        key = registry.keys.get(info["verificationMethod"])
        info["trustListKey"] = (
            None
            if key is None
            else {
                "id": key.verification_method,
                "participant": key.participant_id,
                "role": key.role,
                "publicKeyMultibase": key.public_key_multibase,
                "purposes": list(key.purposes),
            }
        )
        info["problems"] = [p.as_dict() for p in check_credential(document, registry, utc_now()).problems]
    if as_json:
        print_json(info)
        return
    table = new_table(tr("field"), tr("value"), show_header=False)
    for name, value in info.items():
        table.add_row(untrusted(name), untrusted(value))
    console.print(table)
