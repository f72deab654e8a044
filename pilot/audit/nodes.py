"""Reaching the running network for the audit tools: node URLs, operator tokens, the verified trust list.

Node URLs come from ``PILOT_PEER_URLS`` when set, else ``<data dir>/network.json`` (docs/design.md §6);
operator tokens from ``<data dir>/tokens/<id>``; the trust list from ``<data dir>/trust-list.json``,
verified against the pinned ``trust-anchor.json``. The registry is the peer ``registry`` (``REGISTRY``),
found the same way; a status list version is read from it by its location-free id (docs/design.md
§12: the id names the list, the registry the node knows serves it). Transport errors become
``NodeUnreachableError``, unusable answers ``EvidenceError``. A port's API is reached through
``node_core.port_client`` (``port``), whose errors are turned into these two the same way.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from node_core.auth import read_token
from node_core.port_client import PeerError, SyncPortClient
from pilot.audit.errors import EvidenceError, NodeUnreachableError
from pilot.peers import peer_urls
from schemas.errors import PilotSchemaError
from schemas.jsonio import parse_json
from schemas.status_list import status_list_path
from schemas.trust import TrustRegistry, load_trust_list

__all__ = ["REGISTRY", "AuditNetwork"]

#: The peer id of the registry node (docs/design.md §6).
REGISTRY = "registry"


@dataclass
class AuditNetwork:
    """The nodes of one sandbox, with an HTTP client per node (operator token attached when known)."""

    data_dir: Path
    urls: dict[str, str]
    timeout_s: float = 10.0
    #: The HTTP client of each node, made on first use by ``client``; a test may give its own (MockTransport).
    clients: dict[str, httpx.Client] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, data_dir: Path) -> AuditNetwork:
        """The network recorded for ``data_dir``; EvidenceError when no node is known."""
        try:
            urls = peer_urls(data_dir)
        except ValueError as exc:
            raise EvidenceError(str(exc)) from exc
        if not urls:
            raise EvidenceError(f"no running network recorded in {data_dir / 'network.json'}: start it with `pilot up`")
        return cls(data_dir, urls)

    def trust(self) -> TrustRegistry:
        """The sandbox's trust list, verified against its pinned anchor."""
        return load_trust_list(self.data_dir / "trust-list.json", self.data_dir / "trust-anchor.json")

    def ids(self, prefix: str) -> list[str]:
        """The known node ids starting with ``prefix`` (``ru-exp-``, ``cn-port-``), sorted."""
        return sorted(node for node in self.urls if node.startswith(prefix))

    def client(self, node_id: str) -> httpx.Client:
        """An HTTP client for ``node_id`` (with its operator token when the data dir holds it)."""
        if node_id not in self.urls:
            raise EvidenceError(f"no URL known for {node_id} (known: {', '.join(sorted(self.urls))})")
        if node_id not in self.clients:
            headers = {}
            with contextlib.suppress(OSError, ValueError):
                headers["Authorization"] = f"Bearer {read_token(self.data_dir / 'tokens', node_id)}"
            self.clients[node_id] = httpx.Client(
                base_url=self.urls[node_id], headers=headers, timeout=self.timeout_s, trust_env=False
            )
        return self.clients[node_id]

    @contextlib.contextmanager
    def port(self, port_id: str) -> Iterator[SyncPortClient]:
        """The API of port ``port_id`` (operator token attached); its errors become the audit's errors.

        No answer (transport, timeout) is NodeUnreachableError; any answer but the one asked for,
        EvidenceError.
        """
        http = self.client(port_id)
        try:
            yield SyncPortClient(self.urls[port_id], client=http)
        except PeerError as exc:
            if exc.status is None:
                raise NodeUnreachableError(f"{port_id} did not answer {exc}") from exc
            raise EvidenceError(f"{port_id} answered {exc}") from exc

    def get(
        self, node_id: str, path: str, *, params: dict[str, Any] | None = None, ok: tuple[int, ...] = (200,)
    ) -> httpx.Response:
        """GET ``path`` from ``node_id``; NodeUnreachableError or EvidenceError unless the status is in ``ok``."""
        try:
            response = self.client(node_id).get(path, params=params)
        except httpx.HTTPError as exc:
            raise NodeUnreachableError(f"{node_id} did not answer GET {path}: {exc}") from exc
        if response.status_code not in ok:
            raise EvidenceError(f"{node_id} answered GET {path} with {response.status_code}: {response.text[:300]}")
        return response

    def status_list_version(self, url: str, sequence: int) -> bytes:
        """Version ``sequence`` of the status list ``url``, the bytes the registry serves (unverified).

        ``GET /v1/status/{issuer}/{list}/versions/{sequence}`` on the peer ``registry``; EvidenceError for
        a URL that is not a pilot status list, a registry that is not known or does not hold that version.
        """
        path = status_list_path(url)
        if path is None:
            raise EvidenceError(f"{url!r} is not a pilot status list: there is no registry to fetch it from")
        response = self.get(REGISTRY, f"{path}/versions/{sequence}", ok=(200, 404))
        if response.status_code == 404:
            raise EvidenceError(f"the registry does not hold version {sequence} of {url}")
        return response.content

    def find_consignment(self, consignment_id: str) -> tuple[str, dict[str, Any]]:
        """``(exporter id, consignment view)`` of the exporter that holds ``consignment_id``."""
        for exporter in self.ids("ru-exp-"):
            try:
                response = self.get(exporter, f"/v1/consignments/{consignment_id}", ok=(200, 404))
            except NodeUnreachableError:
                continue
            if response.status_code == 200:
                return exporter, parse_json(response.content)
        raise EvidenceError(f"no exporter of the network knows consignment {consignment_id!r}")

    def sent_submission(self, consignment_id: str) -> tuple[str, dict[str, Any], Any]:
        """``(exporter id, consignment view, the submission it sent)``; EvidenceError for a malformed one."""
        exporter, view = self.find_consignment(consignment_id)
        try:
            submission = parse_json(self.get(exporter, f"/v1/consignments/{consignment_id}/submission").content)
        except PilotSchemaError as exc:
            raise EvidenceError(f"{exporter} returned a malformed submission: {exc}") from exc
        return exporter, view, submission

    def close(self) -> None:
        """Close the HTTP clients."""
        for client in self.clients.values():
            client.close()
        self.clients.clear()

    def __enter__(self) -> AuditNetwork:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
