"""The exporter against a hostile port, and its ``:raw`` route against a hostile destination (docs/reliability.md).

Item 11: a port answering 256 MiB took the exporter from 125 MB to about 1 GB, because the delivery
worker read every answer whole. A tiny asyncio HTTP server on 127.0.0.1 plays that port here (real
sockets: the bound is on what is read from the network); it counts the bytes it managed to send, and
``tracemalloc`` measures what the exporter allocated meanwhile.

Item 20: ``POST /v1/consignments:raw`` took another exporter (or any id) as ``destination`` and sent the
signed submission there; it must refuse anything but a port authority of the trust list, 400
``REQUEST_INVALID``, as the normal route does.
"""

from __future__ import annotations

import asyncio
import contextlib
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from exporter_node.app import create_app
from node_core.port_client import MAX_ANSWER_BYTES
from node_core.settings import NodeSettings
from pilot.synthetic import Signer, plan_consignment, sign_consignment

pytestmark = [pytest.mark.anyio, pytest.mark.db]

HOSTILE_BYTES = 256 * 1024 * 1024
CHUNK = b"{" * (64 * 1024)
#: What a bounded reader may cost: the bound, a copy of it, and the socket buffers in between.
READ_BUDGET = 16 * 1024 * 1024


@dataclass
class HostilePort:
    """An HTTP/1.1 server answering every request with ``status`` and ``HOSTILE_BYTES`` of ``{``."""

    status: int
    announce_length: bool
    sent: list[int] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sent = 0
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                ),
                0,
            )
            await reader.readexactly(length)
            framing = f"Content-Length: {HOSTILE_BYTES}" if self.announce_length else "Connection: close"
            writer.write(
                f"HTTP/1.1 {self.status} Hostile\r\nContent-Type: application/json\r\n{framing}\r\n\r\n".encode()
            )
            while sent < HOSTILE_BYTES:
                writer.write(CHUNK)
                await writer.drain()
                sent += len(CHUNK)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.sent.append(sent)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def hostile_port(status: int, *, announce_length: bool) -> AsyncIterator[HostilePort]:
    port = HostilePort(status, announce_length)
    port.server = await asyncio.start_server(port.handle, "127.0.0.1", 0)
    try:
        yield port
    finally:
        port.server.close()
        await port.server.wait_closed()


@contextlib.asynccontextmanager
async def exporter_reaching(settings: NodeSettings, url: str, **changes: Any) -> AsyncIterator[Any]:
    """ru-exp-01 whose cn-port-01 is at ``url`` (real sockets), with an operator client; closed afterwards."""
    app = create_app(settings.model_copy(update={"peer_urls": {"cn-port-01": url}, **changes}))
    headers = {"authorization": f"Bearer {app.state.node.token}"}
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://exporter.test", headers=headers
        ) as client:
            yield app, client
    finally:
        await app.state.worker.stop()
        app.state.node.close()


def signed_submission(sandbox: Any, world: Any, consignment_id: str) -> dict[str, Any]:
    parts = plan_consignment("t", world, consignment_id, "cn-port-01", "rail")
    submission: dict[str, Any] = sign_consignment("t", parts, Signer(sandbox.keyrings)).submission
    return submission


async def deliver(app: Any) -> int:
    """Deliver until the outbox is empty; return the peak of memory traced meanwhile (bytes)."""
    tracemalloc.start()
    try:
        await app.state.worker.run_until_idle(60)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def report(what: str, port: HostilePort, peak: int) -> None:
    sent = ", ".join(f"{n / 2**20:.1f}" for n in port.sent)
    print(f"\n{what}: the port sent {sent} MiB per connection until the exporter hung up", end="")
    print(f"; the exporter's peak traced memory {peak / 2**20:.1f} MiB")


# --- item 11: what is read from a port is bounded ----------------------------------------------------


@pytest.mark.parametrize("announce_length", [True, False], ids=["content-length", "close-delimited"])
async def test_a_256_mib_receipt_is_not_read_and_fails_as_invalid(
    settings: NodeSettings, sandbox: Any, world: Any, announce_length: bool
) -> None:
    async with (
        hostile_port(201, announce_length=announce_length) as port,
        exporter_reaching(settings, port.url) as (app, client),
    ):
        submission = signed_submission(sandbox, world, "h-1")
        queued = await client.post("/v1/consignments:raw", json={"destination": "cn-port-01", "submission": submission})
        assert queued.status_code == 202, queued.text
        peak = await deliver(app)
        view = (await client.get("/v1/consignments/h-1")).json()
    report(f"256 MiB 201 answer, {'announced' if announce_length else 'close-delimited'}", port, peak)
    assert sum(port.sent) < READ_BUDGET
    assert peak < READ_BUDGET
    assert view["state"] == "failed"
    assert view["failureCode"] == "RECEIPT_INVALID"
    assert f"larger than {MAX_ANSWER_BYTES} bytes" in view["failureDetail"]


async def test_a_256_mib_busy_answer_is_retried_unread_until_the_give_up_time(
    settings: NodeSettings, sandbox: Any, world: Any
) -> None:
    async with (
        hostile_port(503, announce_length=False) as port,
        exporter_reaching(settings, port.url, retry_base_s=0.05, give_up_s=1.0) as (app, client),
    ):
        submission = signed_submission(sandbox, world, "h-2")
        queued = await client.post("/v1/consignments:raw", json={"destination": "cn-port-01", "submission": submission})
        assert queued.status_code == 202, queued.text
        peak = await deliver(app)
        view = (await client.get("/v1/consignments/h-2")).json()
    report("256 MiB 503 answers, close-delimited", port, peak)
    assert max(port.sent) < READ_BUDGET
    assert peak < READ_BUDGET
    assert view["state"] == "failed" and view["failureCode"] == "DELIVERY_GAVE_UP"
    attempts = view["attemptLog"]
    assert len(attempts) >= 2
    assert all(a["httpStatus"] == 503 and a["outcome"] in ("retry", "gave_up") for a in attempts)
    assert all(f"larger than {MAX_ANSWER_BYTES} bytes" in a["detail"] for a in attempts)


# --- item 20: :raw sends only to a port authority ------------------------------------------------------


@pytest.mark.parametrize("destination", ["ru-exp-02", "cert-01", "pilot-gov", "cn-port-09"])
async def test_raw_refuses_a_destination_that_is_not_a_port(
    exporter: Any, sandbox: Any, world: Any, port: Any, destination: str
) -> None:
    submission = signed_submission(sandbox, world, f"raw-to-{destination}")
    response = await exporter.client.post(
        "/v1/consignments:raw", json={"destination": destination, "submission": submission}
    )
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "REQUEST_INVALID"
    assert "not a port authority" in problem["detail"]
    assert (await exporter.client.get("/v1/outbox")).json() == []
    await exporter.worker.run_until_idle(5)
    assert port.requests == []  # nothing was sent anywhere
