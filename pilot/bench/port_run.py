"""One run of ``pilot bench port``: every figure, measured once on fresh databases, in the order the table shows.

``PortBench`` holds what the command was asked (its options, the cores to pin to) and the submissions made for
it; ``measure`` takes one run's figures (``pilot bench port --repeat N`` calls it N times and keeps each figure's
median run, ``pilot.bench.repeat``). A run's databases (SQLite files, or PostgreSQL databases dropped after) and
the proof figure's data directory are its own, named with the run's ``label``, so runs never see each other's
rows. The registry serving the status lists is started once by the command and shared.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from pilot.bench.figure import Figure
from pilot.bench.servers import Registry, Server, fresh_database, pin
from pilot.bench.workload import Work
from pilot.language import tr
from schemas.phrase import Phrase

__all__ = ["PortBench", "Status"]

#: Shows what is being measured while the block runs (``rich``'s ``Console.status``), given translated text.
Status = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True)
class PortBench:
    """The options of one ``pilot bench port`` and its submissions (module docstring)."""

    root: Path
    data_dir: Path
    work: list[Work]
    records: int
    clients: int
    batch_size: int
    batch_clients: int
    proof_entries: int
    database_url: str | None
    workers: int
    server_workers: int
    memory_submissions: int
    threads: int
    #: The cores the in-process loops and the port node run on, and the load generator's (None: not pinned).
    server_core: int | None
    client_core: int | None
    #: The cores the worker processes are spread over.
    cores: tuple[int, ...]

    @property
    def _server_pin(self) -> int | None:
        """The port node's core: none when it runs as several processes (they share the machine)."""
        return self.server_core if self.server_workers == 1 else None

    @property
    def _extra_args(self) -> tuple[str, ...]:
        return ("--workers", str(self.server_workers)) if self.server_workers != 1 else ()

    def measure(self, registry: Registry, label: str, status: Status) -> list[Figure]:
        """One run's figures, unrelated (``pilot.bench.figure.relate`` sets their ratios); ``status`` shows
        which part is being measured (a spinner)."""
        from pilot.bench.http_drive import measure_http

        records, work = self.records, self.work
        single_work, batch_work = work[: records + 20], work[records + 20 : 2 * (records + 20)]
        baseline = "pg_in_process" if self.database_url else "in_process"

        pin(self.server_core)
        with status(tr("measuring the floor and the in-process path")):
            figures = self._in_process(registry, label)
        pin(self.client_core)

        with fresh_database(self.database_url, self.root, "http" + label) as url, status(tr("measuring over HTTP")):
            server = Server(self.data_dir, url, self._server_pin, registry, extra_args=self._extra_args)
            try:
                figures.append(measure_http(server, single_work, self.clients, 1, baseline=baseline))
                figures.append(measure_http(server, batch_work, self.batch_clients, self.batch_size, baseline=baseline))
            finally:
                server.stop()

        if self.proof_entries > 0:
            figures.append(self._proofs(registry, label))
        if self.memory_submissions > 0:
            from pilot.bench.memory import measure_memory

            with (
                fresh_database(self.database_url, self.root, "memory" + label) as url,
                status(tr("sending {count} submissions for the memory figure", count=self.memory_submissions)),
            ):
                server = Server(self.data_dir, url, self._server_pin, registry, extra_args=self._extra_args)
                try:
                    figures.append(
                        measure_memory(server, self.memory_submissions, self.batch_size, uuid.uuid4().hex[:6])
                    )
                finally:
                    server.stop()
        return figures

    def _in_process(self, registry: Registry, label: str) -> list[Figure]:
        """The floor and the in-process loops: SQLite's; with a PostgreSQL server, its one and N processes."""
        from pilot.bench.in_process import WARM_UP, measure_in_process, prepare_port

        loop_work = self.work[: self.records + WARM_UP]
        figures = [_floor(loop_work[WARM_UP:])]
        with fresh_database(None, self.root, "loop" + label) as url:
            figures.append(measure_in_process(self.data_dir, url, loop_work, registry.url, threads=self.threads))
        if not self.database_url:
            return figures
        with fresh_database(self.database_url, self.root, "loop" + label) as url:
            figures.append(
                measure_in_process(
                    self.data_dir, url, loop_work, registry.url, key="pg_in_process", threads=self.threads
                )
            )
        if self.workers > 0:
            with fresh_database(self.database_url, self.root, "workers" + label) as url:
                prepare_port(self.data_dir, url, registry.url)
                size = self.records + WARM_UP
                shares = [self.work[n * size : (n + 1) * size] for n in range(self.workers)]
                figures.append(_workers(self.data_dir, url, shares, registry.url, list(self.cores), self.threads))
        return figures

    def _proofs(self, registry: Registry, label: str) -> Figure:
        """The inclusion-proof figure: a fresh database bulk-loaded with the entries asked, a port serving it."""
        from pilot.bench.proofs import bulk_load, measure_proofs
        from pilot.sandbox import build_sandbox, write_sandbox

        proof_dir = self.root / ("proof" + label)
        write_sandbox(build_sandbox(), proof_dir)
        with fresh_database(self.database_url, self.root, "proof" + label) as url:
            loading = time.perf_counter()
            bulk_load(url, self.proof_entries)
            load_s = time.perf_counter() - loading
            server = Server(proof_dir, url, self._server_pin, registry, extra_args=self._extra_args)
            try:
                database = "PostgreSQL" if self.database_url else "SQLite"
                figure = measure_proofs(server, self.proof_entries, 2000, database=database)
            finally:
                server.stop()
        figure.extra["bulk_load_s"] = load_s
        return figure


def _floor(work: list[Work]) -> Figure:
    from pilot.bench.floor import measure_floor
    from pilot.sandbox import build_sandbox
    from schemas.jsonio import parse_json
    from schemas.trust import TrustRegistry

    trust = TrustRegistry.from_document(build_sandbox().trust_list)
    return measure_floor([parse_json(item.body) for item in work], trust)


def _workers(
    data_dir: Path, url: str, shares: list[list[Work]], registry_url: str, cores: list[int], threads: int
) -> Figure:
    """The N-processes figure; when a process fails, a figure saying why (the command then exits 1)."""
    from pilot.bench.in_process import IntakeRefusedError, measure_workers, workers_title

    try:
        return measure_workers(data_dir, url, shares, registry_url, cores, threads=threads)
    except IntakeRefusedError as exc:
        error = str(exc)
        first_line = error.splitlines()[0][:300] if error else ""
        return Figure(
            "pg_workers",
            workers_title(len(shares)),
            note=Phrase("failed: {error}", error=first_line),
            extra={"workers": len(shares), "error": error},
        )
