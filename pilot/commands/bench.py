"""``pilot bench port`` and ``pilot bench network``: the typer commands; the measuring is in ``pilot.bench``.

``pilot bench port`` prints, on this machine (docs/performance.md says what each figure means):

1. the cryptographic floor of the submissions (``pilot.bench.floor``), and every figure as a ratio to it;
2. the in-process path on SQLite (``pilot.bench.in_process``); with ``--database-url``, on PostgreSQL too
   (a ratio to SQLite's) and in ``--workers`` processes at once on one PostgreSQL database (a multiple of one);
3. single submissions over HTTP from ``--clients`` concurrent clients, and batches (``pilot.bench.http_drive``),
   on PostgreSQL when ``--database-url`` is given, compared with that database's in-process figure;
4. inclusion proofs at ``--proof-entries`` leaves (``pilot.bench.proofs``);
5. with ``--memory-submissions N``, the port's resident memory after N/10 and N (``pilot.bench.memory``).

The port node (a real process) is pinned to ``--server-core`` and the load generator to ``--client-core``
(``sched_setaffinity``, ``taskset``), so they do not share a core; the in-process loops and the floor run on
the server's core (the worker processes, one per core). The port checks every credential's status against a
real registry (``pilot node registry``, beside the load generator), as in production (docs/design.md §12).

``pilot bench network`` starts the 6 + 3 network and measures consignments per second from the exporters'
APIs to verified receipts (``pilot.bench.network``).
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Annotated

import typer

from pilot.bench.figure import Figure, relate
from pilot.bench.report import report
from pilot.bench.servers import Registry, Server, fresh_database, pin
from pilot.bench.workload import PORT_ID, REGISTRY_ID, Work, make_work
from pilot.console import EXIT_FAILED, err_console, fail_usage
from pilot.language import tr
from pilot.output_format import FormatOpt, JsonFlagOpt, OutputFormat, notes_console, wants_json
from schemas.phrase import Phrase

app = typer.Typer(help="Benchmarks.", no_args_is_help=True)

__all__ = ["PORT_ID", "REGISTRY_ID", "Registry", "app", "make_work"]


def _floor(work: list[Work]) -> Figure:
    from pilot.bench.floor import measure_floor
    from pilot.sandbox import build_sandbox
    from schemas.jsonio import parse_json
    from schemas.trust import TrustRegistry

    trust = TrustRegistry.from_document(build_sandbox().trust_list)
    return measure_floor([parse_json(item.body) for item in work], trust)


@app.command("port")
def port_command(
    records: Annotated[int, typer.Option(help="Submissions per phase (in process, single, batch).")] = 600,
    clients: Annotated[int, typer.Option(help="Concurrent HTTP clients for single submissions.")] = 32,
    batch_size: Annotated[int, typer.Option(help="Submissions per batch request.")] = 100,
    batch_clients: Annotated[int, typer.Option(help="Concurrent HTTP clients for batches.")] = 2,
    proof_entries: Annotated[int, typer.Option(help="Log size for the inclusion-proof figure (0: skip).")] = 1_000_000,
    server_core: Annotated[int, typer.Option(help="CPU core the port node is pinned to.")] = 0,
    client_core: Annotated[int, typer.Option(help="CPU core the load generator is pinned to.")] = 1,
    database_url: Annotated[
        str | None,
        typer.Option(
            help="PostgreSQL server URL: fresh databases are made there for every figure but SQLite's in-process "
            "one, which is measured too, for the ratio (default: SQLite files only)."
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option(help="With --database-url: processes running the in-process loop at once (0: skip).")
    ] = 2,
    server_workers: Annotated[
        int, typer.Option(help="Intake processes of the port node (pilot node port --workers; PostgreSQL only).")
    ] = 1,
    memory_submissions: Annotated[
        int, typer.Option(help="Submissions for the memory figure, read after a tenth and after all (0: skip).")
    ] = 0,
    threads: Annotated[
        int,
        typer.Option(
            min=1,
            help="Threads calling intake at once in the in-process loops (the port's server uses "
            "port_node.state.INTAKE_THREADS; concurrent submissions are committed in groups).",
        ),
    ] = 1,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Measure the port's intake (floor, in process, single and batched over HTTP), its log at scale, its memory."""
    as_json = wants_json(output_format, as_json)
    notes = notes_console(as_json)
    if records < 50 or clients < 1 or batch_size < 1 or workers < 0 or memory_submissions < 0:
        fail_usage(tr("--records must be at least 50, --clients and --batch-size at least 1"))
    if server_workers != 1 and not database_url:
        fail_usage(tr("--server-workers needs --database-url: a port on SQLite is one process"))
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    can_pin = server_core in cores and client_core in cores and server_core != client_core
    if not can_pin:
        err_console.print(
            tr("[yellow]warning:[/] cannot pin server and client to different cores; figures share a CPU")
        )
    server_pin = server_core if can_pin and server_workers == 1 else None
    from pilot.bench.http_drive import measure_http
    from pilot.bench.in_process import WARM_UP, measure_in_process, prepare_port
    from pilot.sandbox import build_sandbox, write_sandbox

    postgres = bool(database_url)
    baseline = "pg_in_process" if postgres else "in_process"
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="pilot-bench-") as tmp:
        root = Path(tmp)
        data_dir = root / "data"
        write_sandbox(build_sandbox(), data_dir)
        needed = max(2 * (records + 20), (workers if postgres else 0) * (records + WARM_UP))
        with notes.status(tr("generating {count} submissions", count=needed)):
            work = make_work(needed, uuid.uuid4().hex[:6])
        loop_work = work[: records + WARM_UP]
        single_work, batch_work = work[: records + 20], work[records + 20 : 2 * (records + 20)]

        pin(client_core if can_pin else None)  # the registry runs beside the load generator
        registry = Registry(data_dir)
        try:
            pin(server_core if can_pin else None)
            with notes.status(tr("measuring the floor and the in-process path")):
                figures.append(_floor(loop_work[WARM_UP:]))
                with fresh_database(None, root, "loop") as url:
                    figures.append(measure_in_process(data_dir, url, loop_work, registry.url, threads=threads))
                if database_url:
                    with fresh_database(database_url, root, "loop") as url:
                        figures.append(
                            measure_in_process(
                                data_dir, url, loop_work, registry.url, key="pg_in_process", threads=threads
                            )
                        )
                    if workers > 0:
                        with fresh_database(database_url, root, "workers") as url:
                            prepare_port(data_dir, url, registry.url)
                            shares = [
                                work[n * (records + WARM_UP) : (n + 1) * (records + WARM_UP)] for n in range(workers)
                            ]
                            figures.append(_workers(data_dir, url, shares, registry.url, sorted(cores), threads))
            pin(client_core if can_pin else None)

            extra = ("--workers", str(server_workers)) if server_workers != 1 else ()
            with fresh_database(database_url, root, "http") as url, notes.status(tr("measuring over HTTP")):
                server = Server(data_dir, url, server_pin, registry, extra_args=extra)
                try:
                    figures.append(measure_http(server, single_work, clients, 1, baseline=baseline))
                    figures.append(measure_http(server, batch_work, batch_clients, batch_size, baseline=baseline))
                finally:
                    server.stop()

            if proof_entries > 0:
                figures.append(_proofs(root, database_url, proof_entries, server_pin, registry, extra))
            if memory_submissions > 0:
                from pilot.bench.memory import measure_memory

                with (
                    fresh_database(database_url, root, "memory") as url,
                    notes.status(tr("sending {count} submissions for the memory figure", count=memory_submissions)),
                ):
                    server = Server(data_dir, url, server_pin, registry, extra_args=extra)
                    try:
                        figures.append(measure_memory(server, memory_submissions, batch_size, uuid.uuid4().hex[:6]))
                    finally:
                        server.stop()
        finally:
            registry.stop()

    relate(figures)
    report(figures, "pilot bench port", as_json)  # the command, not a text
    refused = [f for f in figures if set(f.extra.get("statuses", {})) - {201} or "error" in f.extra]
    if refused:
        raise typer.Exit(EXIT_FAILED)


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


