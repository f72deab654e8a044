"""A real ``pilot node port`` process and a load of six exporters that retry until each submission has a receipt.

``port_process`` is ``support.processes.NodeProcess`` for ``pilot node port`` over a given database;
``fsck_port`` checks that database offline; ``ci_and_deep`` sizes a run for CI and for the deep run.

The load stands in for six exporter nodes' delivery workers: one thread per exporter (``ru-exp-01`` ...
``ru-exp-06``), each posting its submissions with a fresh RFC 9421 signature per attempt and retrying on
a transport error, a 429 or a 5xx, exactly as ``exporter_node.delivery`` does, until it holds a receipt.
The log observer keeps every checkpoint it saw and checks RFC 9162 consistency proofs between them.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from node_core.database import make_engine
from pilot.sandbox import write_sandbox
from port_node.fsck import FsckReport, fsck
from schemas.identifiers import log_origin
from schemas.merkle import verify_consistency
from schemas.signed_note import verify_checkpoint
from tests.port_node.port_harness import PORT_ID, fresh_submission, sandbox, signer_for, trust_registry
from tests.support.processes import NodeProcess, port_with_registry

EXPORTERS = [f"ru-exp-0{n}" for n in range(1, 7)]
JSON = {"content-type": "application/json"}


def port_process(tmp_path: Path, database_url: str, env: dict[str, str] | None = None) -> NodeProcess:
    """``pilot node port --id cn-port-01`` in a sandbox written to ``tmp_path/data``, over ``database_url``.

    Its one peer is a registry process holding the sandbox's status lists (started with the port when it
    is not running, stopped with it; a ``kill`` is the port's alone). ``env`` adds variables to every
    start (``start`` takes more for one start).
    """
    data_dir = tmp_path / "data"
    write_sandbox(sandbox(), data_dir)
    return port_with_registry(data_dir, PORT_ID, env={"DATABASE_URL": database_url, **(env or {})})


def fsck_port(database_url: str) -> FsckReport:
    """``fsck`` of the port's database (offline: the port is stopped or killed)."""
    engine = make_engine(database_url)
    try:
        keys = [k.public_key for k in trust_registry().keys_of(PORT_ID, "log")]
        return fsck(engine, log_origin(PORT_ID), keys)
    finally:
        engine.dispose()


def ci_and_deep(ci: int, deep: int) -> pytest.MarkDecorator:
    """Parametrize ``total``: ``ci`` submissions (``db``: run again on PostgreSQL), and ``deep`` ones (``slow``)."""
    return pytest.mark.parametrize(
        "total",
        [pytest.param(ci, marks=pytest.mark.db, id="ci"), pytest.param(deep, marks=pytest.mark.slow, id="deep")],
    )


def submissions(prefix: str, total: int) -> dict[str, list[dict[str, Any]]]:
    """``total`` fresh valid submissions spread over the six exporters."""
    plan: dict[str, list[dict[str, Any]]] = {e: [] for e in EXPORTERS}
    for n in range(total):
        exporter = EXPORTERS[n % len(EXPORTERS)]
        plan[exporter].append(fresh_submission(exporter, f"{prefix}-{n:05d}"))
    return plan


