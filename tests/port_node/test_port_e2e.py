"""End to end: ``pilot init`` then ``pilot node port`` as a real process, a submission over real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from port_harness import PORT_ID, check_receipt, fresh_submission, signer_for

from node_core.database import make_engine
from port_node.fsck import FsckReport, fsck
from port_node.keys import log_origin
from schemas._trust import load_trust_list

pytestmark = pytest.mark.e2e
JSON = {"content-type": "application/json"}

PILOT = str(Path(sys.executable).with_name("pilot"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ENV = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PILOT_DATABASE_URL")}


class Node:
    """``pilot node port`` as a child process on a free port (SQLite in the data dir)."""

    def __init__(self, data_dir: Path) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir.parent / f"node-{port}.log"
        self.log = self.log_path.open("wb")
        command = [PILOT, "node", "port", "--id", PORT_ID, "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{port}"]
        self.process = subprocess.Popen(command, env=ENV, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(self.log_path.read_text())
            time.sleep(0.1)

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _sandbox(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    subprocess.run([PILOT, "init", "--data-dir", str(data_dir)], check=True, env=ENV, capture_output=True)
    return data_dir


@pytest.fixture
def running_port(tmp_path: Path) -> Iterator[str]:
    node = Node(_sandbox(tmp_path))
    try:
        yield node.url
    finally:
        node.stop()


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
    data_dir = _sandbox(tmp_path)
    node = Node(data_dir)
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
        node.stop(kill=True)  # SIGKILL while requests are in flight
        for future in futures:
            future.result()
    assert 10 <= len(answered) < len(documents)

    report = _fsck(data_dir)
    assert report.ok, report.problem
    assert report.leaves >= len(answered)

    node = Node(data_dir)
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
