"""End to end: ``pilot init`` then ``pilot node port`` as a real process, a submission over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from node_core.database import make_engine
from port_node.fsck import FsckReport, fsck
from schemas.identifiers import log_origin
from schemas.trust import load_trust_list
from tests.port_node.port_harness import PORT_ID, check_receipt, fresh_submission, signer_for
from tests.support.processes import pilot_init, port_with_registry

pytestmark = pytest.mark.e2e
JSON = {"content-type": "application/json"}


@pytest.fixture
def running_port(tmp_path: Path) -> Iterator[str]:
    with port_with_registry(pilot_init(tmp_path / "data"), PORT_ID).start() as node:
        yield node.url


def test_submission_over_http(running_port: str) -> None:
    document = fresh_submission("ru-exp-02", "e2e")
    body = json.dumps(document).encode()
    with httpx.Client(base_url=running_port, auth=signer_for("ru-exp-02"), timeout=10) as client:
        created = client.post("/v1/submissions", content=body, headers={"content-type": "application/json"})
        assert created.status_code == 201, created.text
        receipt = check_receipt(created.content, expect_index=0)
        assert receipt["credentialSubject"]["decision"] == "accepted"
        again = client.post("/v1/submissions", content=body, headers={"content-type": "application/json"})
        assert again.status_code == 200 and again.content == created.content
        assert client.get(f"/v1/receipts/{document['submissionId']}").content == created.content
    checkpoint = httpx.get(f"{running_port}/v1/log/checkpoint").text
    assert checkpoint.splitlines()[:2] == [f"{PORT_ID}.pilot.example/log", "1"]


def test_killed_mid_load_loses_nothing_it_answered_and_continues(tmp_path: Path) -> None:
    data_dir = pilot_init(tmp_path / "data")
    node = port_with_registry(data_dir, PORT_ID).start()
    documents = [fresh_submission(f"ru-exp-0{n % 6 + 1}", f"crash-{n}") for n in range(60)]
    answered: dict[str, bytes] = {}

    def send(document: dict[str, object]) -> None:
        exporter = "-".join(str(document["submissionId"]).split("-")[1:4])
        try:
            with httpx.Client(base_url=node.url, auth=signer_for(exporter), timeout=10) as client:
                response = client.post("/v1/submissions", content=json.dumps(document).encode(), headers=JSON)
        except httpx.TransportError:
            return
        if response.status_code == 201:
            answered[str(document["submissionId"])] = response.content

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(send, document) for document in documents]
        while len(answered) < 10:
            time.sleep(0.01)
        node.kill()  # SIGKILL while requests are in flight
        for future in futures:
            future.result()
    assert 10 <= len(answered) < len(documents)

    report = _fsck(data_dir)
    assert report.ok, report.problem
    assert report.leaves >= len(answered)

    node.start()
    try:
        for submission_id, receipt in answered.items():
            exporter = "-".join(submission_id.split("-")[1:4])
            with httpx.Client(base_url=node.url, auth=signer_for(exporter), timeout=10) as client:
                assert client.get(f"/v1/receipts/{submission_id}").content == receipt
        with httpx.Client(base_url=node.url, auth=signer_for("ru-exp-01"), timeout=10) as client:
            response = client.post(
                "/v1/submissions", content=json.dumps(fresh_submission("ru-exp-01", "after")), headers=JSON
            )
        assert response.status_code == 201
        check_receipt(response.content, expect_index=report.leaves)
    finally:
        node.stop()
    assert _fsck(data_dir).ok


def _fsck(data_dir: Path) -> FsckReport:
    registry = load_trust_list(data_dir / "trust-list.json", data_dir / "trust-anchor.json")
    engine = make_engine(f"sqlite:///{data_dir / (PORT_ID + '.db')}")
    try:
        return fsck(engine, log_origin(PORT_ID), [k.public_key for k in registry.keys_of(PORT_ID, "log")])
    finally:
        engine.dispose()
