"""The log at scale: ``entries`` leaves bulk-loaded into a port database, and inclusion proofs served from it.

``bulk_load`` migrates a fresh database and writes synthetic leaves straight into ``log_leaves`` (SQLite:
``executemany`` in one transaction; PostgreSQL: ``COPY``) and the size into ``log_head``; there are no
submission rows, so the database is for this figure only (not for fsck). ``measure_proofs`` starts nothing:
it asks a running port for inclusion proofs of random leaves of the whole tree, one client, and times them.
"""

from __future__ import annotations

import hashlib
import random
import sqlite3
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pilot.bench.figure import Figure, percentile
from pilot.bench.workload import EXPORTERS
from schemas.phrase import Phrase

if TYPE_CHECKING:
    from pilot.bench.servers import NodeServer

__all__ = ["bulk_load", "measure_proofs"]

#: Proofs asked for before the clock starts.
PROOF_WARM_UP = 50


def _leaves(entries: int) -> Iterator[tuple[int, bytes, bytes]]:
    """(index, leaf input, leaf hash) of ``entries`` synthetic accepted submissions (RFC 9162 §2.1.1 leaf hash)."""
    from schemas.receipt import leaf_input_of, log_entry

    for index in range(entries):
        digest = "sha-256:" + hashlib.sha256(index.to_bytes(8, "big")).hexdigest()
        data = leaf_input_of(
            log_entry(
                exporter=EXPORTERS[index % len(EXPORTERS)],
                submission_id=f"bulk-{index}",
                submission_digest=digest,
                decision="accepted",
                reason_codes=[],
                received_at="2026-11-01T00:00:00Z",
            )
        )
        yield index, data, hashlib.sha256(b"\x00" + data).digest()


def _load_sqlite(path: str, entries: int) -> None:
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.executemany(
                "INSERT INTO log_leaves (leaf_index, leaf_input, leaf_hash) VALUES (?, ?, ?)", _leaves(entries)
            )
            connection.execute("UPDATE log_head SET size = ? WHERE id = 1", (entries,))
    finally:
        connection.close()


def _load_postgres(url: str, entries: int) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as connection:
            driver = connection.connection.driver_connection
            assert driver is not None
            copy_leaves = "COPY log_leaves (leaf_index, leaf_input, leaf_hash) FROM STDIN"
            with driver.cursor() as cursor, cursor.copy(copy_leaves) as copy:
                for row in _leaves(entries):
                    copy.write_row(row)
            connection.execute(sa.text("UPDATE log_head SET size = :size WHERE id = 1"), {"size": entries})
    finally:
        engine.dispose()


def bulk_load(url: str, entries: int) -> None:
    """Migrate the empty port database at ``url`` and fill its log with ``entries`` synthetic leaves."""
    from node_core.database import run_migrations
    from port_node.state import MIGRATIONS

    run_migrations(url, MIGRATIONS)
    if url.startswith("sqlite:///"):
        _load_sqlite(url.removeprefix("sqlite:///"), entries)
    else:
        _load_postgres(url, entries)


def measure_proofs(server: NodeServer, entries: int, samples: int, *, database: str) -> Figure:
    """Latency of ``GET /v1/log/proof/inclusion`` for random leaves of the whole tree, one client.

    The client is the standard library's ``http.client`` on one kept-alive connection: the figure is the
    port's latency, and a full client's own work per request (httpx's is about 1 ms on this machine) would
    be the load generator's, not the port's. Every answer is read whole and must be a 200 with the proof.
    """
    import http.client
    from urllib.parse import urlsplit

    import orjson

    rng = random.Random(7)
    latencies = []
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname or "127.0.0.1", address.port, timeout=30)
    try:
        for n in range(samples + PROOF_WARM_UP):
            index = rng.randrange(entries)
            started = time.perf_counter()
            connection.request("GET", f"/v1/log/proof/inclusion?index={index}&size={entries}")
            response = connection.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise RuntimeError(f"inclusion proof answered {response.status}: {body[:200]!r}")
            if orjson.loads(body)["index"] != index:
                raise RuntimeError(f"inclusion proof of the wrong leaf: {body[:200]!r}")
            if n >= PROOF_WARM_UP:
                latencies.append(elapsed)
    finally:
        connection.close()
    return Figure(
        "proof",
        Phrase("inclusion proof at {entries:,} entries, {database}", entries=entries, database=database),
        unit="proofs",
        rate=len(latencies) / sum(latencies),
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        note=Phrase(
            "node start-up {startup:.2f} s, resident memory {rss:.0f} MiB", startup=server.startup_s, rss=server.rss_mib
        ),
        extra={"entries": entries, "startup_s": server.startup_s, "server_rss_mib": server.rss_mib},
    )