def _proofs(
    root: Path,
    database_url: str | None,
    entries: int,
    core: int | None,
    registry: Registry,
    extra: tuple[str, ...],
) -> Figure:
    """The inclusion-proof figure: a fresh database bulk-loaded with ``entries`` leaves, a port serving it."""
    from pilot.bench.proofs import bulk_load, measure_proofs
    from pilot.sandbox import build_sandbox, write_sandbox

    proof_dir = root / "proof"
    write_sandbox(build_sandbox(), proof_dir)
    with fresh_database(database_url, root, "proof") as url:
        loading = time.perf_counter()
        bulk_load(url, entries)
        load_s = time.perf_counter() - loading
        server = Server(proof_dir, url, core, registry, extra_args=extra)
        try:
            figure = measure_proofs(server, entries, 2000, database="PostgreSQL" if database_url else "SQLite")
        finally:
            server.stop()
    figure.extra["bulk_load_s"] = load_s
    return figure


@app.command("network")
def network_command(
    consignments: Annotated[int, typer.Option(help="Consignments timed (after one per exporter and port).")] = 180,
    clients: Annotated[int, typer.Option(help="Concurrent callers of the exporters' APIs.")] = 12,
    poll_ms: Annotated[int, typer.Option(help="How often the exporters' consignments are listed (ms).")] = 50,
    output_format: FormatOpt = OutputFormat.text,
) -> None:
    """Start the 6 + 3 network and measure consignments per second from the exporters' APIs to verified receipts."""
    from pilot.bench.network import NetworkBenchError, measure_network

    as_json = wants_json(output_format)
    notes = notes_console(as_json)
    if consignments < 1 or clients < 1 or poll_ms < 1:
        fail_usage(tr("--consignments, --clients and --poll-ms must be at least 1"))
    with notes.status(tr("starting the network and sending {count} consignments", count=consignments)):
        try:
            figures = measure_network(consignments, clients, poll_s=poll_ms / 1000)
        except NetworkBenchError as exc:
            err_console.print(tr("[red]error:[/] {problem}", problem=str(exc)))
            raise typer.Exit(EXIT_FAILED) from exc
    report(figures, "pilot bench network", as_json)  # the command, not a text
