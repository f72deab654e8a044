"""Fixtures for the exporter node's tests: a sandbox, a database, the app, and a port stand-in.

Databases: SQLite under ``tmp_path`` by default; ``PILOT_TEST_DATABASE_URL`` (PostgreSQL) gives each test
its own schema, dropped afterwards. An unreachable PostgreSQL skips, except with ``CI=true``, where it
fails (DESIGN section 10).

``PortStandIn`` answers ``POST /v1/submissions`` and ``GET /v1/log/proof/consistency`` through
``httpx.MockTransport``: it verifies the RFC 9421 request signature like a port, keeps a real RFC 9162
tree, and signs receipts and checkpoints with the sandbox port keys through the ``schemas`` functions.
Its ``script`` makes it misbehave: busy (503), a final problem, a receipt with a wrong signature, a
checkpoint from a forked log.
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from exporter_node.app import create_app
from exporter_node.node import ExporterNode
from node_core.database import make_engine
from node_core.http_signatures import MemoryNonceStore, verify_request
from node_core.settings import NodeSettings
from pilot.sandbox import Sandbox, build_sandbox, write_sandbox
from pilot.synthetic import build_world
from schemas._assess import assess_submission
from schemas._canonical import canonicalize
from schemas._issue import secure, unsigned_credential
from schemas._jsonio import parse_json
from schemas._keyring import KeyEntry
from schemas._merkle import MerkleTree, leaf_hash
from schemas._records import conformity_attestation, secure_link
from schemas._signed_note import Checkpoint, sign_checkpoint
from schemas._time import format_time
from schemas._trust import TrustRegistry
from schemas.identifiers import did_of

EXPORTER = "ru-exp-01"
PORT = "cn-port-01"
PORT_URL = "http://cn-port-01.test"


@pytest.fixture(scope="session")
def sandbox() -> Sandbox:
    """The default-seed sandbox (keys, trust list, anchor), built once."""
    return build_sandbox()


@pytest.fixture
def trust(sandbox: Sandbox) -> TrustRegistry:
    """The sandbox trust list as a registry."""
    return TrustRegistry.from_document(sandbox.trust_list)


@pytest.fixture
def data_dir(tmp_path: Path, sandbox: Sandbox) -> Path:
    """A sandbox data directory."""
    directory = tmp_path / "data"
    write_sandbox(sandbox, directory)
    return directory


def _postgres_url() -> str | None:
    url = os.environ.get("PILOT_TEST_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        return None
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        pytest.fail(f"PILOT_TEST_DATABASE_URL is set but unreachable: {exc}")
    finally:
        engine.dispose()
    return url


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """SQLite under tmp_path, or a fresh schema of PILOT_TEST_DATABASE_URL (dropped afterwards)."""
    url = _postgres_url()
    if url is None:
        yield f"sqlite:///{tmp_path / 'exporter.db'}"
        return
    schema = f"exp_{uuid.uuid4().hex[:16]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def settings(data_dir: Path, database_url: str) -> NodeSettings:
    """Settings of ``ru-exp-01`` with fast retries and the stand-in port's URL."""
    return NodeSettings(
        node_id=EXPORTER,
        data_dir=data_dir,
        database_url=database_url,
        retry_base_s=0.01,
        give_up_s=30,
        peer_urls={PORT: PORT_URL, "cn-port-02": "http://cn-port-02.test"},
    )


# --- the port stand-in ---------------------------------------------------------------------------


def _key(sandbox: Sandbox, short_id: str, purpose: str) -> KeyEntry:
    return next(e for e in sandbox.keyrings[short_id] if purpose in e.purposes)


