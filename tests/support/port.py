"""The exporter tests' port: the conformance kit's ``StandinPort``, in process, under the names the tests use.

``FakePort`` wraps ``pilot.conformance.port_standin.StandinPort`` (``cn-port-01`` over a sandbox data dir),
reached through its ``transport()`` (``httpx.MockTransport``, no socket): the stand-in verifies requests,
decides, logs and signs as the port does, and misbehaves as scripted (``pilot.conformance.port_script``).
What is left here is naming:

- ``script``: the actions answering the next submissions, one each, in order (then receipts);
- ``lose_answers = n``: the next ``n`` answers are lost after the port committed (sets ``script``);
- ``requests``: every ``httpx.Request`` that reached the port; ``consistency_requests``: the sizes asked
  for in those for a consistency proof; ``nonces``: the signature nonce of every request it authenticated;
- ``tree``, ``digests``: the port's log and the digest it logged for each submission id.

It checks credentials' status as a port does (docs/design.md §12), from ``status_sources`` in turn: the
sandbox's status lists of the data dir, then the current lists of each exporter node it was told to
``follow`` (an exporter's records carry entries in its own generation-1 lists, kept in its database and
published to a registry that in-process tests do not run). Append another source (a registry stand-in's
lookup) to ``status_sources`` to change that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from pilot.conformance.material import KitMaterial
from pilot.conformance.port_script import Action
from pilot.conformance.port_standin import StandinPort
from pilot.conformance.status_sources import FirstFound, sandbox_status_lists
from schemas.errors import VerificationError
from schemas.merkle import MerkleTree
from schemas.status_list import StatusList, StatusLookup, StatusUnavailable, split_status_list_url, verify_status_list
from schemas.trust import TrustRegistry

if TYPE_CHECKING:
    from exporter_node.state import ExporterNode

__all__ = ["ExporterOwnLists", "FakePort"]


@dataclass(frozen=True)
class ExporterOwnLists:
    """The current versions of an exporter node's own status lists, read from its database (a ``StatusLookup``).

    A list that has no version yet is signed first (as the node's status publisher does when it starts,
    which in-process tests without a lifespan never run).
    """

    node: ExporterNode

    def status_list(self, url: str, trust: TrustRegistry, at: datetime) -> StatusList | StatusUnavailable:
        parts = split_status_list_url(url)
        if parts is None or parts[0] != self.node.node_id:
            return StatusUnavailable(f"not a list of {self.node.node_id}")
        store = self.node.status_issuer.store
        if store.latest(parts[1]) is None:
            self.node.status_issuer.ensure_current(datetime.now(UTC))
        version = store.latest(parts[1])
        if version is None:
            return StatusUnavailable(f"{self.node.node_id} keeps no such list")
        try:
            return verify_status_list(version.credential, trust, at, url=url)
        except VerificationError as exc:
            return StatusUnavailable(f"the list does not verify: {exc.problems[0].message}")


@dataclass
class FakePort:
    """The kit's stand-in port, recording what reached it through its transport."""

    standin: StandinPort
    status_sources: list[StatusLookup] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    @classmethod
    def over(cls, data_dir: Path) -> FakePort:
        """A well-behaved ``cn-port-01`` with the sandbox of ``data_dir`` (and its status lists)."""
        material = KitMaterial.load(data_dir)
        sources: list[StatusLookup] = [sandbox_status_lists(material)]
        return cls(StandinPort(material, status=FirstFound(sources)), sources)

    def follow(self, node: ExporterNode) -> None:
        """Judge ``node``'s own records' status by its current lists, as a port fetching them would."""
        self.status_sources.append(ExporterOwnLists(node))

    def __post_init__(self) -> None:
        self._in_process = self.standin.transport()

    @property
    def script(self) -> list[Action]:
        return self.standin.next_actions

    @script.setter
    def script(self, actions: list[Action]) -> None:
        self.standin.script_next(actions)

    @property
    def lose_answers(self) -> int:
        return self.script.count("lost-answer")

    @lose_answers.setter
    def lose_answers(self, count: int) -> None:
        self.script = ["lost-answer"] * count

    @property
    def nonces(self) -> list[str | None]:
        return [r.nonce for r in self.standin.received]

    @property
    def consistency_requests(self) -> list[tuple[int, int]]:
        asked = [r.url.params for r in self.requests if r.url.path == "/v1/log/proof/consistency"]
        return [(int(params["first"]), int(params["second"])) for params in asked]

    @property
    def tree(self) -> MerkleTree:
        return self.standin.store.tree

    @property
    def digests(self) -> dict[str, str]:
        return {row.submission_id: row.digest for row in self.standin.store.rows.values()}

    def transport(self) -> httpx.MockTransport:
        """A transport that delivers every request to this port."""
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Record and answer one request."""
        self.requests.append(request)
        return self._in_process.handle_request(request)
