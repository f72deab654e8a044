"""A port authority the kit runs itself: it stands in for ``cn-port-01`` when the kit tests an exporter.

It speaks the port API of DESIGN section 6 over a real loopback socket (``http_server``) and signs
receipts, log entries and checkpoints as the port it stands in for, with the sandbox keys: requests are
verified with ``node_core.http_signatures`` (the pilot's RFC 9421 profile), submissions decided with
``schemas.assess_submission``, receipts built with ``port_node.receipts.build_receipt`` and the log is
an RFC 9162 tree whose leaves are persisted (one JSON line each) so that a later run continues the same
log, as an exporter that remembers checkpoints expects.

The kit scripts what the stand-in answers per ``submissionId`` (``script``): a ``503``, a dropped
connection, a final ``409``, a receipt with a wrong signature, a receipt whose checkpoint forks the log;
and records every request it received (``received``) for the exporter cases to examine. ``PortFaults``
turn it into a deliberately non-conformant port for testing the kit's port suite (see ``standins``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from node_core.http_signatures import MemoryNonceStore, RequestSignatureError, verify_request
from node_core.problems import problem_body
from pilot.conformance.http_server import DROP, HttpRequest, HttpResponse, LoopbackServer, _Drop
from pilot.conformance.material import KitMaterial
from pilot.conformance.submissions import exporter_of
from port_node.keys import PortKeys
from port_node.log import leaf_input_of, log_entry, sign_checkpoint_note
from port_node.receipts import LogPosition, b64, build_receipt
from schemas._assess import assess_submission, submission_id_of
from schemas._digest import canonical_digest, sha256_digest
from schemas._jsonio import parse_json
from schemas._keyring import KeyEntry, select_key
from schemas._merkle import MerkleTree, leaf_hash
from schemas._time import format_time
from schemas.codes import Code
from schemas.errors import PilotSchemaError

__all__ = ["Action", "PortFaults", "Received", "StandinPort"]

Action = Literal["receipt", "503", "drop", "409", "bad-signature", "forked-checkpoint"]
MAX_BODY = 1024 * 1024
_PARAM = re.compile(r'(created|nonce|keyid)=("([^"]*)"|(\d+))')
_RECEIPT = re.compile(r"^/v1/(receipts|submissions)/([^/]+)$")


@dataclass(frozen=True)
class PortFaults:
    """Ways to make the stand-in non-conformant (all off: a conformant port)."""

    verify_requests: bool = True  # off: any request is taken as from the exporter its keyid names
    assess: bool = True  # off: every submission is accepted with no reasons
    strict_json: bool = True  # off: NaN, duplicate keys, huge integers, any depth are parsed leniently
    limit_body: bool = True  # off: no 1 MiB limit
    wrong_receipt_key: bool = False  # on: receipts are signed by a key that is not the port's
    rewrite_history: bool = False  # on: every new entry also rewrites entry 0 (not append-only)


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
class _Stored:
    digest: str
    receipt: bytes
    exporter: str
    index: int


@dataclass
class StandinPort:
    """A port with scriptable answers and optional faults, served on loopback by ``serve``."""

    material: KitMaterial
    port_id: str = "cn-port-01"
    faults: PortFaults = field(default_factory=PortFaults)
    state_file: Path | None = None
    received: list[Received] = field(default_factory=list)
    _scripts: dict[str, list[Action]] = field(default_factory=dict)
    _stored: dict[tuple[str, str], _Stored] = field(default_factory=dict)
    _leaves: list[bytes] = field(default_factory=list)
    _tree: MerkleTree = field(default_factory=MerkleTree)
    _note: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _nonces: MemoryNonceStore = field(default_factory=MemoryNonceStore)

    def __post_init__(self) -> None:
        ring = self.material.keyring(self.port_id)
        self.keys = PortKeys(self.port_id, select_key(ring, "assertion"), select_key(ring, "log"))
        impostor = KeyEntry(self.keys.assertion.verification_method, ("assertion",), Ed25519PrivateKey.generate())
        self.bad_keys = replace(self.keys, assertion=impostor)
        participant = self.material.registry.participant(self.port_id) or {}
        self.port_name = str(participant.get("name", self.port_id))
        if self.state_file is not None and self.state_file.is_file():
            self._leaves = [line.encode() for line in self.state_file.read_text().splitlines() if line]
        self._tree = MerkleTree(leaf_hash(leaf) for leaf in self._leaves)
        self._note = sign_checkpoint_note(
            self.keys.origin, self._tree.size, self._tree.root(), self.keys.log.private_key
        )

    # -- control ---------------------------------------------------------------------------------------

    def script(self, submission_id: str, actions: list[Action]) -> None:
        """Answer the next requests for ``submission_id`` with ``actions`` in turn (the last one repeats)."""
        with self._lock:
            self._scripts[submission_id] = list(actions)

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

    @property
    def size(self) -> int:
        """The log's size."""
        return self._tree.size

    def receipt_for(self, exporter: str, submission_id: str) -> bytes | None:
        """The receipt bytes the stand-in gave ``exporter`` for ``submission_id``, if any."""
        stored = self._stored.get((exporter, submission_id))
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
            return self._log(path, request.query)
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
        return json.loads(body)

    # -- submissions -----------------------------------------------------------------------------------------

    def _submission(self, request: HttpRequest) -> HttpResponse | _Drop:
        exporter, record = self._authenticate(request)
        try:
            document = self._parse(request.body)
        except (PilotSchemaError, ValueError) as exc:
            record.answer = "400"
            return _problem(Code.JSON_MALFORMED, 400, str(exc)[:300])
        digest = _digest(document, request.body)
        submission_id = submission_id_of(document, digest)
        record.submission_id = submission_id
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
        role = (self.material.registry.participant(exporter) or {}).get("role")
        if self.faults.verify_requests and role != "exporter":
            record.answer = "403"
            return _problem(Code.FORBIDDEN, 403, f"{exporter} is not an exporter")
        script = self._scripts.get(submission_id, [])
        action: Action = (script.pop(0) if len(script) > 1 else script[0]) if script else "receipt"
        record.answer = action
        if action == "drop":
            return DROP
        if action == "503":
            return _problem(Code.LOG_UNAVAILABLE, 503, "the stand-in answers 503 on purpose: retry later")
        if action == "409":
            return _problem(Code.DUPLICATE_CONFLICT, 409, "the stand-in answers 409 on purpose: a final answer")
        status, body = self._decide(document, digest, submission_id, exporter, action)
        record.answer = f"{status} {action}"
        return HttpResponse(status, body, "application/problem+json" if status >= 400 else "application/json")

    def _decide(
        self, document: Any, digest: str, submission_id: str, exporter: str, action: Action
    ) -> tuple[int, bytes]:
        earlier = self._stored.get((exporter, submission_id))
        if earlier is not None:
            if earlier.digest != digest:
                body = _problem(Code.DUPLICATE_CONFLICT, 409, f"{exporter} already submitted {submission_id}").body
                return 409, body
            return 200, earlier.receipt
        at = datetime.now(UTC).replace(microsecond=0)
        if self.faults.assess:
            assessment = assess_submission(
                document, self.material.registry, port_id=self.port_id, at=at, exporter_id=exporter
            )
            decision, reasons = assessment.decision, [p.as_dict() for p in assessment.reasons]
            codes = assessment.reason_codes
        else:
            decision, reasons, codes = "accepted", [], []
        entry = log_entry(
            exporter=exporter,
            submission_id=submission_id,
            submission_digest=digest,
            decision=decision,
            reason_codes=codes,
            received_at=format_time(at),
        )
        index = self._append(leaf_input_of(entry))
        position = self._position(index, forked=action == "forked-checkpoint")
        keys = self.bad_keys if action == "bad-signature" or self.faults.wrong_receipt_key else self.keys
        receipt = build_receipt(
            keys,
            self.port_name,
            submission_id=submission_id,
            submission_digest=digest,
            exporter_id=exporter,
            decision=decision,
            reasons=reasons,
            received_at=at,
            position=position,
        )
        self._stored[(exporter, submission_id)] = _Stored(digest, receipt, exporter, index)
        return 201, receipt

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
            digest = _digest(document, b"")
            status, body = self._decide(document, digest, submission_id_of(document, digest), exporter, "receipt")
            kind = "receipt" if status in (200, 201) else "problem"
            parts.append(b'{"status":%d,"%s":%s}' % (status, kind.encode(), body))
        record.answer = "200 batch"
        return HttpResponse(200, b'{"results":[' + b",".join(parts) + b"]}")

    def _read_back(self, request: HttpRequest, kind: str, submission_id: str) -> HttpResponse:
        exporter, _ = self._authenticate(request)
        if exporter is None:
            return _problem(Code.REQUEST_SIGNATURE_INVALID, 401, "a signed GET is required")
        stored = self._stored.get((exporter, submission_id))
        if stored is None:
            return _problem(Code.NOT_FOUND, 404, "no such submission is visible to this caller")
        if kind == "receipts":
            return HttpResponse(200, stored.receipt)
        return _json(
            {
                "submissionId": submission_id,
                "exporter": exporter,
                "submissionDigest": stored.digest,
                "logIndex": stored.index,
            }
        )

    # -- the log ----------------------------------------------------------------------------------------------

    def _append(self, leaf_input: bytes) -> int:
        self._leaves.append(leaf_input)
        index = self._tree.append(leaf_hash(leaf_input))
        if self.faults.rewrite_history and len(self._leaves) >= 2:
            first = json.loads(self._leaves[0])
            first["reasonCodes"] = [f"REWRITTEN_{len(self._leaves)}"]  # a new history at every append
            self._leaves[0] = leaf_input_of(first)
            self._tree = MerkleTree(leaf_hash(leaf) for leaf in self._leaves)
        if self.state_file is not None:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            if self.faults.rewrite_history:
                self.state_file.write_bytes(b"".join(leaf + b"\n" for leaf in self._leaves))
            else:
                with self.state_file.open("ab") as handle:
                    handle.write(leaf_input + b"\n")
        self._note = sign_checkpoint_note(
            self.keys.origin, self._tree.size, self._tree.root(), self.keys.log.private_key
        )
        return index

    def _position(self, index: int, *, forked: bool) -> LogPosition:
        tree, note = self._tree, self._note
        if forked:  # the same size, but leaf 0 is another: a checkpoint no earlier one is consistent with
            hashes = [leaf_hash(b"forked history"), *(tree.leaf(i) for i in range(1, tree.size))]
            tree = MerkleTree(hashes)
            note = sign_checkpoint_note(self.keys.origin, tree.size, tree.root(), self.keys.log.private_key)
        size = tree.size
        return LogPosition(index, tree.leaf(index), note, tree.inclusion_proof(index, size))

    def _log(self, path: str, query: dict[str, str]) -> HttpResponse:
        size = self._tree.size
        numbers: dict[str, int] = {}
        for name, value in query.items():
            if not value.isdigit():
                return _problem(Code.REQUEST_INVALID, 400, f"{name} must be a non-negative integer")
            numbers[name] = int(value)
        if path == "/v1/log/checkpoint":
            return HttpResponse(200, self._note.encode(), "text/plain; charset=utf-8")
        if path == "/v1/log/proof/inclusion":
            index, at = numbers.get("index", -1), numbers.get("size", -1)
            if not 0 <= index < at <= size:
                return _problem(Code.REQUEST_INVALID, 400, f"need index < size <= {size}")
            return _json({"index": index, "size": at, "proof": [b64(h) for h in self._tree.inclusion_proof(index, at)]})
        if path == "/v1/log/proof/consistency":
            first, second = numbers.get("first", -1), numbers.get("second", -1)
            if first < 0 or first > second or second > size:
                return _problem(Code.REQUEST_INVALID, 400, f"need 0 <= first <= second <= {size}")
            proof = self._tree.consistency_proof(first, second)
            return _json({"first": first, "second": second, "proof": [b64(h) for h in proof]})
        if path == "/v1/log/entries":
            start, end = numbers.get("start", -1), numbers.get("end", -1)
            if not 0 <= start <= end <= size or end - start > 1000:
                return _problem(Code.REQUEST_INVALID, 400, f"need start <= end <= {size}, at most 1000")
            items = b",".join(b'{"index":%d,"entry":%s}' % (i, self._leaves[i]) for i in range(start, end))
            return HttpResponse(200, b'{"entries":[' + items + b"]}")
        return _problem(Code.NOT_FOUND, 404, f"no route GET {path}")


def _digest(document: Any, body: bytes) -> str:
    try:
        return canonical_digest(document)
    except (PilotSchemaError, ValueError, TypeError):
        return sha256_digest(body or hashlib.sha256(repr(document).encode()).digest())


def _json(value: Any) -> HttpResponse:
    return HttpResponse(200, json.dumps(value, separators=(",", ":")).encode())


def _problem(code: Code, status: int, detail: str) -> HttpResponse:
    body = problem_body(code, status, detail)
    return HttpResponse(status, json.dumps(body).encode(), "application/problem+json")