@dataclass
class PortStandIn:
    """A fake port: verifies request signatures, logs entries in an RFC 9162 tree, signs receipts."""

    sandbox: Sandbox
    port_id: str = PORT
    #: One action per submission request, consumed in order; afterwards every request is answered "ok".
    script: list[str] = field(default_factory=list)
    tree: MerkleTree = field(default_factory=MerkleTree)
    receipts: dict[str, bytes] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    nonces: list[str] = field(default_factory=list)
    consistency_requests: list[tuple[int, int]] = field(default_factory=list)
    #: A second tree with other content, for a fork: receipts come from it after "fork".
    forked: MerkleTree | None = None
    #: How many answers to lose after the port committed (the connection drops before the reply).
    lose_answers: int = 0

    @property
    def origin(self) -> str:
        return f"{self.port_id}.pilot.example/log"

    @property
    def trust(self) -> TrustRegistry:
        return TrustRegistry.from_document(self.sandbox.trust_list)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        verified = self._verify_signature(request)
        if isinstance(verified, httpx.Response):
            return verified
        if request.url.path == "/v1/log/proof/consistency":
            first, second = int(request.url.params["first"]), int(request.url.params["second"])
            self.consistency_requests.append((first, second))
            tree = self.forked or self.tree
            proof = tree.consistency_proof(first, second)
            return httpx.Response(200, json={"first": first, "second": second, "proof": [_b64(h) for h in proof]})
        if request.url.path != "/v1/submissions" or request.method != "POST":
            return httpx.Response(404, json={"code": "NOT_FOUND"})
        action = self.script.pop(0) if self.script else "ok"
        if action.startswith("status:"):
            _, status, code = action.split(":")
            return httpx.Response(
                int(status), json={"code": code, "status": int(status), "title": code, "detail": "scripted"}
            )
        if action == "timeout":
            raise httpx.ReadTimeout("scripted timeout", request=request)
        document = parse_json(request.content)
        response = self._receipt(document, verified, action)
        if self.lose_answers > 0:
            self.lose_answers -= 1
            raise httpx.RemoteProtocolError("connection closed after the port committed", request=request)
        return response

    def _verify_signature(self, request: httpx.Request) -> str | httpx.Response:
        trust = self.trust

        def resolve(keyid: str) -> Any:
            return trust.resolve_key(keyid, "authentication", datetime.now(UTC))

        try:
            result = verify_request(
                request.method,
                str(request.url),
                request.headers,
                request.content,
                resolve_key=resolve,
                nonce_store=_NONCES,
                now=time.time(),
            )
        except Exception as exc:  # the stand-in answers like a port would
            return httpx.Response(401, json={"code": "REQUEST_SIGNATURE_INVALID", "detail": str(exc)})
        self.nonces.append(result.nonce)
        return result.participant_id or ""

    def _receipt(self, document: dict[str, Any], exporter: str, action: str) -> httpx.Response:
        submission_id = document["submissionId"]
        if submission_id in self.receipts and action == "ok":
            return httpx.Response(
                200, content=self.receipts[submission_id], headers={"content-type": "application/json"}
            )
        now = datetime.now(UTC).replace(microsecond=0)
        assessment = assess_submission(document, self.trust, port_id=self.port_id, at=now, exporter_id=exporter)
        entry = {
            "v": 1,
            "exporter": exporter,
            "submissionId": assessment.submission_id,
            "submissionDigest": assessment.submission_digest,
            "decision": assessment.decision,
            "reasonCodes": assessment.reason_codes,
            "receivedAt": format_time(now),
        }
        leaf = leaf_hash(canonicalize(entry))
        tree = self.tree
        if action == "fork":
            # Rewrite history: a tree whose first leaf differs, then this entry.
            self.forked = MerkleTree([leaf_hash(b"rewritten")] + [self.tree.leaf(i) for i in range(1, self.tree.size)])
            tree = self.forked
        elif self.forked is not None:
            tree = self.forked
        index = tree.append(leaf)
        log_key = _key(self.sandbox, self.port_id, "log")
        note = sign_checkpoint(Checkpoint(self.origin, tree.size, tree.root()), self.origin, log_key.private_key).text()
        subject = {
            "submissionId": assessment.submission_id,
            "submissionDigest": assessment.submission_digest,
            "exporter": did_of(exporter),
            "decision": assessment.decision,
            "reasons": [p.as_dict() for p in assessment.reasons],
            "receivedAt": format_time(now),
            "log": {
                "origin": self.origin,
                "index": index,
                "leafHash": _b64(leaf),
                "checkpoint": note,
                "inclusionProof": [_b64(h) for h in tree.inclusion_proof(index)],
            },
        }
        credential = unsigned_credential(
            "SubmissionReceipt",
            subject,
            credential_id=f"urn:pilot:receipt:{self.port_id}:{index}",
            issuer_did=did_of(self.port_id),
            issuer_name="stand-in port",
            valid_from=now,
        )
        own = _key(self.sandbox, self.port_id, "assertion")
        other = _key(self.sandbox, "cn-port-02", "assertion")
        if action == "bad-signature":  # another key's signature under the port's key id
            signed = secure(credential, other.private_key, own.verification_method, created=now)
        elif action == "wrong-signer":  # a valid signature, by another port
            signed = secure(credential, other.private_key, other.verification_method, created=now)
        else:
            signed = secure(credential, own.private_key, own.verification_method, created=now)
        body = canonicalize(signed)
        self.receipts.setdefault(submission_id, body)
        self.digests[submission_id] = assessment.submission_digest
        return httpx.Response(201, content=body, headers={"content-type": "application/json"})


