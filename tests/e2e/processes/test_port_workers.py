"""A port run as two worker processes on one PostgreSQL database (``pilot node port --workers 2``), over real HTTP.

Six exporters deliver signed submissions concurrently (a new connection per request, so the kernel spreads
them over both workers; each answer names its worker in ``X-Pilot-Worker``), and one worker is SIGKILLed
once a third of them have receipts. The exporters retry what failed, the parent replaces the dead worker,
and at the end: both workers answered 201s; every receipt verifies (its own checkpoint and proof); the
log's indices are dense and hold each submission once, at its receipt's index; every receipt's inclusion
proof at the final size, asked of whichever worker takes the connection, verifies against the final
checkpoint each worker serves; every 201 answered before the kill is in the log; the exact bytes of a
signed request sent again are refused as a replay by each worker, whichever took the first; fsck is clean.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from port_node.app import WORKER_HEADER
from schemas.identifiers import log_origin
from schemas.merkle import verify_inclusion
from schemas.signed_note import Checkpoint, verify_checkpoint
from tests.e2e.processes.port_process import EXPORTERS, JSON, fsck_port, port_process, submissions
from tests.port_node.port_harness import PORT_ID, check_receipt, fresh_submission, signer_for, trust_registry
from tests.support.processes import NodeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.db, pytest.mark.postgres, pytest.mark.timeout(300)]

NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)


def worker_pids(parent: int) -> set[int]:
    """The live child processes of the port's parent process: its workers."""
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == parent:
                found.add(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


@dataclass
class WorkerLoad:
    """Six exporter threads posting until each submission has a receipt; who answered each 201, and when."""

    url: str
    plan: dict[str, list[dict[str, Any]]]
    receipts: dict[tuple[str, str], bytes] = field(default_factory=dict)
    served_by: dict[tuple[str, str], str] = field(default_factory=dict)
    failures: int = 0
    problems: list[str] = field(default_factory=list)
    #: 5xx answers: retried like a dropped connection, but none is expected (a killed worker's requests fail
    #: at the transport level; the other worker must not answer 503 for them or for its own).
    server_errors: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _deliver(self, exporter: str) -> None:
        with httpx.Client(auth=signer_for(exporter), timeout=20, limits=NO_KEEPALIVE) as client:
            for document in self.plan[exporter]:
                key = (exporter, str(document["submissionId"]))
                body = json.dumps(document).encode()
                while True:
                    try:
                        response = client.post(f"{self.url}/v1/submissions", content=body, headers=JSON)
                    except httpx.TransportError:
                        response = None
                    if response is not None and response.status_code in (200, 201):
                        with self._lock:
                            self.receipts[key] = response.content
                            if response.status_code == 201:
                                self.served_by[key] = response.headers.get(WORKER_HEADER, "")
                        break
                    if response is not None and response.status_code < 500 and response.status_code != 429:
                        self.problems.append(f"{key}: {response.status_code} {response.text[:200]}")
                        break
                    if response is not None and response.status_code >= 500:
                        with self._lock:
                            self.server_errors.append(f"{key}: {response.status_code} {response.text[:200]}")
                    with self._lock:
                        self.failures += 1
                    time.sleep(0.05)

    def start(self) -> None:
        for exporter in EXPORTERS:
            thread = threading.Thread(target=self._deliver, args=(exporter,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def answered(self) -> dict[tuple[str, str], bytes]:
        with self._lock:
            return dict(self.receipts)

    def join(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), f"load still running after {timeout_s} s"


def concurrent_gets(url: str, requests: list[dict[str, int]] | int, path: str) -> list[httpx.Response]:
    """GET ``path`` with each of ``requests``' query parameters (or that many times), eight at a time, each on a
    new connection: concurrent connections are what the kernel spreads over the workers."""
    queries: list[dict[str, int]] = [{}] * requests if isinstance(requests, int) else requests
    with httpx.Client(timeout=10, limits=NO_KEEPALIVE) as client, ThreadPoolExecutor(8) as pool:
        return list(pool.map(lambda query: client.get(f"{url}{path}", params=query), queries))


def served_checkpoints(url: str, workers: set[str]) -> dict[str, Checkpoint]:
    """The checkpoint as each of ``workers`` serves it, verified (asked until each answered)."""
    key = trust_registry().keys_of(PORT_ID, "log")[0].public_key
    seen: dict[str, Checkpoint] = {}
    for _ in range(20):
        for response in concurrent_gets(url, 16, "/v1/log/checkpoint"):
            assert response.status_code == 200, response.text
            note = verify_checkpoint(response.text, log_origin(PORT_ID), key, origin=log_origin(PORT_ID))
            seen[response.headers[WORKER_HEADER]] = note
        if workers <= set(seen):
            break
    return seen


def replayed_to_each(url: str, workers: set[str]) -> dict[str, str]:
    """Send one signed submission, then its exact bytes again until each of ``workers`` answered; their codes."""
    signed = next(
        signer_for("ru-exp-01").auth_flow(
            httpx.Request(
                "POST",
                f"{url}/v1/submissions",
                content=json.dumps(fresh_submission("ru-exp-01", "replayed")).encode(),
                headers=JSON,
            )
        )
    )
    with httpx.Client(timeout=10, limits=NO_KEEPALIVE) as client:
        assert client.send(signed).status_code == 201
        answered: dict[str, str] = {}
        for _ in range(20):
            with ThreadPoolExecutor(8) as pool:
                for response in pool.map(lambda _: client.send(signed), range(8)):
                    answered[response.headers[WORKER_HEADER]] = f"{response.status_code} {response.json()['code']}"
            if workers <= set(answered):
                break
    return {worker: answer.removeprefix("401 ") for worker, answer in answered.items()}


def entries(url: str, size: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for start in range(0, size, 1000):
        response = httpx.get(f"{url}/v1/log/entries", params={"start": start, "end": min(size, start + 1000)})
        assert response.status_code == 200, response.text
        out += response.json()["entries"]
    return out


def wait_for_workers(port: NodeProcess, count: int, timeout_s: float = 60) -> set[int]:
    """The ``count`` workers once they are up and each has answered at least once."""
    assert port.process is not None
    deadline = time.monotonic() + timeout_s
    answered: set[str] = set()
    with httpx.Client(timeout=5, limits=NO_KEEPALIVE) as client:
        while time.monotonic() < deadline:
            pids = worker_pids(port.process.pid)
            with contextlib.suppress(httpx.TransportError):
                answered.add(client.get(f"{port.url}/health").headers[WORKER_HEADER])
            if len(pids) == count and {str(p) for p in pids} <= answered:
                return pids
            time.sleep(0.05)
    raise AssertionError(f"{count} workers not up in {timeout_s} s: {answered}\n{port.log_tail()}")


def test_two_workers_share_one_log_and_survive_a_sigkill(tmp_path: Path, database_url: str) -> None:
    """Two workers, 120 submissions, one worker SIGKILLed mid-load: nothing lost, dense, provable anywhere."""
    total = 120
    port = port_process(tmp_path, database_url, env={"PILOT_PORT_WORKERS": "2"})
    with port.start():
        assert port.process is not None
        first_workers = wait_for_workers(port, 2)
        load = WorkerLoad(port.url, submissions("workers", total))
        load.start()
        deadline = time.monotonic() + 60
        while len(load.answered()) < total // 3:
            assert time.monotonic() < deadline and not load.problems, (load.problems[:5], port.log_tail())
            time.sleep(0.01)
        victim = max(first_workers)
        before_kill = load.answered()
        os.kill(victim, signal.SIGKILL)
        load.join(120)
        assert load.problems == [], load.problems[:5]
        assert load.server_errors == [], load.server_errors[:5]
        assert len(load.receipts) == total
        survivors = wait_for_workers(port, 2)
        assert victim not in survivors and len(survivors - first_workers) == 1, "the dead worker was not replaced"
        assert {str(p) for p in first_workers} <= set(load.served_by.values()), "not both workers took submissions"

        checkpoints = served_checkpoints(port.url, {str(p) for p in survivors})
        assert set(checkpoints) == {str(p) for p in survivors}
        root = next(iter(checkpoints.values())).root_hash
        assert {(c.size, c.root_hash) for c in checkpoints.values()} == {(total, root)}

        logged = entries(port.url, total)
        assert [e["index"] for e in logged] == list(range(total)), "leaf indices are not dense"
        index_of = {(e["entry"]["exporter"], e["entry"]["submissionId"]): e["index"] for e in logged}
        assert len(index_of) == total, "a submission was logged twice"
        assert set(before_kill) <= set(index_of), "a receipt answered before the kill is not in the log"

        positions = [
            check_receipt(receipt, expect_index=index_of[key])["credentialSubject"]["log"]
            for key, receipt in load.receipts.items()
        ]
        queries = [{"index": position["index"], "size": total} for position in positions]
        answers = concurrent_gets(port.url, queries, "/v1/log/proof/inclusion")
        for position, response in zip(positions, answers, strict=True):
            assert response.status_code == 200, response.text
            proof = [base64.b64decode(h) for h in response.json()["proof"]]
            verify_inclusion(position["index"], total, base64.b64decode(position["leafHash"]), proof, root)
        print(f"\nproofs served by worker: {Counter(r.headers[WORKER_HEADER] for r in answers)}", file=sys.stderr)
        replays = replayed_to_each(port.url, {str(p) for p in survivors})
        assert set(replays) == {str(p) for p in survivors}
        assert all(code == "REQUEST_REPLAYED" for code in replays.values()), replays
    report = fsck_port(database_url)
    assert report.ok, report.problem
    assert report.leaves == total + 1  # and the submission whose request was replayed
