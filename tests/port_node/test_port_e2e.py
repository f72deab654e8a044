"""End to end: ``pilot init`` then ``pilot node port`` as a real process, a submission over real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from port_harness import PORT_ID, check_receipt, fresh_submission, signer_for

pytestmark = pytest.mark.e2e

PILOT = str(Path(sys.executable).with_name("pilot"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def running_port(tmp_path: Path) -> Iterator[str]:
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PILOT_DATABASE_URL")}
    subprocess.run([PILOT, "init", "--data-dir", str(data_dir)], check=True, env=env, capture_output=True)
    port = _free_port()
    log = (tmp_path / "node.log").open("wb")
    process = subprocess.Popen(
        [PILOT, "node", "port", "--id", PORT_ID, "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{port}"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((tmp_path / "node.log").read_text())
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


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