@dataclass
class Load:
    """Six exporter threads delivering their submissions until each has a receipt."""

    url: Callable[[], str]
    plan: dict[str, list[dict[str, Any]]]
    retry_s: float = 0.05
    timeout_s: float = 10.0
    per_exporter: int = 1  # concurrent delivery threads per exporter
    keepalive: bool = True
    receipts: dict[tuple[str, str], bytes] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    attempts: int = 0
    problems: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _threads: list[threading.Thread] = field(default_factory=list)

    def _count(self, key: str) -> None:
        with self._lock:
            self.statuses[key] = self.statuses.get(key, 0) + 1
            self.attempts += 1

    def _deliver(self, exporter: str, share: int) -> None:
        limits = httpx.Limits() if self.keepalive else httpx.Limits(max_keepalive_connections=0)
        with httpx.Client(auth=signer_for(exporter), timeout=self.timeout_s, limits=limits) as client:
            for document in self.plan[exporter][share :: self.per_exporter]:
                body = json.dumps(document).encode()
                while True:
                    try:
                        response = client.post(f"{self.url()}/v1/submissions", content=body, headers=JSON)
                    except httpx.TransportError as exc:
                        self._count(type(exc).__name__)
                        time.sleep(self.retry_s)
                        continue
                    self._count(str(response.status_code))
                    if response.status_code in (200, 201):
                        key = (exporter, str(document["submissionId"]))
                        with self._lock:
                            earlier = self.receipts.setdefault(key, response.content)
                        if earlier != response.content:
                            self.problems.append(f"{key}: two different receipts")
                        break
                    if response.status_code == 429 or response.status_code >= 500:
                        time.sleep(self.retry_s)
                        continue
                    self.problems.append(f"{exporter}: final answer {response.status_code} {response.text[:200]}")
                    break

    def start(self) -> None:
        for exporter in EXPORTERS:
            for share in range(self.per_exporter):
                thread = threading.Thread(target=self._deliver, args=(exporter, share), daemon=True)
                thread.start()
                self._threads.append(thread)

    def alive(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def join(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not self.alive(), f"load still running after {timeout_s} s"


@dataclass
class LogObserver:
    """Signed checkpoints seen over time, each verified; consistency proofs checked between them."""

    url: str
    seen: list[tuple[int, bytes]] = field(default_factory=list)

    def checkpoint(self) -> tuple[int, bytes]:
        text = httpx.get(f"{self.url}/v1/log/checkpoint", timeout=10).text
        key = trust_registry().keys_of(PORT_ID, "log")[0].public_key
        checkpoint = verify_checkpoint(text, log_origin(PORT_ID), key, origin=log_origin(PORT_ID))
        self.seen.append((checkpoint.size, checkpoint.root_hash))
        return checkpoint.size, checkpoint.root_hash

    def check_consistency(self) -> int:
        """Verify a consistency proof from every checkpoint seen to the latest; the number verified."""
        size, root = self.checkpoint()
        for first, first_root in self.seen:
            response = httpx.get(
                f"{self.url}/v1/log/proof/consistency", params={"first": first, "second": size}, timeout=10
            )
            assert response.status_code == 200, response.text
            proof = [base64.b64decode(h) for h in response.json()["proof"]]
            verify_consistency(first, size, first_root, root, proof)
        return len(self.seen)

    def entries(self) -> list[dict[str, Any]]:
        size, _ = self.checkpoint()
        out: list[dict[str, Any]] = []
        for start in range(0, size, 1000):
            response = httpx.get(
                f"{self.url}/v1/log/entries", params={"start": start, "end": min(size, start + 1000)}, timeout=30
            )
            out += response.json()["entries"]
        return out


def assert_exactly_once(load: Load, observer: LogObserver, expected: int) -> dict[str, int]:
    """Every submission has one receipt and one log entry; indices are 0..n-1; the figures."""
    assert load.problems == [], load.problems[:5]
    assert len(load.receipts) == expected, f"{expected - len(load.receipts)} submissions lost"
    entries = observer.entries()
    assert [e["index"] for e in entries] == list(range(len(entries))), "leaf indices are not gap-free"
    keys = [(e["entry"]["exporter"], e["entry"]["submissionId"]) for e in entries]
    assert len(keys) == len(set(keys)), "a submission was logged twice"
    assert set(keys) == set(load.receipts), "log entries and receipts differ"
    by_key = {k: e["index"] for k, e in zip(keys, entries, strict=True)}
    for key, receipt in load.receipts.items():
        assert json.loads(receipt)["credentialSubject"]["log"]["index"] == by_key[key]
    return {"submissions": expected, "log entries": len(entries), "attempts": load.attempts}
