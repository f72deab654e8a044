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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import httpx

from pilot.conformance.material import KitMaterial
from pilot.conformance.port_script import Action
from pilot.conformance.port_standin import StandinPort
from schemas.merkle import MerkleTree

__all__ = ["FakePort"]


@dataclass
class FakePort:
    """The kit's stand-in port, recording what reached it through its transport."""

    standin: StandinPort
    requests: list[httpx.Request] = field(default_factory=list)

    @classmethod
    def over(cls, data_dir: Path) -> FakePort:
        """A well-behaved ``cn-port-01`` with the sandbox of ``data_dir``."""
        return cls(StandinPort(KitMaterial.load(data_dir)))

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
