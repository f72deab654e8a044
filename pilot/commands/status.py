"""``pilot status``: the network's status table, and ``revoke|suspend|reinstate|show`` for a credential's status.

docs/design.md §§9, 12. Without a subcommand ``pilot status`` shows the network ``pilot up`` started, as it
always did (``pilot.commands.network.status_command``). The subcommands act on one credential, named by
its id or by a path to the credential file (its ``id`` and ``credentialStatus`` are read from it):

- ``revoke|suspend|reinstate --issuer ID CREDENTIAL``: as the issuer. An exporter keeps its own status:
  the command calls that exporter's operator API (``pilot.exporter_status_api``; its URL from
  ``network.json`` or ``PILOT_PEER_URLS``, its token from ``<data dir>/tokens/<id>``). For ``cert-01``,
  ``cert-02`` and ``ru-vet`` the command keeps their status itself (``pilot.issuer_state``): it signs the
  list's next version into the data dir and publishes it to the registry when one is running.
  ``reinstate`` clears a suspension only.
- ``show CREDENTIAL``: the credential's status now and its history, from the registry's every version of
  its lists, each verified (``pilot.status_history``). From a file it needs no data dir, only a registry
  (``--registry URL``) and a trust anchor (``--trust-anchor``, else the data dir's, else the published
  sandbox's); the trust list is the data dir's, ``--trust-list``, or the registry's, verified against it.

This module wires the commands: where the nodes and the trust list are, and which exit status an outcome
is; what is printed is ``pilot.status_output``'s. Exit status: 0 done, 1 a failed check (a list that
does not verify, a registry that refused or cannot be reached, a status that cannot be established), 2
bad usage (an unknown credential, an action its credential does not allow, no registry known, an
unreadable file).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer

from node_core.auth import read_token
from pilot.commands import network
from pilot.conformance.material import VECTORS_DIR
from pilot.console import EXIT_FAILED, console, err_console, fail_usage, print_json, untrusted
from pilot.data_dir import default_data_dir
from pilot.exporter_status_api import ExporterRefused, ExporterUnavailable, change_at_exporter, exporter_entries
from pilot.input_files import InputTooLargeError, read_bounded
from pilot.issuer_state import (
    ISSUERS,
    Action,
    IssuerStateError,
    UnknownCredentialError,
    allocated_entries,
    change_status,
    state_path,
)
from pilot.language import localized, tr
from pilot.output_format import FormatOpt, JsonFlagOpt, OutputFormat, wants_json
from pilot.peers import peer_urls
from pilot.status_history import entry_history, read_entries
from pilot.status_output import change_report, exporter_change_report, print_change, print_histories
from schemas.errors import PilotSchemaError, VerificationError
from schemas.identifiers import did_of
from schemas.jose import credential_payload
from schemas.jsonio import parse_json
from schemas.models.credential import StatusListEntry
from schemas.phrase import Phrase
from schemas.time import utc_now
from schemas.trust import TrustRegistry, load_trust_list, read_json_file, verify_trust_list

__all__ = ["app"]

app = typer.Typer(
    help="Without a subcommand: the network `pilot up` started. With one: revoke, suspend, reinstate or show "
    "a credential's status (docs/design.md §12).",
)

#: Seconds to wait for an exporter's or the registry's answer.
TIMEOUT_S = 10.0
#: The largest credential file read.
MAX_FILE_BYTES = 16 * 1024 * 1024
#: The peer id of the registry in network.json and PILOT_PEER_URLS.
REGISTRY = "registry"

DataDirOpt = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default: $PILOT_DATA_DIR, else ./pilot-data)."),
]
CredentialArg = Annotated[str, typer.Argument(help="A credential id, or the path of a credential file.")]
IssuerOpt = Annotated[str, typer.Option("--issuer", help="The issuer's short id: cert-01, ru-vet, ru-exp-01...")]
RegistryOpt = Annotated[
    str | None,
    typer.Option("--registry", help="The registry's base URL (default: network.json or PILOT_PEER_URLS)."),
]


@app.callback(invoke_without_command=True)
def status_callback(
    ctx: typer.Context,
    data_dir: network.DataDirOption = None,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Show each node of the network `pilot up` started (up or down, trust-list sequence, database), or, with a
    subcommand, revoke, suspend, reinstate or show a credential's status.

    Without a subcommand: exit status 1 when any node is down or no network is recorded in the data dir.
    """
    if ctx.invoked_subcommand is None:
        network.status_command(data_dir, output_format, as_json)


