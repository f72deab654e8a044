"""A consignment's evidence made in process, with real signatures, for the offline checks of ``pilot audit``.

A submission signed with the sandbox keys (``pilot.synthetic.Signer``) is sent, RFC 9421-signed, to the
conformance kit's port stand-in (``StandinPort``), which decides, logs and signs its receipt as
``cn-port-01`` does, checking status against the lists it is given. ``pilot.audit.collect`` then
gathers the evidence exactly as ``pilot audit export`` does, over ``httpx.MockTransport``: from the
stand-in (log routes), an exporter stand-in (the consignment, the submission sent) and a registry
stand-in that serves each status list version under ``/versions/{sequence}``. Only what is outside the
port is stood in for: the operator's receipt read (the stand-in serves receipts to the exporter only)
and the witnesses, whose cosignature of the latest checkpoint is a real one by ``cn-port-02``'s key.
"""

from __future__ import annotations

import copy
import functools
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from pilot.audit.bundle import build_bundle
from pilot.audit.collect import collect_evidence
from pilot.audit.nodes import REGISTRY, AuditNetwork
from pilot.conformance.material import VECTORS_DIR, KitMaterial
from pilot.conformance.port_standin import PortFaults, StandinPort
from pilot.fixture_status import fixture_status
from pilot.sandbox import DEFAULT_SEED, build_sandbox, fixture_status_lists
from pilot.synthetic import Signer, build_world, plan_consignment, sign_consignment
from port_node.witness import witness_name
from schemas.canonical import canonicalize
from schemas.jsonio import parse_json
from schemas.keyring import select_key
from schemas.signed_note import cosign_checkpoint, parse_signed_note
from schemas.status_list import StaticStatusLists, StatusLookup, split_status_list_url

__all__ = ["ANCHOR", "EXPORTER", "PORT", "Evidence", "Served", "StatusAt", "fixture_lists", "make_evidence", "material"]

EXPORTER = "ru-exp-01"
PORT = "cn-port-01"
WITNESS = "cn-port-02"
ANCHOR: dict[str, Any] = json.loads((VECTORS_DIR / "trust-anchor.json").read_text())


def material() -> KitMaterial:
    """The published sandbox: trust list, anchor and keys of ``schemas/vectors``."""
    return KitMaterial.load(VECTORS_DIR)


@functools.cache
def _signed_fixture_lists() -> tuple[dict[str, Any], ...]:
    return tuple(fixture_status_lists(build_sandbox()).values())


def fixture_lists() -> list[dict[str, Any]]:
    """Every issuer's generation-0 status list, as ``pilot init`` signs them (version 1)."""
    return copy.deepcopy(list(_signed_fixture_lists()))


@dataclass(frozen=True)
class StatusAt:
    """Status entries at a fixed index for one record type, every other credential its fixture entries."""

    record_type: str
    index: int | None = None  # None: the record type carries no status entry at all

    def entries(self, issuer_id: str, credential_id: str, record_type: str) -> list[dict[str, str]]:
        if record_type != self.record_type:
            return fixture_status(issuer_id, credential_id, record_type)
        return [] if self.index is None else fixture_status(issuer_id, credential_id, record_type, index=self.index)


#: What the registry stand-in serves: ``{(status list URL, sequence): the bytes of that version}``.
Served = Mapping[tuple[str, int], bytes]


@dataclass
class Evidence:
    """One consignment's bundle and what made it."""

    consignment: str
    files: dict[str, bytes]
    submission: dict[str, Any]
    receipt: dict[str, Any]
    served: dict[tuple[str, int], bytes]
    #: Opens the stand-in network the evidence was collected from, its registry serving the versions given.
    open_network: Callable[[Served], AuditNetwork] = field(repr=False)

    def network(self, served: Served | None = None) -> AuditNetwork:
        """The stand-in network again (``pilot audit trail``), its registry serving ``served`` (default: as before)."""
        return self.open_network(self.served if served is None else served)

    @property
    def subject(self) -> dict[str, Any]:
        return dict(self.receipt["credentialSubject"])

    def bundle(self, **changes: bytes | None) -> bytes:
        """The bundle zip, with members replaced (bytes) or removed (None); the manifest made anew."""
        files = dict(self.files)
        for name, data in changes.items():
            if data is None:
                files.pop(name, None)
            else:
                files[name] = data
        return build_bundle(files)


