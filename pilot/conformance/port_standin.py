"""A port authority the kit runs itself: it stands in for ``cn-port-01`` when the kit tests an exporter.

It speaks the port API of docs/design.md §6 over a real loopback socket (``http_server``) and signs
receipts, log entries and checkpoints as the port it stands in for, with the sandbox keys: requests are
verified with ``node_core.http_signatures`` (the pilot's RFC 9421 profile), and submissions are decided,
logged and answered by the port's own ``IntakeService`` over an in-memory store
(``port_node.memory_store``), whose leaves are persisted (one JSON line each) so that a later run
continues the same log, as an exporter that remembers checkpoints expects.

The kit scripts what the stand-in answers per ``submissionId`` (``script``), tests also for whatever
submissions come next (``script_next``), with the actions of ``port_script``: any problem status and
code, a dropped connection, a timeout, an answer lost after the port committed, a receipt with a wrong
signature or from another port, a receipt whose checkpoint forks the log. It records every request to
its signed routes (``received``) for the exporter cases to examine. ``PortFaults`` turn it into a
deliberately non-conformant port for testing the kit's port suite (see ``standins``); the faults of the
log and the receipts are the memory store's (``StoreFaults``). ``transport`` serves it in process,
behind ``httpx.MockTransport``, for the exporter's tests.

Credentials' status is checked as a port checks it (docs/design.md §12), with ``status`` as the lookup:
by default the sandbox's status lists (``status_sources.sandbox_status_lists``); a caller may pass
another (a registry, or several sources in turn with ``status_sources.FirstFound``). Sealed credentials
(docs/design.md §8) are opened with the port's ``keyAgreement`` keys from the data dir
(``KitMaterial.agreement_keys``), as the port would.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node_core.http_signatures import RequestSignatureError, verify_request
from node_core.nonces import MemoryNonceStore
from node_core.problems import ProblemError, problem_body
from pilot.conformance.http_server import DROP, TIMEOUT, HttpRequest, HttpResponse, LoopbackServer, _Drop, in_process
from pilot.conformance.material import KitMaterial
from pilot.conformance.port_script import Action, PortScript, ReceiptFault
from pilot.conformance.status_sources import sandbox_status_lists, unsafe_status_fail_open
from pilot.conformance.submissions import exporter_of
from port_node.agreement_keys import StaticAgreementKeys
from port_node.intake import IntakeOutcome, IntakeService, StaticTrust
from port_node.keys import PortKeys
from port_node.memory_store import MemorySubmissionStore, StoreFaults
from schemas.assess import Assessment, assess_submission, submission_id_of
from schemas.codes import Code
from schemas.errors import PilotSchemaError
from schemas.jsonio import parse_json
from schemas.keyring import KeyEntry, select_key
from schemas.receipt import b64
from schemas.status_list import StatusLookup
from schemas.trust import TrustRegistry

__all__ = ["Action", "PortFaults", "Received", "StandinPort", "unsafe_sealed_categories_permitted"]

MAX_BODY = 1024 * 1024
_PARAM = re.compile(r'(created|nonce|keyid)=("([^"]*)"|(\d+))')
_RECEIPT = re.compile(r"^/v1/(receipts|submissions)/([^/]+)$")


@dataclass(frozen=True)
class PortFaults:
    """Ways to make the stand-in non-conformant (all off: a conformant port)."""

    verify_requests: bool = True  # off: any request is taken as from the exporter its keyid names
    assess: bool = True  # off: every submission is accepted with no reasons
    strict_json: bool = True  # off: duplicate keys, any depth, NaN and huge numbers (kept as text) are read
    limit_body: bool = True  # off: no 1 MiB limit
    wrong_receipt_key: bool = False  # on: receipts are signed by a key that is not the port's
    rewrite_history: bool = False  # on: every new entry also rewrites entry 0 (not append-only)
    check_status: bool = True  # off: credentials' status is never looked up (a revoked one passes)
    status_fails_open: bool = False  # on: a status that cannot be established counts as good (accepted)
    honour_sealing: bool = True  # off: holds no keyAgreement key, and takes the categories its policy seals in clear


@dataclass
class Received:
    """One request the stand-in received, and what it made of it."""

    at: float
    method: str
    path: str
    body: bytes
    submission_id: str | None
    keyid: str | None
    nonce: str | None
    created: int | None
    signature_problem: str | None  # None when the RFC 9421 signature verified
    exporter: str | None
    answer: str  # the action taken or the status sent
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class StandinPort:
    """A port with scriptable answers and optional faults, served on loopback by ``serve``."""

    material: KitMaterial
    port_id: str = "cn-port-01"
    faults: PortFaults = field(default_factory=PortFaults)
    state_file: Path | None = None
    other_port: str = "cn-port-02"  # whose assertion key signs a ``wrong-signer`` receipt
    status: StatusLookup | None = None  # where status lists come from; None: the sandbox's lists
    received: list[Received] = field(default_factory=list)
    _script: PortScript = field(default_factory=PortScript)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _nonces: MemoryNonceStore = field(default_factory=MemoryNonceStore)

    def __post_init__(self) -> None:
        ring = self.material.keyring(self.port_id)
        keys = PortKeys(self.port_id, select_key(ring, "assertion"), select_key(ring, "log"))
        #: Signs receipts under the port's key id with a key that is not the port's.
        self.impostor = KeyEntry(keys.assertion.verification_method, ("assertion",), Ed25519PrivateKey.generate())
        leaves = []
        if self.state_file is not None and self.state_file.is_file():
            leaves = [line.encode() for line in self.state_file.read_text().splitlines() if line]
        faults = StoreFaults(
            receipt_key=self.impostor if self.faults.wrong_receipt_key else None,
            rewrite_history=self.faults.rewrite_history,
        )
        self.store = MemorySubmissionStore(keys.origin, keys.log.private_key, leaves, faults)
        registry = self.material.registry
        agreement_keys = None
        if self.faults.honour_sealing:
            agreement_keys = StaticAgreementKeys(self.material.agreement_keys(self.port_id))
        else:
            registry = unsafe_sealed_categories_permitted(registry, self.port_id)
        trust = StaticTrust(registry)
        if self.status is None:
            self.status = sandbox_status_lists(self.material)
        assess = assess_submission if self.faults.assess else unsafe_accept_everything
        if self.faults.status_fails_open:
            assess = unsafe_status_fail_open
        status = self.status if self.faults.check_status else None
        self.intake = IntakeService(
            self.port_id, keys, trust, self.store, status=status, assess=assess, agreement_keys=agreement_keys
        )

    # -- control ---------------------------------------------------------------------------------------

    def script(self, submission_id: str, actions: list[Action]) -> None:
        """Answer the next requests for ``submission_id`` with ``actions`` in turn (the last one repeats)."""
        with self._lock:
            self._script.for_id(submission_id, actions)

    def script_next(self, actions: list[Action]) -> None:
        """Answer the next submissions, whatever their id, with ``actions`` in turn, once each (before any
        ``script`` of their id)."""
        with self._lock:
            self._script.next(actions)

    @property
    def next_actions(self) -> list[Action]:
        """What ``script_next`` set and no submission has used yet."""
        with self._lock:
            return self._script.pending

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> LoopbackServer:
        """A started loopback server for this stand-in."""
        server = LoopbackServer(
            self.handle,
            host,
            port,
            max_body=MAX_BODY if self.faults.limit_body else None,
            too_large=lambda limit: _problem(Code.PAYLOAD_TOO_LARGE, 413, f"request body is larger than {limit} bytes"),
        )
        server.start()
        return server

    def transport(self) -> httpx.MockTransport:
        """This stand-in in process, no socket: a dropped connection is ``httpx.RemoteProtocolError``."""
        return in_process(self.handle)

    @property
    def size(self) -> int:
        """The log's size."""
        return self.store.size

    def receipt_for(self, exporter: str, submission_id: str) -> bytes | None:
        """The receipt bytes the stand-in gave ``exporter`` for ``submission_id``, if any."""
        stored = self.store.find(exporter, submission_id)
        return stored.receipt if stored else None

    def submissions(self, submission_id: str) -> list[Received]:
        """The ``POST /v1/submissions`` requests received for ``submission_id``, in order."""
        return [r for r in self.received if r.path == "/v1/submissions" and r.submission_id == submission_id]

    # -- dispatch --------------------------------------------------------------------------------------

    def handle(self, request: HttpRequest) -> HttpResponse | _Drop:
        """Answer one request (thread-safe)."""
        with self._lock:
            return self._route(request)

    def _route(self, request: HttpRequest) -> HttpResponse | _Drop:
        path, method = request.path, request.method
        if method == "GET" and path == "/health":
            return _json({"status": "ok", "node": self.port_id, "standin": True})
        if method == "GET" and path == "/v1/trust-list":
            return _json(self.material.registry.document)
        if method == "POST" and path == "/v1/submissions":
            return self._submission(request)
        if method == "POST" and path == "/v1/submissions:batch":
            return self._batch(request)
        if method == "GET" and path.startswith("/v1/log/"):
            return self._log_route(path, request.query)
        match = _RECEIPT.match(path)
        if method == "GET" and match:
            return self._read_back(request, match.group(1), match.group(2))
        return _problem(Code.NOT_FOUND, 404, f"no route {method} {path}")

    # -- authentication and parsing ----------------------------------------------------------------------

    def _authenticate(self, request: HttpRequest) -> tuple[str | None, Received]:
        params = {
            m.group(1): m.group(3) if m.group(3) is not None else m.group(4)
            for m in _PARAM.finditer(request.header("signature-input") or "")
        }
        keyid = params.get("keyid")
        record = Received(
            at=request.received,
            method=request.method,
            path=request.path,
            body=request.body,
            submission_id=None,
            keyid=keyid,
            nonce=params.get("nonce"),
            created=int(params["created"]) if params.get("created", "").isdigit() else None,
            signature_problem=None,
            exporter=None,
            answer="",
            headers={name: request.header(name) or "" for name, _ in request.headers},
        )
        self.received.append(record)
        claimed = keyid.split(":")[-1].split("#")[0] if keyid else None
        if not self.faults.verify_requests:
            record.exporter = claimed
            return claimed, record
        registry = self.material.registry
        now = datetime.now(UTC)
        headers = record.headers
        try:
            verified = verify_request(
                request.method,
                request.url,
                headers,
                request.body,
                resolve_key=lambda vm: registry.resolve_key(vm, "authentication", now),
                nonce_store=self._nonces,
                now=time.time(),
            )
        except RequestSignatureError as exc:
            record.signature_problem = f"{exc.code}: {exc.message}"
            return None, record
        record.exporter = verified.participant_id
        return verified.participant_id, record

    def _parse(self, body: bytes) -> Any:
        if self.faults.strict_json:
            return parse_json(body)
        return json.loads(body, parse_constant=str, parse_int=_lenient_int, parse_float=_lenient_float)

    # -- submissions -----------------------------------------------------------------------------------------

    def _submission(self, request: HttpRequest) -> HttpResponse | _Drop:
        exporter, record = self._authenticate(request)
        try:
            document = self._parse(request.body)
        except (PilotSchemaError, ValueError) as exc:
            record.answer = "400"
            return _problem(Code.JSON_MALFORMED, 400, str(exc)[:300])
        record.submission_id = _named_id(document)
        if exporter is None and not self.faults.verify_requests:
            exporter = exporter_of(document, "ru-exp-01")  # takes whoever the submission names
        if exporter is None:
            record.answer = "401"
            code = (
                Code.REQUEST_REPLAYED
                if "REQUEST_REPLAYED" in (record.signature_problem or "")
                else Code.REQUEST_SIGNATURE_INVALID
            )
            return _problem(code, 401, record.signature_problem or "unsigned")
        participant = self.material.registry.participant(exporter)
        if self.faults.verify_requests and (participant is None or participant.role != "exporter"):
            record.answer = "403"
            return _problem(Code.FORBIDDEN, 403, f"{exporter} is not an exporter")
        scripted = self._script.take(record.submission_id)
        record.answer = scripted.action
        if scripted.unanswered is not None:
            return DROP if scripted.unanswered == "drop" else TIMEOUT
        if scripted.problem is not None:
            return _problem(scripted.problem[1], scripted.problem[0], scripted.detail)
        fault = scripted.receipt_fault
        with self.store.faulty(receipt_key=self._receipt_key(fault), fork_checkpoint=fault == "fork"):
            response = self._submit(document, exporter)
        if scripted.lose_answer:  # committed, but the answer never leaves: not an answer the exporter got
            record.answer = f"{scripted.action} after {response.status}"
            return DROP
        record.answer = f"{response.status} {scripted.action}"
        return response

    def _receipt_key(self, fault: ReceiptFault | None) -> KeyEntry | None:
        """The key that signs a receipt with ``fault`` (None: the port's own)."""
        if fault == "impostor":
            return self.impostor
        if fault == "other-port":
            return select_key(self.material.keyring(self.other_port), "assertion")
        return self.store.faults.receipt_key

    def _submit(self, document: Any, exporter: str) -> HttpResponse:
        """Decide, log and answer one submission with the port's own intake; its problem if it refuses."""
        try:
            outcome = self.intake.submit(document, exporter, datetime.now(UTC).replace(microsecond=0))
        except ProblemError as exc:
            return _problem(exc.code, exc.status, exc.detail)
        self._persist(outcome)
        return HttpResponse(outcome.status, outcome.receipt)

    def _persist(self, outcome: IntakeOutcome) -> None:
        """Keep the log's leaves in ``state_file`` (every one again when history was rewritten)."""
        if self.state_file is None or outcome.status != 201:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        if self.faults.rewrite_history:
            self.state_file.write_bytes(b"".join(leaf + b"\n" for leaf in self.store.leaves))
        else:
            with self.state_file.open("ab") as handle:
                handle.write(self.store.leaves[outcome.stored.leaf_index] + b"\n")

    def _batch(self, request: HttpRequest) -> HttpResponse:
        exporter, record = self._authenticate(request)
        if exporter is None:
            return _problem(Code.REQUEST_SIGNATURE_INVALID, 401, record.signature_problem or "unsigned")
        try:
            items = self._parse(request.body)["submissions"]
        except (PilotSchemaError, ValueError, KeyError, TypeError) as exc:
            return _problem(Code.JSON_MALFORMED, 400, str(exc)[:300])
        parts = []
        for document in items:
            answer = self._submit(document, exporter)
            kind = b"receipt" if answer.status in (200, 201) else b"problem"
            parts.append(b'{"status":%d,"%s":%s}' % (answer.status, kind, answer.body))
        record.answer = "200 batch"
        return HttpResponse(200, b'{"results":[' + b",".join(parts) + b"]}")

    def _read_back(self, request: HttpRequest, kind: str, submission_id: str) -> HttpResponse:
        exporter, _ = self._authenticate(request)
        if exporter is None:
            return _problem(Code.REQUEST_SIGNATURE_INVALID, 401, "a signed GET is required")
        stored = self.store.find(exporter, submission_id)
        if stored is None:
            return _problem(Code.NOT_FOUND, 404, "no such submission is visible to this caller")
        if kind == "receipts":
            return HttpResponse(200, stored.receipt)
        return _json(
            {
                "submissionId": submission_id,
                "exporter": exporter,
                "submissionDigest": stored.digest,
                "logIndex": stored.leaf_index,
            }
        )

    # -- the log routes, over the store --------------------------------------------------------------------

    def _log_route(self, path: str, query: dict[str, str]) -> HttpResponse:
        store, size = self.store, self.store.size
        numbers: dict[str, int] = {}
        for name, value in query.items():
            if not value.isdigit():
                return _problem(Code.REQUEST_INVALID, 400, f"{name} must be a non-negative integer")
            numbers[name] = int(value)
        if path == "/v1/log/checkpoint":
            return HttpResponse(200, store.checkpoint.encode(), "text/plain; charset=utf-8")
        if path == "/v1/log/proof/inclusion":
            index, at = numbers.get("index", -1), numbers.get("size", -1)
            if not 0 <= index < at <= size:
                return _problem(Code.REQUEST_INVALID, 400, f"need index < size <= {size}")
            return _json({"index": index, "size": at, "proof": [b64(h) for h in store.inclusion_proof(index, at)]})
        if path == "/v1/log/proof/consistency":
            first, second = numbers.get("first", -1), numbers.get("second", -1)
            if first < 0 or first > second or second > size:
                return _problem(Code.REQUEST_INVALID, 400, f"need 0 <= first <= second <= {size}")
            proof = store.consistency_proof(first, second)
            return _json({"first": first, "second": second, "proof": [b64(h) for h in proof]})
        if path == "/v1/log/entries":
            start, end = numbers.get("start", -1), numbers.get("end", -1)
            if not 0 <= start <= end <= size or end - start > 1000:
                return _problem(Code.REQUEST_INVALID, 400, f"need start <= end <= {size}, at most 1000")
            items = b",".join(b'{"index":%d,"entry":%s}' % row for row in store.leaf_inputs(start, end))
            return HttpResponse(200, b'{"entries":[' + items + b"]}")
        return _problem(Code.NOT_FOUND, 404, f"no route GET {path}")