# -- naming a credential ------------------------------------------------------------------------------


@dataclass(frozen=True)
class NamedCredential:
    """A credential named on the command line: its id, and its document when a file was given."""

    credential_id: str
    document: Mapping[str, Any] | None = None

    @property
    def issuer_did(self) -> str | None:
        issuer = self.document.get("issuer") if self.document is not None else None
        value = issuer.get("id") if isinstance(issuer, Mapping) else issuer
        return value if isinstance(value, str) else None

    def entries(self) -> list[StatusListEntry]:
        """The file's status entries ([] without a file); bad usage when they are malformed."""
        if self.document is None:
            return []
        try:
            return read_entries(dict(self.document))
        except ValueError as exc:
            fail_usage(tr("the credential's credentialStatus is malformed: {problem}", problem=exc))


def _credential_argument(credential: str) -> NamedCredential:
    """A path to an existing file is read as the credential; anything else is taken as its id."""
    path = Path(credential)
    if not path.is_file():
        return NamedCredential(credential)
    try:
        document = parse_json(read_bounded(path, MAX_FILE_BYTES))
        payload = credential_payload(document)
    except (OSError, InputTooLargeError, PilotSchemaError, VerificationError, ValueError) as exc:
        fail_usage(tr("cannot read {path} as a credential: {problem}", path=path, problem=exc))
    ident = payload.get("id") if isinstance(payload, Mapping) else None
    if not isinstance(ident, str):
        fail_usage(tr("{path} is not a credential with an id", path=path))
    return NamedCredential(ident, payload)


# -- where things are ---------------------------------------------------------------------------------


def _peer_urls(data_dir: Path) -> dict[str, str]:
    try:
        return peer_urls(data_dir)
    except ValueError as exc:
        fail_usage(str(exc))


def _registry_url(data_dir: Path, given: str | None, *, required: bool) -> str | None:
    if given is not None:
        if not given.startswith(("http://", "https://")):
            fail_usage(tr("--registry {url} is not an http(s) URL", url=repr(given)))
        return given.rstrip("/")
    url = _peer_urls(data_dir).get(REGISTRY)
    if url is None and required:
        fail_usage(
            tr(
                "no registry is known: start the network (`pilot up --data-dir {path}`) or give --registry URL",
                path=data_dir,
            )
        )
    return url


def _role(data_dir: Path, issuer: str) -> str | None:
    """The issuer's role in the data dir's trust list, if the data dir has one."""
    trust_list = data_dir / "trust-list.json"
    if not trust_list.is_file():
        return None
    try:
        participant = load_trust_list(trust_list, data_dir / "trust-anchor.json").participant(issuer)
    except VerificationError as exc:
        fail_usage(tr("the trust list of {path} does not verify: {problem}", path=data_dir, problem=exc))
    return str(participant.role) if participant is not None else None


def _token(directory: Path, exporter: str) -> str | None:
    """The exporter's operator token in ``<data dir>/tokens``, if the data dir holds it."""
    try:
        return read_token(directory / "tokens", exporter)
    except (OSError, ValueError):
        return None


def _client() -> httpx.Client:
    return httpx.Client(timeout=TIMEOUT_S, trust_env=False)


# -- revoke, suspend, reinstate -----------------------------------------------------------------------


