"""The in-process path: strict parse and ``IntakeService.submit`` in a loop, with no HTTP (and no request signature).

``measure_in_process`` runs the loop here: parse, canonicalize, hash, verify every proof, validate, decide,
insert, append, sign checkpoint and receipt, commit, per submission; the ceiling the HTTP figures are compared
with. ``measure_workers`` runs the same loop in N processes at once against one (PostgreSQL) database, each on
its own share of the submissions and pinned to a core in turn, started together after their warm-up: the
figure is the submissions of all over the time from the first start to the last end, compared with one
process's. The database must be migrated and the port's state made first (``prepare_port``), so that the
processes do not race to create it.

Every submission must be accepted (201): a held one (``STATUS_UNAVAILABLE``) would measure a shortcut, so a
loop refuses to count it (``IntakeRefusedError``).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import TYPE_CHECKING

from pilot.bench.figure import Figure
from pilot.bench.workload import PORT_ID, REGISTRY_ID, Work
from schemas.phrase import Phrase

if TYPE_CHECKING:
    from port_node.state import PortNode

__all__ = [
    "WARM_UP",
    "IntakeRefusedError",
    "measure_in_process",
    "measure_workers",
    "prepare_port",
    "workers_title",
]

#: Submissions each loop takes before the clock starts (imports, caches, first connections, the status lists).
WARM_UP = 10


class IntakeRefusedError(RuntimeError):
    """A benchmark submission was not created and accepted."""


@dataclass(frozen=True)
class LoopRun:
    """What one loop did: how many submissions, from when to when (``time.monotonic``, shared by processes)."""

    count: int
    started: float
    ended: float
    #: The CPU time this process took over the timed loop (``time.process_time``: all its threads).
    cpu_s: float


def _open(data_dir: Path, database_url: str, registry_url: str) -> PortNode:
    from node_core.settings import NodeSettings
    from port_node.state import PortNode

    settings = NodeSettings(
        node_id=PORT_ID, data_dir=data_dir, database_url=database_url, peer_urls={REGISTRY_ID: registry_url}
    )
    return PortNode.open(settings)


def prepare_port(data_dir: Path, database_url: str, registry_url: str) -> None:
    """Migrate the database and make the port's state once, before several processes open it."""
    _open(data_dir, database_url, registry_url).close()


def _loop(
    data_dir: Path,
    database_url: str,
    registry_url: str,
    work: list[Work],
    barrier: Barrier | None = None,
    *,
    threads: int = 1,
) -> LoopRun:
    from node_core.heap import settled_heap
    from port_node.state import receive_time
    from schemas.jsonio import parse_json

    context = _open(data_dir, database_url, registry_url)

    def submit(item: Work) -> None:
        outcome = context.intake.submit(parse_json(item.body), item.exporter, receive_time())
        if outcome.status != 201 or outcome.stored.decision != "accepted":
            raise IntakeRefusedError(
                f"the loop got {outcome.status} {outcome.stored.decision} {outcome.stored.reason_codes}"
            )

    try:
        for item in work[:WARM_UP]:
            context.intake.submit(parse_json(item.body), item.exporter, receive_time())
        if barrier is not None:
            barrier.wait()
        with settled_heap():  # the collector as in a started node (its lifespan)
            started, cpu_started = time.monotonic(), time.process_time()
            if threads == 1:
                for item in work[WARM_UP:]:
                    submit(item)
            else:  # as the port's server calls intake: from ``threads`` threads at once (group commit applies)
                with ThreadPoolExecutor(threads) as pool:
                    for _ in pool.map(submit, work[WARM_UP:]):
                        pass
            ended, cpu = time.monotonic(), time.process_time() - cpu_started
    finally:
        context.close()
    return LoopRun(len(work) - WARM_UP, started, ended, cpu)