def unsafe_accept_everything(document: Any, trust: Any, *, submission_digest: str, **_: Any) -> Assessment:
    """An assessor that checks nothing: every submission is accepted with no reasons (the fault under test)."""
    return Assessment(submission_id_of(document, submission_digest), submission_digest, "accepted", [])


def unsafe_sealed_categories_permitted(registry: TrustRegistry, port_id: str | None = None) -> TrustRegistry:
    """DANGER: ``registry`` with ``port_id``'s policy (every port's when None) read as if each category it
    seals were permitted in clear.

    Only for the ``port-ignores-sealing`` and ``exporter-ignores-sealing`` stand-ins, whose whole point is
    to be wrong: the one takes laboratory results in clear text, the other sends them so.
    """
    policies = dict(registry.model.policies)
    for port, policy in policies.items():
        if (port_id is None or port == port_id) and policy.sealedDataCategories:
            permitted = [*policy.permittedDataCategories, *policy.sealedDataCategories]
            update = {"permittedDataCategories": permitted, "sealedDataCategories": None}
            policies[port] = policy.model_copy(update=update)
    return dataclasses.replace(registry, model=registry.model.model_copy(update={"policies": policies}))


def _named_id(document: Any) -> str | None:
    """The submission id a document names, which scripts and the request log go by."""
    value = document.get("submissionId") if isinstance(document, dict) else None
    return value if isinstance(value, str) else None


def _lenient_int(text: str) -> int | str:
    """An integer as a lenient reader keeps it: as text beyond JSON's safe range, rather than refused."""
    value = int(text)
    return value if abs(value) < 2**53 else text


def _lenient_float(text: str) -> float | str:
    """A number as a lenient reader keeps it: as text when it overflows to infinity, rather than refused."""
    value = float(text)
    return value if math.isfinite(value) else text


def _json(value: Any) -> HttpResponse:
    return HttpResponse(200, json.dumps(value, separators=(",", ":")).encode())


def _problem(code: Code | str, status: int, detail: str) -> HttpResponse:
    body = problem_body(code, status, detail)
    return HttpResponse(status, json.dumps(body).encode(), "application/problem+json")
