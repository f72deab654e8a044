"""Fixtures of the conformance kit's tests: one ``pilot init`` sandbox and real node processes on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

PILOT = str(Path(sys.executable).with_name("pilot"))
ENV = {k: v for k, v in os.environ.items() if not k.startswith("PILOT_") and k not in ("DATABASE_URL",)}


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class NodeProcess:
    """A node (or node stand-in) started as a child process, stopped by the test that started it."""

    command: list[str]
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=lambda: dict(ENV))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 30.0) -> NodeProcess:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"not healthy: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default ``pilot init`` data dir shared by the session's nodes (each node has its own database)."""
    data_dir = tmp_path_factory.mktemp("conformance") / "data"
    subprocess.run([PILOT, "init", "--data-dir", str(data_dir)], env=ENV, check=True, capture_output=True)
    return data_dir


@pytest.fixture(scope="session")
def our_port(sandbox: Path) -> Iterator[str]:
    """``pilot node port --id cn-port-01`` on a free port."""
    port = free_port()
    command = [PILOT, "node", "port", "--id", "cn-port-01", "--data-dir", str(sandbox), "--listen", f"127.0.0.1:{port}"]
    node = NodeProcess(command, port, sandbox.parent / "cn-port-01.log").start()
    try:
        yield node.url
    finally:
        node.stop()


def exporter_process(sandbox: Path, command_head: list[str], exporter_id: str, kit_port: int) -> NodeProcess:
    """An exporter (or exporter stand-in) that finds ``cn-port-01`` at the kit's stand-in on ``kit_port``."""
    port = free_port()
    command = [*command_head, "--id", exporter_id, "--data-dir", str(sandbox), "--listen", f"127.0.0.1:{port}"]
    node = NodeProcess(command, port, sandbox.parent / f"{exporter_id}.log")
    node.env.update({"PILOT_PEER_URLS": f"cn-port-01=http://127.0.0.1:{kit_port}", "PILOT_RETRY_BASE_S": "0.2"})
    return node