def _client(handler: Callable[[httpx.Request], httpx.Response], node: str) -> httpx.Client:
    return httpx.Client(base_url=f"http://{node}.test", transport=httpx.MockTransport(handler))


def make_evidence(
    *,
    lists: Sequence[Mapping[str, Any]] | None = None,
    lookup: StatusLookup | None = None,
    status: Any = None,
    consignment: str = "c-status-1",
    faults: PortFaults | None = None,
    standin: Callable[[StandinPort], None] | None = None,
) -> Evidence:
    """Sign a consignment of ru-exp-01 (status entries from ``status``, fixture entries when None), have
    the stand-in decide it checking status with ``lookup`` (default: ``lists`` as ``StaticStatusLists``,
    default the fixture lists) and ``faults``, and collect its evidence as ``pilot audit export`` does; the
    registry serves ``lists``. ``standin`` may change the stand-in before the submission is sent."""
    kit = material()
    published = fixture_lists() if lists is None else list(lists)
    port = StandinPort(
        kit,
        status=lookup if lookup is not None else StaticStatusLists(published),
        faults=faults if faults is not None else PortFaults(),
    )
    if standin is not None:
        standin(port)
    signer = Signer(kit.credential_signer.keyrings, status=status) if status is not None else kit.credential_signer
    parts = plan_consignment(DEFAULT_SEED, build_world(DEFAULT_SEED, EXPORTER), consignment, PORT, "rail")
    submission = sign_consignment(DEFAULT_SEED, parts, signer).submission
    with httpx.Client(
        base_url=f"http://{PORT}.test", transport=port.transport(), auth=kit.request_signer(EXPORTER)
    ) as client:
        answer = client.post(
            "/v1/submissions", content=canonicalize(submission), headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 201, answer.text
    receipt_bytes = answer.content
    receipt = parse_json(receipt_bytes)

    served = {(str(c["id"]), int(c["sequence"])): json.dumps(c, indent=2).encode() for c in published}
    witness_key = select_key(kit.keyring(WITNESS), "witness")
    upstream = port.transport()

    def port_routes(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/v1/receipts/{consignment}":  # the operator's read of the real port
            return httpx.Response(200, content=receipt_bytes)
        response = upstream.handle_request(request)
        if request.url.path == "/v1/log/checkpoint":  # cosigned by a witness, as the other ports do
            note = parse_signed_note(response.read().decode())
            line = cosign_checkpoint(note.body, witness_name(WITNESS), witness_key.private_key, int(time.time()))
            return httpx.Response(200, text=note.with_signature(line).text())
        return response

    def exporter_routes(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/v1/consignments/{consignment}":
            view = {"destination": PORT, "state": "delivered", "receipt": receipt}
            return httpx.Response(200, content=canonicalize(view))
        if request.url.path == f"/v1/consignments/{consignment}/submission":
            return httpx.Response(200, content=canonicalize(submission))
        return httpx.Response(404, json={"code": "NOT_FOUND"})

    def open_network(versions: Served) -> AuditNetwork:
        def registry_routes(request: httpx.Request) -> httpx.Response:
            head, _, sequence = request.url.path.rpartition("/versions/")
            parts = split_status_list_url("https://registry.pilot.example" + head)
            body = versions.get(("https://registry.pilot.example" + head, int(sequence))) if parts else None
            if body is None:
                return httpx.Response(404, json={"code": "NOT_FOUND"})
            return httpx.Response(200, content=body)

        urls = {EXPORTER: "http://ru-exp-01.test", PORT: "http://cn-port-01.test", REGISTRY: "http://registry.test"}
        clients = {
            EXPORTER: _client(exporter_routes, EXPORTER),
            PORT: _client(port_routes, PORT),
            REGISTRY: _client(registry_routes, REGISTRY),
        }
        return AuditNetwork(VECTORS_DIR, urls, clients=clients)

    with open_network(served) as network:
        files = collect_evidence(network, consignment, wait_s=0)
    return Evidence(consignment, files, submission, receipt, served, open_network)
