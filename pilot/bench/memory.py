"""Memory flat: the port's resident memory after N/10 and after N submissions, and its in-memory tree per entry.

The submissions are made as they are sent (``workload.stream_work``: 100,000 would not fit in memory as a list),
in batches of one exporter each, the next batch made while the port answers the current one. The resident
memory of the port process is read when N/10 and N submissions have been answered. ``tree_bytes_per_entry``
measures ``schemas.merkle.MerkleTree`` (what a port keeps in memory if its tree lives there) with
``tracemalloc``, so that the growth the tree explains can be told apart from the rest: ``rest_ratio`` is the
memory after N over the memory after N/10 once the tree's growth between them is taken out.
"""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from pilot.bench.figure import Figure
from pilot.bench.http_drive import JSON_HEADERS, batch_body, request_signers, statuses_of
from pilot.bench.workload import Work, stream_work
from schemas.phrase import Phrase

if TYPE_CHECKING:
    from pilot.bench.servers import NodeServer

__all__ = ["measure_memory", "tree_bytes_per_entry"]


def tree_bytes_per_entry(entries: int) -> float:
    """Bytes ``schemas.merkle.MerkleTree`` holds per leaf at ``entries`` leaves, appended one at a time."""
    from schemas.merkle import MerkleTree

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tree = MerkleTree()
        for index in range(entries):
            tree.append(hashlib.sha256(index.to_bytes(8, "big")).digest())
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    del tree
    return held / entries


def _batches(work: Iterator[Work], size: int) -> Iterator[tuple[str, list[bytes]]]:
    """Batches of up to ``size`` submissions of one exporter each, in the order the work comes."""
    pending: dict[str, list[bytes]] = {}
    for item in work:
        bodies = pending.setdefault(item.exporter, [])
        bodies.append(item.body)
        if len(bodies) == size:
            yield item.exporter, pending.pop(item.exporter)
    for exporter, bodies in pending.items():
        yield exporter, bodies


def measure_memory(server: NodeServer, total: int, batch_size: int, tag: str) -> Figure:
    """Send ``total`` submissions in batches; the port's resident memory after ``total // 10`` and ``total``."""
    import httpx

    signers = request_signers()
    first_mark = total // 10
    rss: dict[int, float] = {0: server.rss_mib}
    answered = 0
    counted: dict[int, int] = {}
    batches = _batches(stream_work(total, tag), batch_size)
    started = time.perf_counter()
    with httpx.Client(base_url=server.url, timeout=300) as client, ThreadPoolExecutor(1) as maker:
        upcoming: Future[tuple[str, list[bytes]] | None] = maker.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = maker.submit(next, batches, None)
            exporter, bodies = batch
            response = client.post(
                "/v1/submissions:batch", content=batch_body(bodies), headers=JSON_HEADERS, auth=signers[exporter]
            )
            for status in statuses_of(response, len(bodies)):
                counted[status] = counted.get(status, 0) + 1
            before, answered = answered, answered + len(bodies)
            if before < first_mark <= answered:
                rss[first_mark] = server.rss_mib
    rss[total] = server.rss_mib
    elapsed = time.perf_counter() - started
    tree = tree_bytes_per_entry(min(total, 100_000))
    tree_growth_mib = tree * (total - first_mark) / 2**20
    ratio = rss[total] / rss[first_mark]
    rest_ratio = (rss[total] - tree_growth_mib) / rss[first_mark]
    return Figure(
        "memory",
        Phrase("resident memory after {first:,} and {last:,} submissions", first=first_mark, last=total),
        unit="MiB",
        rate=None,
        note=Phrase(
            "{first:.0f} MiB, then {last:.0f} MiB ({ratio:.0%}; {rest:.0%} without an in-memory tree of "
            "{tree:.0f} bytes per entry)",
            first=rss[first_mark],
            last=rss[total],
            ratio=ratio,
            rest=rest_ratio,
            tree=tree,
        ),
        extra={
            "submissions": total,
            "statuses": counted,
            "rss_mib": {str(count): value for count, value in sorted(rss.items())},
            "ratio": ratio,
            "tree_bytes_per_entry": tree,
            "rest_ratio": rest_ratio,
            "elapsed_s": elapsed,
            "batch_size": batch_size,
        },
    )
