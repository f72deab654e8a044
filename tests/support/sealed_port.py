"""cn-port-03 in process, over a fresh database, holding a submission with a credential sealed to it.

cn-port-03's sandbox policy takes ``laboratory`` only sealed (docs/design.md §8): ``SealingPort`` is its real
app (``port_node.app.create_app``) over the ``database_url`` the test gets (SQLite, or PostgreSQL under ``-m
db``), with the sandbox data dir (its keyring holds the ``keyAgreement`` keys) and a registry stand-in.
``deliver`` signs a consignment of ru-exp-01 whose conformity credential carries laboratory results, seals
that credential to the port's current key as an exporter does (``tests.support.sealed``), and submits it
RFC 9421-signed. ``destroy_key`` rewrites the keyring file as ``pilot keys destroy`` does, from outside the
running port, which must notice on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from node_core.http_signatures import RequestSigner
from node_core.settings import NodeSettings
from pilot.sandbox import build_sandbox, write_sandbox
from pilot.synthetic import Signer
from port_node.app import create_app
from port_node.state import PortNode
from schemas.canonical import canonicalize
from schemas.keyring import destroy_key
from tests.support.registry import REGISTRY_URL, RegistryStandin
from tests.support.sealed import LAB_VALUE, agreement_kid, credential_index, lab_submission, sealed_at

__all__ = ["EXPORTER", "LAB_VALUE", "PORT", "PORT_URL", "Delivered", "SealingPort"]

PORT = "cn-port-03"
PORT_URL = "http://cn-port-03.test"
EXPORTER = "ru-exp-01"
SEALED_TYPE = "DigitalConformityCredential"


@dataclass(frozen=True)
class Delivered:
    """A submission the port answered: as sent (sealed), the plaintext credential, its index, the receipt."""

    submission: dict[str, Any]
    plaintext: dict[str, Any]
    index: int
    receipt: bytes

    @property
    def submission_id(self) -> str:
        return str(self.submission["submissionId"])


@dataclass
class SealingPort:
    """cn-port-03's app over one database and one sandbox data dir."""

    data_dir: Path
    database_url: str
    registry: RegistryStandin = field(init=False)
    app: FastAPI = field(init=False)

    def __post_init__(self) -> None:
        self.registry = RegistryStandin.from_data_dir(self.data_dir)
        settings = NodeSettings(
            node_id=PORT,
            data_dir=self.data_dir,
            database_url=self.database_url,
            public_origins=[PORT_URL],
            peer_urls={"registry": REGISTRY_URL},
        )
        self.app = create_app(settings, node=PortNode.open(settings, registry_transport=self.registry.transport()))

    @classmethod
    def start(cls, tmp_path: Path, database_url: str) -> SealingPort:
        data_dir = tmp_path / "data"
        write_sandbox(build_sandbox(), data_dir)
        return cls(data_dir, database_url)

    @property
    def node(self) -> PortNode:
        node: PortNode = self.app.state.node
        return node

    @property
    def token(self) -> str:
        return (self.data_dir / "tokens" / PORT).read_text().strip()

    @property
    def key_file(self) -> Path:
        return self.data_dir / "keys" / f"{PORT}.pem"

    def client(
        self, *, operator: bool = True, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.AsyncClient:
        """A client of the app (no socket), with the operator token unless told otherwise."""
        sent = {"Authorization": f"Bearer {self.token}"} if operator else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url=PORT_URL,
            headers={**sent, **(headers or {})},
            **kwargs,
        )

    def consignment(self, name: str, *, sealed: bool = True) -> tuple[dict[str, Any], dict[str, Any], int]:
        """``(submission, plaintext credential, its index)``: a consignment of ru-exp-01 whose lab-results
        certificate is sealed to the port's ``key-4`` (left clear when ``sealed`` is False)."""
        clear = lab_submission(EXPORTER, name, PORT)
        index = credential_index(clear, SEALED_TYPE)
        document = sealed_at(clear, index, PORT) if sealed else clear
        return document, clear["credentials"][index], index

    @staticmethod
    def exporter_auth() -> RequestSigner:
        """Signs requests as ru-exp-01 (RFC 9421)."""
        entry = Signer(build_sandbox().keyrings).key(EXPORTER)
        return RequestSigner(entry.private_key, entry.verification_method)

    async def deliver(self, name: str, *, sealed: bool = True) -> Delivered:
        """Submit ``consignment(name, sealed=sealed)``, signed by ru-exp-01; it must be logged (201)."""
        document, plaintext, index = self.consignment(name, sealed=sealed)
        async with self.client(operator=False, auth=self.exporter_auth()) as client:
            answer = await client.post(
                "/v1/submissions", content=canonicalize(document), headers={"Content-Type": "application/json"}
            )
        assert answer.status_code == 201, answer.text
        return Delivered(document, plaintext, index, answer.content)

    def destroy_key(self, at: datetime, label: str = "key-4") -> str:
        """Destroy the port's ``keyAgreement`` key ``label`` in its keyring file, from outside the port; its kid."""
        kid = agreement_kid(PORT, label)
        self.key_file.write_bytes(destroy_key(self.key_file.read_bytes(), kid, at))
        return kid

    def close(self) -> None:
        self.node.close()