def measure_in_process(
    data_dir: Path,
    database_url: str,
    work: list[Work],
    registry_url: str,
    *,
    key: str = "in_process",
    threads: int = 1,
) -> Figure:
    """The in-process loop here, over ``work`` (its first ``WARM_UP`` untimed), from ``threads`` threads."""
    run = _loop(data_dir, database_url, registry_url, work, threads=threads)
    rate = run.count / (run.ended - run.started)
    postgres = key.startswith("pg_")
    return Figure(
        key,
        Phrase("in process, PostgreSQL") if postgres else Phrase("in process, SQLite"),
        rate=rate,
        baseline="in_process",
        note=Phrase(
            "{count} submissions, {ms:.2f} ms each ({cpu:.2f} ms of CPU), {threads} threads",
            count=run.count,
            ms=1000 / rate,
            cpu=1000 * run.cpu_s / run.count,
            threads=threads,
        ),
        extra={
            "submissions": run.count,
            "ms_per_submission": 1000 / rate,
            "cpu_ms_per_submission": 1000 * run.cpu_s / run.count,
            "threads": threads,
        },
    )


def _worker(
    core: int | None,
    data_dir: Path,
    database_url: str,
    registry_url: str,
    work: list[Work],
    barrier: Barrier,
    results: multiprocessing.Queue,  # type: ignore[type-arg]
    threads: int,
) -> None:
    """One worker process: pinned to ``core``, runs the loop, puts its ``LoopRun`` (or the error's text)."""
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    try:
        results.put(_loop(data_dir, database_url, registry_url, work, barrier, threads=threads))
    except BaseException as exc:  # reported to the parent, which fails the figure
        barrier.abort()
        cause = f" (from {type(exc.__cause__).__name__}: {exc.__cause__})" if exc.__cause__ else ""
        results.put(f"{type(exc).__name__}: {exc}{cause}")


def workers_title(workers: int) -> Phrase:
    """The title of the figure of ``workers`` processes (also when they failed)."""
    return Phrase("{workers} processes in process, PostgreSQL", workers=workers)


def measure_workers(
    data_dir: Path,
    database_url: str,
    shares: list[list[Work]],
    registry_url: str,
    cores: list[int],
    *,
    baseline: str = "pg_in_process",
    threads: int = 1,
) -> Figure:
    """``len(shares)`` processes running the loop at once on ``database_url``, each over its share."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(shares))
    results: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    processes = [
        context.Process(
            target=_worker,
            args=(
                cores[n % len(cores)] if cores else None,
                data_dir,
                database_url,
                registry_url,
                share,
                barrier,
                results,
                threads,
            ),
            name=f"bench-worker-{n}",
        )
        for n, share in enumerate(shares)
    ]
    for process in processes:
        process.start()
    answers: list[LoopRun | str] = []
    try:
        while len(answers) < len(processes):
            try:
                answers.append(results.get(timeout=1.0))
            except queue.Empty:
                dead = [p for p in processes if p.exitcode is not None and p.exitcode != 0]
                if dead:  # died without a word (killed, or failed before the loop)
                    barrier.abort()
                    answers += [f"{p.name} exited with status {p.exitcode}" for p in dead]
                    break
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
    failures = [a for a in answers if isinstance(a, str)]
    if failures:
        raise IntakeRefusedError("; ".join(failures))
    runs = [a for a in answers if isinstance(a, LoopRun)]
    count = sum(r.count for r in runs)
    elapsed = max(r.ended for r in runs) - min(r.started for r in runs)
    rate = count / elapsed
    return Figure(
        "pg_workers",
        workers_title(len(shares)),
        rate=rate,
        baseline=baseline,
        note=Phrase(
            "{count} submissions, each process {rates}/s",
            count=count,
            rates=", ".join(f"{r.count / (r.ended - r.started):.0f}" for r in runs),
        ),
        extra={
            "workers": len(shares),
            "submissions": count,
            "per_process": [r.count / (r.ended - r.started) for r in runs],
            "cpu_ms_per_submission": 1000 * sum(r.cpu_s for r in runs) / count,
        },
    )