def _change(
    action: Action, issuer: str, credential: str, data_dir: Path | None, as_json: bool, registry: str | None
) -> None:
    """The one implementation of ``revoke``, ``suspend`` and ``reinstate``: as the issuer, wherever it keeps status."""
    directory = data_dir or default_data_dir()
    named = _credential_argument(credential)
    if named.issuer_did is not None and named.issuer_did != did_of(issuer):
        fail_usage(tr("the credential was issued by {did}, not by {issuer}", did=named.issuer_did, issuer=issuer))
    if issuer in ISSUERS:
        registry_url = _registry_url(directory, registry, required=False)
        try:
            change = change_status(directory, issuer, named.credential_id, action, registry_url=registry_url)
        except IssuerStateError as exc:
            fail_usage(exc.phrase)
        report = change_report(action, change)
    elif _role(directory, issuer) == "exporter":
        report = exporter_change_report(action, issuer, _ask_exporter(action, issuer, named, directory))
    else:
        fail_usage(
            tr(
                "{issuer} is not an issuer of this sandbox: give an exporter, or one of {issuers}",
                issuer=issuer,
                issuers=", ".join(ISSUERS),
            )
        )
    print_change(report, as_json)
    if report["list"].get("refused"):
        raise typer.Exit(EXIT_FAILED)


def _ask_exporter(action: Action, exporter: str, named: NamedCredential, directory: Path) -> dict[str, Any]:
    """The exporter's answer to the change; bad usage when it refuses, a failed check when it cannot answer."""
    url = _peer_urls(directory).get(exporter)
    if url is None:
        fail_usage(
            tr(
                "no URL for {exporter}: start the network (`pilot up --data-dir {path}`) or set PILOT_PEER_URLS",
                exporter=exporter,
                path=directory,
            )
        )
    try:
        token = read_token(directory / "tokens", exporter)
    except (OSError, ValueError) as exc:
        fail_usage(
            tr(
                "no operator token for {exporter} in {path}: {problem}",
                exporter=exporter,
                path=directory / "tokens",
                problem=exc,
            )
        )
    try:
        with _client() as client:
            return change_at_exporter(client, exporter, url, token, named.credential_id, action)
    except ExporterRefused as exc:
        fail_usage(exc.phrase)
    except ExporterUnavailable as exc:
        _fail(exc.phrase)


_ACTIONS: dict[Action, str] = {
    "revoke": "Revoke a credential for good: its issuer sets its revocation bit and publishes the list's next version.",
    "suspend": "Suspend a certificate or attestation (until `pilot status reinstate`); exporters' records cannot be.",
    "reinstate": "Lift a suspension (a revocation is final: reinstate clears the suspension bit only).",
}


def _action_command(action: Action) -> Callable[..., None]:
    """The typer command for ``action``: the same options for the three, and ``_change`` behind them."""

    def command(
        credential: CredentialArg,
        issuer: IssuerOpt,
        data_dir: DataDirOpt = None,
        output_format: FormatOpt = OutputFormat.text,
        as_json: JsonFlagOpt = False,
        registry: RegistryOpt = None,
    ) -> None:
        _change(action, issuer, credential, data_dir, wants_json(output_format, as_json), registry)

    return command


for _action, _help in _ACTIONS.items():
    app.command(_action, help=_help)(_action_command(_action))


# -- show ---------------------------------------------------------------------------------------------


def _entries_by_id(named: NamedCredential, directory: Path, issuer: str | None) -> list[StatusListEntry]:
    """The entries of a credential named by id: from the issuer states here, else from the exporters' APIs."""
    kept = [issuer] if issuer in ISSUERS else ([] if issuer is not None else list(ISSUERS))
    for candidate in kept:
        if not state_path(directory, candidate).is_file():
            continue
        try:
            found = allocated_entries(directory, candidate, named.credential_id)
        except UnknownCredentialError:
            continue
        except IssuerStateError as exc:
            fail_usage(exc.phrase)
        return [StatusListEntry.model_validate(e) for e in found]
    exporters = [issuer] if issuer is not None and issuer not in ISSUERS else []
    if issuer is None:
        exporters = [peer for peer in _peer_urls(directory) if _role(directory, peer) == "exporter"]
    urls = _peer_urls(directory)
    with _client() as client:
        for exporter in exporters:
            url, token = urls.get(exporter), _token(directory, exporter)
            entries = exporter_entries(client, url, token, named.credential_id) if url and token else None
            if entries is not None:
                return entries
    fail_usage(
        tr(
            "no issuer known in {path} allocated a status index to {credential}: give the credential file instead of "
            "its id (or --issuer)",
            path=directory,
            credential=named.credential_id,
        )
    )


