"""Test harness for the port node: a sandbox data dir, a fresh database, the app and signed clients.

No sockets: clients talk to the app through ``httpx.ASGITransport``; exporters sign with
``node_core.http_signatures.RequestSigner`` and the sandbox keys of ``pilot.sandbox.build_sandbox``. The
port finds its registry (peer ``registry``) at ``tests.support.registry.RegistryStandin`` through a
transport, serving the data dir's generation-0 status lists (``registry``: make it fail, publish to it).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import typer
from fastapi import FastAPI
from typer.testing import CliRunner, Result

from node_core.http_signatures import RequestSigner
from node_core.settings import NodeSettings
from pilot.commands.audit import app as audit_app
from pilot.sandbox import DEFAULT_SEED, Sandbox, build_sandbox, write_sandbox
from pilot.synthetic import Signer, build_world, plan_consignment, sign_consignment
from port_node.app import create_app
from port_node.state import PortNode
from schemas.receipt import verify_receipt
from schemas.time import utc_now
from schemas.trust import TrustRegistry
from tests.support.registry import REGISTRY_URL, RegistryStandin

PORT_ID = "cn-port-01"
BASE_URL = "http://port.test"


@functools.cache
def sandbox() -> Sandbox:
    """The default sandbox (deterministic; built once per process)."""
    return build_sandbox()


@functools.cache
def trust_registry() -> TrustRegistry:
    """The sandbox trust list, indexed."""
    return TrustRegistry.from_document(sandbox().trust_list)


def signer_for(participant: str, label: str = "key-1") -> RequestSigner:
    """An httpx auth that signs every request as ``participant`` with its key ``label``."""
    entry = Signer(sandbox().keyrings).key(participant, label)
    return RequestSigner(entry.private_key, entry.verification_method)


def fresh_submission(exporter: str, name: str, destination: str = PORT_ID) -> dict[str, Any]:
    """A new valid submission of ``exporter`` with id ``t-<exporter>-<name>``."""
    world = build_world(DEFAULT_SEED, exporter)
    parts = plan_consignment(DEFAULT_SEED, world, f"t-{exporter}-{name}", destination, "rail")
    submission: dict[str, Any] = sign_consignment(DEFAULT_SEED, parts, Signer(sandbox().keyrings)).submission
    return submission


def as_body(document: Any) -> bytes:
    """Compact JSON bytes of ``document``."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class PortHarness:
    """One port app over one database, and the means to talk to it."""

    data_dir: Path
    database_url: str
    overrides: dict[str, Any] = field(default_factory=dict)  # settings other than the defaults below
    registry: RegistryStandin | None = None  # default: one serving the data dir's status lists
    #: Reach this registry instead of the stand-in (the real registry app behind a transport).
    registry_transport: httpx.BaseTransport | None = None
    app: FastAPI = field(init=False)

    def __post_init__(self) -> None:
        if self.registry is None:
            self.registry = RegistryStandin.from_data_dir(self.data_dir)
        self.app = self._create_app()

    def _create_app(self) -> FastAPI:
        settings = self.settings()
        assert self.registry is not None
        transport = self.registry_transport or self.registry.transport()
        return create_app(settings, node=PortNode.open(settings, registry_transport=transport))

    def settings(self) -> NodeSettings:
        options: dict[str, Any] = {
            "public_origins": [BASE_URL],
            "peer_urls": {"registry": REGISTRY_URL},
            **self.overrides,
        }
        return NodeSettings(node_id=PORT_ID, data_dir=self.data_dir, database_url=self.database_url, **options)

    @property
    def port(self) -> Any:
        return self.app.state.node

    @property
    def metrics(self) -> str:
        """What ``/metrics`` would answer now."""
        rendered: bytes = self.app.state.metrics.render()
        return rendered.decode()

    @property
    def operator_token(self) -> str:
        return (self.data_dir / "tokens" / PORT_ID).read_text().strip()

    def client(self, participant: str | None = None, label: str = "key-1", **kwargs: Any) -> httpx.AsyncClient:
        """A client for the app; signing as ``participant`` when given."""
        auth = signer_for(participant, label) if participant else None
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE_URL, auth=auth, **kwargs)

    async def submit(self, participant: str, document: Any) -> httpx.Response:
        """POST one submission signed by ``participant``."""
        async with self.client(participant) as client:
            return await client.post(
                "/v1/submissions", content=as_body(document), headers={"content-type": "application/json"}
            )

    async def log_fresh(self, exporter: str, names: Iterable[str]) -> None:
        """Submit a fresh submission of ``exporter`` for each of ``names``; each must be logged (201)."""
        for name in names:
            assert (await self.submit(exporter, fresh_submission(exporter, name))).status_code == 201, name

    def audit_fsck(self, *options: str, env: Mapping[str, str | None] | None = None) -> Result:
        """``pilot audit fsck`` of this port's database (``DATABASE_URL``, unless ``env`` says otherwise)."""
        pilot = typer.Typer()
        pilot.add_typer(audit_app, name="audit")  # as pilot/cli.py registers it
        args = ["audit", "fsck", "--id", PORT_ID, "--data-dir", str(self.data_dir), *options]
        return CliRunner().invoke(pilot, args, env={"DATABASE_URL": self.database_url} if env is None else env)

    def restart(self) -> None:
        """Drop this app and start a new one over the same database and data dir."""
        self.close()
        self.app = self._create_app()

    def close(self) -> None:
        self.port.close()


def make_harness(tmp_path: Path, database_url: str, **settings: Any) -> PortHarness:
    """A sandbox in ``tmp_path/data`` and a port over ``database_url``, with ``settings`` besides the defaults."""
    data_dir = tmp_path / "data"
    write_sandbox(sandbox(), data_dir)
    return PortHarness(data_dir, database_url, settings)


def check_receipt(receipt_bytes: bytes, *, expect_index: int | None = None) -> dict[str, Any]:
    """Verify a receipt from outside with ``schemas.verify_receipt`` (every step); return it parsed."""
    receipt: dict[str, Any] = json.loads(receipt_bytes)
    verified = verify_receipt(receipt, trust_registry(), port_id=PORT_ID, at=utc_now())
    if expect_index is not None:
        assert verified.log_index == expect_index
    return receipt
