"""Submissions over HTTP: single ones from concurrent clients, or batches, each request signed afresh.

Each client is its own connection, made and connected before the clock starts; each request is signed
(RFC 9421) with its exporter's key and a fresh nonce, as an exporter node signs. A batch is one exporter's
(``POST /v1/submissions:batch``). Throughput counts submissions; latency is per request.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from typing import TYPE_CHECKING

from pilot.bench.figure import Figure, percentile
from pilot.bench.workload import EXPORTERS, Work
from schemas.phrase import Phrase

if TYPE_CHECKING:
    import httpx

    from node_core.http_signatures import RequestSigner
    from pilot.bench.servers import NodeServer

__all__ = ["JSON_HEADERS", "batch_body", "measure_http", "request_signers", "statuses_of"]

JSON_HEADERS = {"content-type": "application/json"}
#: Submissions sent untimed before the clock starts (connections, caches, the status lists).
HTTP_WARM_UP = 20


def request_signers() -> dict[str, RequestSigner]:
    """Each sandbox exporter's request signer (its ``key-1``), as its node signs requests to a port."""
    from node_core.http_signatures import RequestSigner
    from pilot.sandbox import build_sandbox
    from pilot.synthetic import Signer

    keyring = Signer(build_sandbox().keyrings)
    return {e: RequestSigner(keyring.key(e).private_key, keyring.key(e).verification_method) for e in EXPORTERS}


def batch_body(bodies: list[bytes]) -> bytes:
    """The body of ``POST /v1/submissions:batch`` carrying ``bodies``."""
    return b'{"submissions":[' + b",".join(bodies) + b"]}"


def statuses_of(response: httpx.Response, per_request: int) -> list[int]:
    """The status of each submission a response answers (a batch answers one per submission)."""
    import orjson

    if per_request == 1:
        return [response.status_code]
    results = orjson.loads(response.content).get("results", [{"status": response.status_code}])
    return [int(result["status"]) for result in results]


def _requests(work: list[Work], per_request: int) -> list[tuple[str, bytes]]:
    """(exporter, body) pairs: one per submission, or batches of ``per_request`` grouped by exporter."""
    if per_request == 1:
        return [(w.exporter, w.body) for w in work]
    by_exporter: dict[str, list[bytes]] = {}
    for item in work:
        by_exporter.setdefault(item.exporter, []).append(item.body)
    requests = []
    for exporter, bodies in by_exporter.items():
        for start in range(0, len(bodies), per_request):
            requests.append((exporter, batch_body(bodies[start : start + per_request])))
    return requests


async def _drive(
    url: str, work: list[Work], clients: int, path: str, per_request: int
) -> tuple[float, list[float], dict[int, int]]:
    """Send every item from ``clients`` workers, each with its own client; (elapsed, latencies, statuses)."""
    import httpx

    signers = request_signers()
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for request in _requests(work, per_request):
        queue.put_nowait(request)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def worker(client: httpx.AsyncClient) -> None:
        while True:
            try:
                exporter, body = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            response = await client.post(path, content=body, headers=JSON_HEADERS, auth=signers[exporter])
            latencies.append(time.perf_counter() - started)
            for status in statuses_of(response, per_request):
                statuses[status] = statuses.get(status, 0) + 1

    context = ssl.create_default_context()
    http_clients = [httpx.AsyncClient(base_url=url, timeout=120, verify=context) for _ in range(clients)]
    try:
        await asyncio.gather(*(client.get("/health") for client in http_clients))
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for client in http_clients))
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in http_clients))
    return elapsed, latencies, statuses


def measure_http(
    server: NodeServer, work: list[Work], clients: int, per_request: int, *, baseline: str = "in_process"
) -> Figure:
    """Throughput (submissions/s) and latency of single or batched submissions over HTTP (first 20 untimed),
    and the CPU time the port's processes took per timed submission (comparable with the in-process loop's)."""
    path = "/v1/submissions" if per_request == 1 else "/v1/submissions:batch"
    warm, timed = work[:HTTP_WARM_UP], work[HTTP_WARM_UP:]
    asyncio.run(_drive(server.url, warm, min(clients, 4), path, 1 if per_request == 1 else 10))
    cpu_started = server.cpu_s
    elapsed, latencies, statuses = asyncio.run(_drive(server.url, timed, clients, path, per_request))
    cpu_ms = 1000 * (server.cpu_s - cpu_started) / len(timed)
    good = statuses.get(201, 0)
    if per_request == 1:
        key, title = "single", Phrase("single over HTTP, {clients} clients", clients=clients)
    else:
        key = "batch"
        title = Phrase("batches of {size} over HTTP, {clients} clients", size=per_request, clients=clients)
    return Figure(
        key,
        title,
        rate=len(timed) / elapsed,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        baseline=baseline,
        note=Phrase(
            "{count} submissions, {created} created; the port's CPU {cpu:.2f} ms each",
            count=len(timed),
            created=good,
            cpu=cpu_ms,
        ),
        extra={
            "statuses": statuses,
            "server_rss_mib": server.rss_mib,
            "submissions": len(timed),
            "cpu_ms_per_submission": cpu_ms,
        },
    )