def _trust(directory: Path, trust_list: Path | None, trust_anchor: Path | None, registry_url: str) -> TrustRegistry:
    """The trust list to check lists with (module doc): given, the data dir's, or the registry's, against the anchor."""
    anchor_path = trust_anchor or (directory / "trust-anchor.json")
    if not anchor_path.is_file():
        anchor_path = VECTORS_DIR / "trust-anchor.json"
    list_path = trust_list or (directory / "trust-list.json")
    try:
        if list_path.is_file():
            return load_trust_list(list_path, anchor_path)
        if trust_list is not None:
            fail_usage(tr("{path} does not exist", path=trust_list))
        with _client() as client:
            response = client.get(f"{registry_url}/v1/trust-list")
        if response.status_code != 200:
            _fail(tr("the registry's trust list: HTTP {status}", status=response.status_code))
        return verify_trust_list(response.json(), read_json_file(anchor_path), now=utc_now())
    except VerificationError as exc:
        _fail(tr("the trust list does not verify against the anchor {path}: {problem}", path=anchor_path, problem=exc))
    except (httpx.TransportError, ValueError) as exc:
        _fail(tr("the registry's trust list cannot be had: {problem}", problem=exc))


@app.command("show")
def show_command(
    credential: CredentialArg,
    data_dir: DataDirOpt = None,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
    registry: RegistryOpt = None,
    issuer: Annotated[
        str | None, typer.Option("--issuer", help="Whose credential an id names (default: look in every issuer).")
    ] = None,
    trust_list: Annotated[Path | None, typer.Option("--trust-list", help="Trust list to verify lists with.")] = None,
    trust_anchor: Annotated[
        Path | None, typer.Option("--trust-anchor", help="Pinned anchor (default: the data dir's, else the sandbox's).")
    ] = None,
) -> None:
    """A credential's status now and its history: every version of its status lists the registry holds, verified.

    Exit status 1 when a version does not verify, the registry cannot be reached, or the status now cannot be
    established (a credential without credentialStatus included: nothing can say it was not revoked).
    """
    as_json = wants_json(output_format, as_json)
    directory = data_dir or default_data_dir()
    named = _credential_argument(credential)
    entries = named.entries() if named.document is not None else _entries_by_id(named, directory, issuer)
    registry_url = _registry_url(directory, registry, required=True)
    assert registry_url is not None
    if not entries:
        if as_json:
            print_json(
                {"credential": named.credential_id, "ok": False, "entries": [], "problem": "no credentialStatus"}
            )
        else:
            console.print(
                tr(
                    "{credential} carries no credentialStatus: its status cannot be checked",
                    credential=untrusted(named.credential_id),
                )
            )
        raise typer.Exit(EXIT_FAILED)
    trust = _trust(directory, trust_list, trust_anchor, registry_url)
    now = utc_now()
    with _client() as client:
        histories = [entry_history(client, registry_url, entry, trust, now) for entry in entries]
    ok = all(h.ok for h in histories)
    if as_json:
        print_json({"credential": named.credential_id, "ok": ok, "entries": [h.as_json() for h in histories]})
    else:
        print_histories(named.credential_id, histories)
    if not ok:
        raise typer.Exit(EXIT_FAILED)


def _fail(message: Phrase | str) -> NoReturn:
    """A failed check (exit 1); ``message`` (translated, or a phrase) is shown literally in the command's language."""
    err_console.print(f"[bold red]{tr('error:')}[/] {untrusted(localized(message))}")
    raise typer.Exit(EXIT_FAILED)
