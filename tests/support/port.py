"""A port for the exporter's tests: the port's own intake over an in-memory log, behind ``httpx.MockTransport``.

``FakePort`` stands in for ``cn-port-01``. It checks the RFC 9421 request signature like a port
(``node_core.http_signatures``), then decides, logs and signs with the real ``port_node.intake.IntakeService``
over ``port_node.memory_store.MemorySubmissionStore`` and the sandbox port keys, so its receipts, log
entries and checkpoints are the port's own. It answers ``POST /v1/submissions`` and
``GET /v1/log/proof/consistency``; anything else is 404.

``script`` makes it misbehave: one action per submission request, consumed in order (afterwards every
request is answered normally, ``ok``):

- ``status:<status>:<CODE>``: that problem answer, nothing logged;
- ``timeout``: ``httpx.ReadTimeout``, nothing logged;
- ``bad-signature``: the receipt is signed by another key under the port's key id;
- ``wrong-signer``: the receipt is validly signed, by another port (``cn-port-02``);
- ``fork``: the receipt's checkpoint comes from a forked log of the same size.

``lose_answers`` drops that many answers after the port committed (the connection closes before the reply).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import httpx

from node_core.http_signatures import verify_request
from node_core.nonces import MemoryNonceStore
from node_core.problems import ProblemError, problem_body
from pilot.sandbox import Sandbox
from port_node.intake import IntakeService, StaticTrust
from port_node.keys import PortKeys
from port_node.memory_store import MemorySubmissionStore
from schemas.jsonio import parse_json
from schemas.keyring import KeyEntry
from schemas.merkle import MerkleTree
from schemas.receipt import b64
from schemas.trust import TrustRegistry

__all__ = ["FakePort"]

JSON = {"content-type": "application/json"}


def sandbox_key(sandbox: Sandbox, short_id: str, purpose: str) -> KeyEntry:
    """The first key of ``short_id`` in the sandbox that carries ``purpose``."""
    return next(e for e in sandbox.keyrings[short_id] if purpose in e.purposes)


@dataclass
class FakePort:
    """A port made of the real intake and an in-memory log, with scripted misbehaviour."""

    sandbox: Sandbox
    port_id: str = "cn-port-01"
    script: list[str] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    nonces: list[str] = field(default_factory=list)
    consistency_requests: list[tuple[int, int]] = field(default_factory=list)
    lose_answers: int = 0

    def __post_init__(self) -> None:
        self.trust = TrustRegistry.from_document(self.sandbox.trust_list)
        assertion = sandbox_key(self.sandbox, self.port_id, "assertion")
        keys = PortKeys(self.port_id, assertion, sandbox_key(self.sandbox, self.port_id, "log"))
        self.store = MemorySubmissionStore(keys.origin, keys.log.private_key)
        self.intake = IntakeService(self.port_id, keys, StaticTrust(self.trust), self.store)
        other = sandbox_key(self.sandbox, "cn-port-02", "assertion")
        self._receipt_keys = {
            "bad-signature": replace(other, verification_method=assertion.verification_method),
            "wrong-signer": other,
        }
        self._seen = MemoryNonceStore()

    @property
    def tree(self) -> MerkleTree:
        """The port's log."""
        return self.store.tree

    @property
    def digests(self) -> dict[str, str]:
        """The digest the port logged for each submission id."""
        return {row.submission_id: row.digest for row in self.store.rows.values()}

    def transport(self) -> httpx.MockTransport:
        """A transport that delivers every request to this port."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request."""
        self.requests.append(request)
        exporter = self._exporter(request)
        if isinstance(exporter, httpx.Response):
            return exporter
        if request.url.path == "/v1/log/proof/consistency":
            return self._consistency(request)
        if request.url.path != "/v1/submissions" or request.method != "POST":
            return httpx.Response(404, json={"code": "NOT_FOUND"})
        action = self.script.pop(0) if self.script else "ok"
        if action.startswith("status:"):
            _, status, code = action.split(":")
            return httpx.Response(int(status), json=problem_body(code, int(status), "scripted"))
        if action == "timeout":
            raise httpx.ReadTimeout("scripted timeout", request=request)
        response = self._submit(parse_json(request.content), exporter, action)
        if self.lose_answers > 0:
            self.lose_answers -= 1
            raise httpx.RemoteProtocolError("connection closed after the port committed", request=request)
        return response

    def _exporter(self, request: httpx.Request) -> str | httpx.Response:
        """The exporter whose RFC 9421 signature the request carries, or the port's 401."""
        trust = self.trust

        def resolve(keyid: str) -> Any:
            return trust.resolve_key(keyid, "authentication", datetime.now(UTC))

        try:
            verified = verify_request(
                request.method,
                str(request.url),
                request.headers,
                request.content,
                resolve_key=resolve,
                nonce_store=self._seen,
                now=time.time(),
            )
        except Exception as exc:  # the fake answers like a port would
            return httpx.Response(401, json={"code": "REQUEST_SIGNATURE_INVALID", "detail": str(exc)})
        self.nonces.append(verified.nonce)
        return verified.participant_id or ""

    def _consistency(self, request: httpx.Request) -> httpx.Response:
        first, second = int(request.url.params["first"]), int(request.url.params["second"])
        self.consistency_requests.append((first, second))
        proof = self.store.consistency_proof(first, second)
        return httpx.Response(200, json={"first": first, "second": second, "proof": [b64(h) for h in proof]})

    def _submit(self, document: Any, exporter: str, action: str) -> httpx.Response:
        faults = {"receipt_key": self._receipt_keys.get(action), "fork_checkpoint": action == "fork"}
        try:
            with self.store.faulty(**faults):
                outcome = self.intake.submit(document, exporter, datetime.now(UTC).replace(microsecond=0))
        except ProblemError as exc:
            return httpx.Response(exc.status, json=problem_body(exc.code, exc.status, exc.detail))
        return httpx.Response(outcome.status, content=outcome.receipt, headers=JSON)
