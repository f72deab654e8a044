"""``pilot bench port`` and ``pilot bench network``: the typer commands; the measuring is in ``pilot.bench``.

``pilot bench port`` prints, on this machine (docs/performance.md says what each figure means):

1. the cryptographic floor of the submissions (``pilot.bench.floor``), and every figure as a ratio to it;
2. the in-process path on SQLite (``pilot.bench.in_process``); with ``--database-url``, on PostgreSQL too
   (a ratio to SQLite's) and in ``--workers`` processes at once on one PostgreSQL database (a multiple of one);
3. single submissions over HTTP from ``--clients`` concurrent clients, and batches (``pilot.bench.http_drive``),
   on PostgreSQL when ``--database-url`` is given, compared with that database's in-process figure;
4. inclusion proofs at ``--proof-entries`` leaves (``pilot.bench.proofs``);
5. with ``--memory-submissions N``, the port's resident memory after N/10 and N (``pilot.bench.memory``).

One run is ``pilot.bench.port_run``; ``--repeat N`` takes N runs and shows each figure's median run with the
runs' range (``pilot.bench.repeat``).

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
import uuid
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from pilot.bench.figure import Figure, relate
from pilot.bench.repeat import median_runs
from pilot.bench.report import report
from pilot.bench.servers import Registry, pin
from pilot.bench.workload import PORT_ID, REGISTRY_ID, make_work
from pilot.console import EXIT_FAILED, PipeAwareConsole, err_console, fail_usage
from pilot.language import tr
from pilot.output_format import FormatOpt, JsonFlagOpt, OutputFormat, notes_console, wants_json

app = typer.Typer(help="Benchmarks.", no_args_is_help=True)

_RepeatOpt = Annotated[
    int,
    typer.Option(
        min=1,
        help="Measure everything this many times and show each figure's median run, with the range of the runs "
        "(this machine's speed drifts between runs; an odd number gives a true median).",
    ),
]

__all__ = ["PORT_ID", "REGISTRY_ID", "Registry", "app", "make_work"]


def _run_status(notes: PipeAwareConsole, run: int, repeat: int, doing: str) -> AbstractContextManager[object]:
    """A spinner saying what is being measured (``doing``, translated), and in which run when there are several."""
    if repeat > 1:
        doing = tr("run {run} of {runs}: {doing}", run=run + 1, runs=repeat, doing=doing)
    return notes.status(doing)


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
    repeat: _RepeatOpt = 1,
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
    from pilot.bench.in_process import WARM_UP
    from pilot.bench.port_run import PortBench
    from pilot.sandbox import build_sandbox, write_sandbox

    needed = max(2 * (records + 20), (workers if database_url else 0) * (records + WARM_UP))
    runs: list[list[Figure]] = []
    with tempfile.TemporaryDirectory(prefix="pilot-bench-") as tmp:
        root = Path(tmp)
        data_dir = root / "data"
        write_sandbox(build_sandbox(), data_dir)
        with notes.status(tr("generating {count} submissions", count=needed)):
            work = make_work(needed, uuid.uuid4().hex[:6])
        bench = PortBench(
            root=root,
            data_dir=data_dir,
            work=work,
            records=records,
            clients=clients,
            batch_size=batch_size,
            batch_clients=batch_clients,
            proof_entries=proof_entries,
            database_url=database_url,
            workers=workers,
            server_workers=server_workers,
            memory_submissions=memory_submissions,
            threads=threads,
            server_core=server_core if can_pin else None,
            client_core=client_core if can_pin else None,
            cores=tuple(sorted(cores)),
        )
        pin(bench.client_core)  # the registry runs beside the load generator
        registry = Registry(data_dir)
        try:
            for run in range(repeat):
                figures = bench.measure(registry, f"-{run + 1}", partial(_run_status, notes, run, repeat))
                relate(figures)
                runs.append(figures)
        finally:
            registry.stop()

    figures = median_runs(runs)
    report(figures, "pilot bench port", as_json)  # the command, not a text
    refused = [f for run in runs for f in run if set(f.extra.get("statuses", {})) - {201} or "error" in f.extra]
    if refused:
        raise typer.Exit(EXIT_FAILED)


@app.command("network")
def network_command(
    consignments: Annotated[int, typer.Option(help="Consignments timed (after one per exporter and port).")] = 180,
    clients: Annotated[int, typer.Option(help="Concurrent callers of the exporters' APIs.")] = 12,
    poll_ms: Annotated[int, typer.Option(help="How often the exporters' consignments are listed (ms).")] = 50,
    repeat: _RepeatOpt = 1,
    output_format: FormatOpt = OutputFormat.text,
) -> None:
    """Start the 6 + 3 network and measure consignments per second from the exporters' APIs to verified receipts."""
    from pilot.bench.network import NetworkBenchError, measure_network

    as_json = wants_json(output_format)
    notes = notes_console(as_json)
    if consignments < 1 or clients < 1 or poll_ms < 1:
        fail_usage(tr("--consignments, --clients and --poll-ms must be at least 1"))
    runs: list[list[Figure]] = []
    for run in range(repeat):
        doing = tr("starting the network and sending {count} consignments", count=consignments)
        with _run_status(notes, run, repeat, doing):
            try:
                runs.append(measure_network(consignments, clients, poll_s=poll_ms / 1000))
            except NetworkBenchError as exc:
                err_console.print(tr("[red]error:[/] {problem}", problem=str(exc)))
                raise typer.Exit(EXIT_FAILED) from exc
    report(median_runs(runs), "pilot bench network", as_json)  # the command, not a text
