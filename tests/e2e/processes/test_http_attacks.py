"""HTTP-level attacks on a real ``pilot node port`` over raw sockets (docs/reliability.md, attacks 3, 6, 9, 13, 14, 21).

Each test starts the port as a process (``port_process.port_process``) and talks to it with plain sockets,
so that bodies can stall, connections can hang up mid-body and framing can be what no HTTP library sends.
The figures (answer times, the port's resident memory, the size of ``/metrics``) are printed for
docs/reliability.md.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from node_core.http_signatures import sign_request
from pilot.processes import rss_mib
from pilot.synthetic import Signer
from tests.e2e.processes.port_process import JSON, port_process
from tests.port_node.port_harness import fresh_submission, sandbox, signer_for
from tests.support.processes import NodeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

BODY_TIMEOUT_S = 3.0
#: How long an answer that needs no body may take on a loaded 2-core machine.
PROMPT_S = 10.0
MIB = 1024 * 1024


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def problem(self) -> dict[str, Any]:
        assert self.headers.get("content-type") == "application/problem+json", (self.status, self.headers, self.body)
        document: dict[str, Any] = json.loads(self.body)
        return document


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=PROMPT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_reply(sock: socket.socket, timeout_s: float = PROMPT_S, started: float | None = None) -> Reply:
    """One HTTP/1.1 response with a Content-Length body."""
    started = time.monotonic() if started is None else started
    sock.settimeout(timeout_s)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before an answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return Reply(int(lines[0].split()[1]), headers, body[:length], time.monotonic() - started)


def head_bytes(method: str, target: str, headers: list[tuple[bytes, bytes]]) -> bytes:
    lines = [f"{method} {target} HTTP/1.1".encode()] + [name + b": " + value for name, value in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def signed_request(url: str, body: bytes, exporter: str = "ru-exp-01") -> list[tuple[bytes, bytes]]:
    request = httpx.Request("POST", url, content=body, headers=JSON)
    entry = Signer(sandbox().keyrings).key(exporter, "key-1")
    sign_request(request, entry.private_key, entry.verification_method)
    return list(request.headers.raw)


@pytest.fixture
def port(tmp_path: Path) -> Iterator[NodeProcess]:
    database_url = f"sqlite:///{tmp_path / 'port.db'}"
    with port_process(tmp_path, database_url, {"PILOT_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S)}).start() as process:
        yield process


def submit(port: NodeProcess, name: str, exporter: str = "ru-exp-02") -> httpx.Response:
    with httpx.Client(auth=signer_for(exporter), timeout=PROMPT_S) as client:
        document = fresh_submission(exporter, name)
        return client.post(f"{port.url}/v1/submissions", content=json.dumps(document), headers=JSON)


def test_slow_bodies_do_not_take_the_port_down(port: NodeProcess) -> None:
    """Item 3: 70 unsigned and 8 signed connections stall after ``{``; a real submission is still served."""
    assert port.process is not None
    pid = port.process.pid
    rss_before = rss_mib(pid)
    batch_head = head_bytes(
        "POST",
        "/v1/submissions:batch",
        [
            (b"host", f"127.0.0.1:{port.port}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(16 * MIB).encode()),
        ],
    )
    # 70 unauthenticated connections (more than the default cap of 64), each declaring a 16 MiB batch.
    unsigned = [connect(port.port) for _ in range(70)]
    sent_at = time.monotonic()
    for sock in unsigned:
        sock.sendall(batch_head + b"{")
    # 8 connections with valid signatures (a replayed or a slow exporter) whose bodies stall after a byte.
    signed = []
    for n in range(8):
        body = json.dumps(fresh_submission("ru-exp-03", f"stall-{n}")).encode()
        sock = connect(port.port)
        sock.sendall(head_bytes("POST", "/v1/submissions", signed_request(f"{port.url}/v1/submissions", body)))
        sock.sendall(body[:1])
        signed.append((sock, time.monotonic()))

    unsigned_replies = [read_reply(sock, started=sent_at) for sock in unsigned]
    assert {r.status for r in unsigned_replies} == {401}
    assert {r.problem()["code"] for r in unsigned_replies} == {"REQUEST_SIGNATURE_INVALID"}

    served_at = time.monotonic()
    response = submit(port, "while-stalled")
    served_s = time.monotonic() - served_at
    assert response.status_code == 201, response.text
    assert httpx.get(f"{port.url}/health", timeout=PROMPT_S).json()["status"] == "ok"

    timed_out = [read_reply(sock, timeout_s=BODY_TIMEOUT_S + PROMPT_S, started=at) for sock, at in signed]
    assert {r.status for r in timed_out} == {408}
    assert {r.problem()["code"] for r in timed_out} == {"REQUEST_TIMEOUT"}
    assert all(BODY_TIMEOUT_S - 0.5 <= r.seconds <= BODY_TIMEOUT_S + PROMPT_S for r in timed_out)

    # 10 unauthenticated connections declaring 16 MiB and sending 8 MiB each at full speed.
    pushers = [connect(port.port) for _ in range(10)]
    chunk = b" " * MIB
    for sock in pushers:
        sock.sendall(batch_head + b"{")
    for _ in range(8):
        for sock in pushers:
            sock.sendall(chunk)
    pushed = [read_reply(sock) for sock in pushers]
    assert {r.status for r in pushed} == {401}
    rss_after = rss_mib(pid)
    for sock in unsigned + [s for s, _ in signed] + pushers:
        sock.close()
    figures = {
        "unsigned answered 401 (max s)": round(max(r.seconds for r in unsigned_replies), 2),
        "real submission while 78 stalled (s)": round(served_s, 2),
        "signed stalled answered 408 after (s)": [
            round(r.seconds, 2) for r in (min(timed_out, key=_s), max(timed_out, key=_s))
        ],
        "port RSS MiB before, after": [round(rss_before), round(rss_after)],
    }
    print(f"\nslow bodies: {figures}", file=sys.stderr)
    assert served_s < PROMPT_S
    assert rss_after - rss_before < 64, f"the port grew by {rss_after - rss_before:.0f} MiB"


def test_framing_and_media_type_are_refused_with_problems(port: NodeProcess) -> None:
    """Items 14 and 21: framing h11 refuses, framing we refuse, and a body that is not JSON."""
    host = (b"host", f"127.0.0.1:{port.port}".encode())
    cases = {
        "Content-Length: -1": head_bytes("POST", "/v1/submissions", [host, (b"content-length", b"-1")]),
        "two different Content-Length": head_bytes(
            "POST", "/v1/submissions", [host, (b"content-length", b"2"), (b"content-length", b"3")]
        )
        + b"{}",
    }
    for name, data in cases.items():
        with connect(port.port) as sock:
            sock.sendall(data)
            reply = read_reply(sock)
        assert reply.status == 400, name
        assert reply.problem()["code"] == "REQUEST_INVALID", name

    # A signed submission framed with both Content-Length and Transfer-Encoding (chunked, which h11 uses).
    body = json.dumps(fresh_submission("ru-exp-01", "smuggled")).encode()
    headers = [*signed_request(f"{port.url}/v1/submissions", body), (b"transfer-encoding", b"chunked")]
    with connect(port.port) as sock:
        sock.sendall(head_bytes("POST", "/v1/submissions", headers) + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        reply = read_reply(sock)
    assert reply.status == 400 and reply.problem()["code"] == "REQUEST_INVALID"

    # A signed submission whose (signed) Content-Type is text/plain.
    document = fresh_submission("ru-exp-01", "as-text")
    with httpx.Client(auth=signer_for("ru-exp-01"), timeout=PROMPT_S) as client:
        response = client.post(
            f"{port.url}/v1/submissions", content=json.dumps(document), headers={"content-type": "text/plain"}
        )
    assert response.status_code == 415 and response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"

    # Item 6: a submission signed for another port (its address in Host too) is not valid here.
    other = f"http://127.0.0.1:{port.port + 1}"
    body = json.dumps(fresh_submission("ru-exp-01", "for-another-port")).encode()
    with connect(port.port) as sock:
        sock.sendall(head_bytes("POST", "/v1/submissions", signed_request(f"{other}/v1/submissions", body)) + body)
        reply = read_reply(sock)
    assert reply.status == 401 and reply.problem()["code"] == "REQUEST_SIGNATURE_INVALID"
    assert "not this node" in reply.problem()["detail"]

    # Nothing above reached the log.
    checkpoint = httpx.get(f"{port.url}/v1/log/checkpoint", timeout=PROMPT_S).text
    assert checkpoint.splitlines()[1] == "0"


def test_invented_methods_do_not_grow_the_metrics(port: NodeProcess) -> None:
    """Item 9: 5,000 requests with invented methods, on one keep-alive connection."""
    assert port.process is not None
    metrics_before = len(httpx.get(f"{port.url}/metrics", timeout=PROMPT_S).content)
    rss_before = rss_mib(port.process.pid)
    host = (b"host", f"127.0.0.1:{port.port}".encode())
    with connect(port.port) as sock:
        for n in range(5000):
            sock.sendall(head_bytes(f"M{n:05d}", f"/v1/log/checkpoint?x={n}", [host]))
            reply = read_reply(sock)
            assert reply.status in (400, 404, 405), reply
    metrics = httpx.get(f"{port.url}/metrics", timeout=PROMPT_S).text
    growth = len(metrics.encode()) - metrics_before
    rss_after = rss_mib(port.process.pid)
    print(
        f"\ninvented methods: /metrics {metrics_before} -> {len(metrics.encode())} bytes, "
        f"RSS {rss_before:.0f} -> {rss_after:.0f} MiB",
        file=sys.stderr,
    )
    assert "M00001" not in metrics
    assert growth < 16 * 1024, f"/metrics grew by {growth} bytes"


def test_client_hanging_up_mid_body_is_not_a_500(port: NodeProcess) -> None:
    """Item 13: twenty signed submissions whose clients hang up halfway through the body."""
    for n in range(20):
        body = json.dumps(fresh_submission("ru-exp-04", f"hangup-{n}")).encode()
        with connect(port.port) as sock:
            sock.sendall(head_bytes("POST", "/v1/submissions", signed_request(f"{port.url}/v1/submissions", body)))
            sock.sendall(body[: len(body) // 2])
            time.sleep(0.05)
    deadline = time.monotonic() + PROMPT_S
    while time.monotonic() < deadline:
        metrics = httpx.get(f"{port.url}/metrics", timeout=PROMPT_S).text
        if metrics.count('status="499"') and "20.0" in _line(metrics, 'status="499"'):
            break
        time.sleep(0.2)
    assert 'status="500"' not in metrics
    assert "20.0" in _line(metrics, 'method="POST",route="/v1/submissions",status="499"'), metrics
    assert port.log is not None
    log = port.log.read_text()
    assert "unhandled exception" not in log and "Exception in ASGI application" not in log
    assert log.count("client disconnected before its request was read") == 20


def _s(reply: Reply) -> float:
    return reply.seconds


def _line(metrics: str, fragment: str) -> str:
    return next((line for line in metrics.splitlines() if fragment in line and "_total" in line), "")