_NONCES = MemoryNonceStore()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.fixture
def port(sandbox: Sandbox) -> PortStandIn:
    """A well-behaved stand-in for cn-port-01 (set ``port.script`` to make it misbehave)."""
    return PortStandIn(sandbox)


@dataclass
class ExporterHarness:
    """The exporter app, its node, an operator client (ASGITransport) and the worker, without a lifespan."""

    app: Any
    node: ExporterNode
    client: httpx.AsyncClient

    @property
    def worker(self) -> Any:
        return self.app.state.worker


@asynccontextmanager
async def running_exporter(settings: NodeSettings, port: PortStandIn) -> AsyncIterator[ExporterHarness]:
    """An exporter app for ``settings`` whose worker reaches ``port``; closed afterwards."""
    app = create_app(settings, transport=port.transport())
    node: ExporterNode = app.state.node
    headers = {"authorization": f"Bearer {node.token}"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://exporter.test", headers=headers
        ) as client:
            yield ExporterHarness(app, node, client)
    finally:
        await app.state.worker.stop()
        node.close()


@pytest.fixture
async def exporter(settings: NodeSettings, port: PortStandIn) -> AsyncIterator[ExporterHarness]:
    """``ru-exp-01`` whose delivery worker reaches the stand-in port; drive it with ``worker.run_until_idle``."""
    async with running_exporter(settings, port) as harness:
        yield harness


@pytest.fixture
def world() -> Any:
    """The synthetic farms and plant of ru-exp-01 (default seed)."""
    return build_world("agri-export-pilot-2026", EXPORTER)


