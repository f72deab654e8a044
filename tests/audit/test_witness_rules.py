"""The witness's tlog-witness rules, in process (no sockets): a table of named cases, status and evidence.

cn-port-02's witness is fed checkpoints of cn-port-01's origin signed with cn-port-01's sandbox log key
(and one signed with a stranger's key), over a tree built here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi import FastAPI

from node_core.settings import NodeSettings
from pilot.sandbox import Sandbox, build_sandbox, write_sandbox
from pilot.synthetic import Signer
from port_node.app import create_app
from port_node.log import sign_checkpoint_note
from schemas.merkle import MerkleTree, leaf_hash
from schemas.signed_note import format_add_checkpoint, parse_signed_note, verify_cosignature

ORIGIN = "cn-port-01.pilot.example/log"


@functools.cache
def sandbox() -> Sandbox:
    return build_sandbox()


def note(tree: MerkleTree, size: int, signer: str = "cn-port-01") -> str:
    key = Signer(sandbox().keyrings).key(signer, "key-2").private_key
    return sign_checkpoint_note(ORIGIN, size, tree.root(size), key)


@pytest.fixture
def witness_app(tmp_path: Path) -> Iterator[FastAPI]:
    write_sandbox(sandbox(), tmp_path)
    app = create_app(NodeSettings(node_id="cn-port-02", data_dir=tmp_path, peer_urls={"cn-port-02": "http://x"}))
    yield app
    app.state.node.close()


def post(app: FastAPI, body: bytes) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://witness.test") as client:
            return await client.post("/v1/witness/add-checkpoint", content=body)

    return anyio.run(go)


def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://witness.test") as client:
            return await client.get(path)

    return anyio.run(go)


@pytest.fixture
def tree() -> MerkleTree:
    return MerkleTree(leaf_hash(b"leaf %d" % i) for i in range(8))


def test_first_checkpoint_is_cosigned_and_the_cosignature_verifies(witness_app: FastAPI, tree: MerkleTree) -> None:
    text = note(tree, 3)
    answer = post(witness_app, format_add_checkpoint(0, [], text))
    assert answer.status_code == 200, answer.text
    cosigned = parse_signed_note(text + answer.text)
    key = sandbox().keyrings["cn-port-02"]
    witness_key = next(e for e in key if "witness" in e.purposes).private_key.public_key()
    assert verify_cosignature(cosigned, "cn-port-02.pilot.example/witness", witness_key) > 0
    assert get(witness_app, f"/v1/witness/latest?origin={ORIGIN}").json()["size"] == 3


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("old size not the held one", 409),
        ("old larger than the new size", 400),
        ("bad consistency proof", 422),
        ("same size, other root (split view)", 409),
        ("signed by another key", 403),
        ("unknown origin", 404),
        ("not a request body", 400),
    ],
)
def test_refusals(witness_app: FastAPI, tree: MerkleTree, case: str, status: int) -> None:
    assert post(witness_app, format_add_checkpoint(0, [], note(tree, 3))).status_code == 200
    other = MerkleTree(leaf_hash(b"other %d" % i) for i in range(8))
    bodies = {
        "old size not the held one": format_add_checkpoint(2, tree.consistency_proof(2, 5), note(tree, 5)),
        "old larger than the new size": format_add_checkpoint(5, [], note(tree, 3)),
        "bad consistency proof": format_add_checkpoint(3, other.consistency_proof(3, 5), note(other, 5)),
        "same size, other root (split view)": format_add_checkpoint(3, [], note(other, 3)),
        "signed by another key": format_add_checkpoint(3, tree.consistency_proof(3, 5), note(tree, 5, "cn-port-03")),
        "unknown origin": format_add_checkpoint(
            0,
            [],
            sign_checkpoint_note(
                "nobody.pilot.example/log",
                1,
                tree.root(1),
                Signer(sandbox().keyrings).key("cn-port-01", "key-2").private_key,
            ),
        ),
        "not a request body": b"hello\n",
    }
    answer = post(witness_app, bodies[case])
    assert answer.status_code == status, answer.text
    if case == "old size not the held one":
        assert answer.headers["content-type"].startswith("text/x.tlog.size") and answer.text == "3\n"
    evidence = get(witness_app, "/v1/witness/evidence").json()["evidence"]
    recorded = {e["kind"] for e in evidence}
    expected = {"bad consistency proof": {"inconsistent"}, "same size, other root (split view)": {"split_view"}}
    assert recorded == expected.get(case, set())
    # A correct extension is still cosigned afterwards.
    good = post(witness_app, format_add_checkpoint(3, tree.consistency_proof(3, 6), note(tree, 6)))
    assert good.status_code == 200, good.text
