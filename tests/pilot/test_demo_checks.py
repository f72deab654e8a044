"""The demo's log check against a scripted port: entries paged through ``node_core.port_client``."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pilot.demo.checks import audit_log
from pilot.sandbox import build_sandbox
from schemas.canonical import canonicalize
from schemas.identifiers import log_origin
from schemas.merkle import MerkleTree, leaf_hash
from schemas.signed_note import Checkpoint, sign_checkpoint
from schemas.trust import TrustRegistry

PORT = "cn-port-01"
URL = "http://cn-port-01.test"
ENTRIES = [{"v": 1, "exporter": "ru-exp-01", "submissionId": f"c-{i % 2}"} for i in range(3)]


def scripted_port(served: list[dict[str, Any]]) -> tuple[httpx.Client, TrustRegistry]:
    """A port whose checkpoint is the tree of ``ENTRIES`` and whose entries are ``served``."""
    sandbox = build_sandbox()
    key = next(e for e in sandbox.keyrings[PORT] if "log" in e.purposes)
    origin = log_origin(PORT)
    tree = MerkleTree([leaf_hash(canonicalize(e)) for e in ENTRIES])
    note = sign_checkpoint(Checkpoint(origin, tree.size, tree.root()), origin, key.private_key).text()

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/log/checkpoint":
            return httpx.Response(200, text=note)
        start, end = int(request.url.params["start"]), int(request.url.params["end"])
        items = [{"index": i, "entry": served[i]} for i in range(start, min(end, len(served)))]
        return httpx.Response(200, json={"entries": items})

    return httpx.Client(transport=httpx.MockTransport(handle)), TrustRegistry.from_document(sandbox.trust_list)


@pytest.mark.parametrize(
    ("served", "problem"),
    [
        (ENTRIES, None),
        ([*ENTRIES[:2], {**ENTRIES[2], "submissionId": "c-9"}], "the root rebuilt from the entries differs"),
        (ENTRIES[:2], "entries: GET /v1/log/entries?start=0&end=3: entries 0..3 are not exactly those indexes"),
    ],
)
def test_the_log_is_rebuilt_from_its_entries(served: list[dict[str, Any]], problem: str | None) -> None:
    client, trust = scripted_port(served)
    with client:
        audit = audit_log(client, URL, PORT, trust)
    assert audit.size == 3
    if problem is None:
        assert audit.problem is None
        assert audit.submission_counts == {("ru-exp-01", "c-0"): 2, ("ru-exp-01", "c-1"): 1}
    else:
        assert audit.problem is not None and audit.problem.startswith(problem)