def signer_for(sandbox: Sandbox) -> Callable[..., dict[str, Any]]:
    """Sign a credential as any sandbox participant (key-1) at a given time."""

    def sign(short_id: str, record_type: str, subject: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        entry = next(e for e in sandbox.keyrings[short_id] if e.verification_method.endswith("#key-1"))
        valid_from = kwargs.pop("valid_from", datetime(2026, 1, 1, tzinfo=UTC))
        credential = unsigned_credential(
            record_type,
            subject,
            credential_id=kwargs.pop("credential_id", f"urn:uuid:{uuid.uuid4()}"),
            issuer_did=did_of(kwargs.pop("issuer_as", short_id)),
            issuer_name=short_id,
            valid_from=valid_from,
            valid_until=kwargs.pop("valid_until", datetime(2036, 6, 1, tzinfo=UTC)),
        )
        return secure(credential, entry.private_key, entry.verification_method, created=valid_from)

    return sign


@pytest.fixture
def sign(sandbox: Sandbox) -> Callable[..., dict[str, Any]]:
    """``sign(short_id, record_type, subject, ...)``: a credential signed with a sandbox key."""
    return signer_for(sandbox)


@dataclass
class Scenario:
    """ru-exp-01's farms, plant and imported credentials, registered through the operator API."""

    exporter: ExporterHarness
    world: Any
    sign: Callable[..., dict[str, Any]]
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    def lot(self, n: int = 0, **changes: Any) -> dict[str, Any]:
        """An export lot from the plant, from the first two farms."""
        item = self.world.exporter
        lot = {
            "lotId": f"urn:pilot:lot:{item.short_id}:test-{n}:export-lot",
            "hsCode": item.hs_code,
            "description": item.product,
            "netWeight": {"value": 12000.5, "unit": item.unit},
            "establishmentNumber": self.world.plant["establishmentNumber"],
            "originFacilities": [self.world.farms[0]["id"], self.world.farms[1]["id"]],
        }
        return {**lot, **changes}

    async def register(self, *facilities: dict[str, Any]) -> None:
        """POST each facility (default: two farms and the plant)."""
        for facility in facilities or (self.world.farms[0], self.world.farms[1], self.world.plant):
            response = await self.exporter.client.post("/v1/farms", json=facility)
            assert response.status_code == 201, response.text
            self.records[facility["id"]] = response.json()

    def certificate(self) -> dict[str, Any]:
        """cert-01's antibiotic-use certificate of the first farm, pinning its facility record."""
        record = self.records[self.world.farms[0]["id"]]
        farm = self.world.farms[0]
        subject = conformity_attestation(
            attestation_id="urn:pilot:certificate:test-1",
            topic="antibiotic_use",
            certifier_did="did:web:pilot.example:cert-01",
            certifier_name="cert-01",
            exporter_did=did_of(EXPORTER),
            exporter_name=EXPORTER,
            facility_id=farm["id"],
            facility_name=farm["name"],
            assessment_date="2026-01-02",
            evidence=secure_link(record["credentialId"], "DigitalFacilityRecord", record["digest"], "farm record"),
        )
        return self.sign("cert-01", "DigitalConformityCredential", subject)

    def attestation(self) -> dict[str, Any]:
        """ru-vet's attestation of the plant."""
        subject = {
            "id": "urn:pilot:attestation:test-1",
            "establishmentNumber": self.world.plant["establishmentNumber"],
            "species": "Gallus gallus domesticus",
            "hsCode": self.world.exporter.hs_code,
            "inspectionDate": "2026-01-05",
            "healthStatus": {"diseaseFree": ["avian influenza"], "vaccinations": []},
            "recommendedForRegister": True,
        }
        return self.sign("ru-vet", "VeterinaryAttestation", subject)

    async def prepare(self) -> None:
        """Register the farms and plant and import the certificate and the attestation."""
        await self.register()
        for credential in (self.certificate(), self.attestation()):
            response = await self.exporter.client.post("/v1/credentials", json=credential)
            assert response.status_code == 201, response.text

    async def consign(self, consignment_id: str, *lots: dict[str, Any], destination: str = PORT) -> httpx.Response:
        """POST /v1/consignments."""
        body = {"destination": destination, "lots": list(lots) or [self.lot()], "consignmentId": consignment_id}
        return await self.exporter.client.post("/v1/consignments", json=body)

    async def view(self, consignment_id: str) -> dict[str, Any]:
        """GET /v1/consignments/{id}."""
        response = await self.exporter.client.get(f"/v1/consignments/{consignment_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
def scenario(exporter: ExporterHarness, world: Any, sign: Callable[..., dict[str, Any]]) -> Scenario:
    """The registration helpers for ru-exp-01."""
    return Scenario(exporter, world, sign)


@pytest.fixture
def make_exporter(port: PortStandIn) -> Callable[[NodeSettings], Any]:
    """``async with make_exporter(settings) as harness``: another exporter app (other settings) on the stand-in."""
    return lambda settings: running_exporter(settings, port)


@pytest.fixture
def make_scenario(world: Any, sign: Callable[..., dict[str, Any]]) -> Callable[[ExporterHarness], Scenario]:
    """The registration helpers for another exporter harness."""
    return lambda harness: Scenario(harness, world, sign)
