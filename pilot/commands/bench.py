"""``pilot bench port``: the port's intake throughput and latency, and its log at 1,000,000 entries.

One run prints, on this machine:

1. the in-process bound: parse, canonicalize, hash, verify every proof, validate, decide, insert,
   append, sign checkpoint and receipt, commit; per submission, with no HTTP (and so no request
   signature check) — the ceiling the HTTP figures are compared with;
2. single submissions over HTTP from ``--clients`` concurrent clients (each its own connection, each
   request signed afresh with its own nonce): throughput, p50 and p99 latency, ratio to the bound;
3. batches over HTTP: throughput in submissions per second, ratio to the bound;
4. the log at ``--proof-entries`` leaves (bulk-loaded into SQLite): node start-up time, resident
   memory, and the time to serve an inclusion proof over HTTP (p50, p99).

The server (``pilot node port``, a real process) is pinned to ``--server-core`` and the load generator
to ``--client-core`` with ``sched_setaffinity`` (``taskset``), so they do not share a core. Each
submission is a manifest with three credentials, all different, so none is an idempotent replay.

The port checks every credential's status (docs/design.md §12) as in production, against a real
registry (``pilot node registry``, beside the load generator) that serves the sandbox's status lists;
a list is fetched once per ``ttl`` (5 minutes for those), so the figures include the check, not the
fetches. Every submission must be accepted: a held one (``STATUS_UNAVAILABLE``) would measure a
shortcut, so the in-process loop refuses to count it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import random
import sqlite3
import ssl
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from pilot.console import EXIT_FAILED, console, err_console, fail_usage, print_json
from pilot.output_format import FormatOpt, JsonFlagOpt, OutputFormat, wants_json
from pilot.processes import free_port, pilot_argv, rss_mib, spawn_logged, stop_process, wait_healthy
from pilot.tables import new_table

app = typer.Typer(help="Benchmarks.", no_args_is_help=True)

PORT_ID = "cn-port-01"
REGISTRY_ID = "registry"
EXPORTERS = ("ru-exp-01", "ru-exp-02", "ru-exp-03", "ru-exp-04", "ru-exp-05", "ru-exp-06")
JSON_HEADERS = {"content-type": "application/json"}


# -- the workload -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Work:
    """One submission ready to send: who sends it and its JSON bytes."""

    exporter: str
    body: bytes


def make_work(count: int, tag: str) -> list[Work]:
    """``count`` distinct valid submissions, each a manifest with three credentials, round-robin exporters."""
    import orjson

    from pilot.sandbox import DEFAULT_SEED, build_sandbox
    from pilot.synthetic import Signer, build_world, plan_consignment, sign_consignment

    signer = Signer(build_sandbox().keyrings)
    worlds = {e: build_world(DEFAULT_SEED, e) for e in EXPORTERS}
    work = []
    for n in range(count):
        exporter = EXPORTERS[n % len(EXPORTERS)]
        parts = plan_consignment(DEFAULT_SEED, worlds[exporter], f"bench-{tag}-{n}", PORT_ID, "sea")
        # One farm, the plant and the conformity credential (and no events or attestation): three credentials.
        parts.farms, parts.events, parts.attestation = parts.farms[:1], [], None
        document = sign_consignment(DEFAULT_SEED, parts, signer).submission
        work.append(Work(exporter, orjson.dumps(document)))
    return work


# -- measurements ---------------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured figure."""

    name: str
    rate: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    ratio: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _pin(core: int | None) -> None:
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})


@contextlib.contextmanager
def fresh_database(server_url: str | None, directory: Path, name: str) -> Iterator[str]:
    """A new empty database: a SQLite file in ``directory``, or a new PostgreSQL database dropped after.

    The PostgreSQL database is created as ``pilot up`` creates the nodes' (``ensure_databases``).
    """
    if not server_url:
        yield f"sqlite:///{directory / (name + '.db')}"
        return
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from pilot.postgres_databases import ensure_databases

    database = f"bench_{name}_{uuid.uuid4().hex[:8]}"
    url = make_url(server_url).set(database=database).render_as_string(hide_password=False)
    ensure_databases([url])
    try:
        yield url
    finally:
        admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        try:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        finally:
            admin.dispose()


def measure_bound(data_dir: Path, database_url: str, work: list[Work], registry: Registry) -> Figure:
    """The in-process loop: strict parse + ``IntakeService.submit`` (assess, store, append, sign, commit)."""
    from node_core.settings import NodeSettings
    from port_node.state import PortNode, receive_time
    from schemas.jsonio import parse_json

    settings = NodeSettings(
        node_id=PORT_ID, data_dir=data_dir, database_url=database_url, peer_urls={REGISTRY_ID: registry.url}
    )
    context = PortNode.open(settings)
    try:
        for item in work[:10]:  # warm-up (imports, caches, first connections, the status lists)
            context.intake.submit(parse_json(item.body), item.exporter, receive_time())
        started = time.perf_counter()
        for item in work[10:]:
            outcome = context.intake.submit(parse_json(item.body), item.exporter, receive_time())
            if outcome.status != 201 or outcome.stored.decision != "accepted":
                raise RuntimeError(
                    f"bound loop got {outcome.status} {outcome.stored.decision} {outcome.stored.reason_codes}"
                )
        elapsed = time.perf_counter() - started
    finally:
        context.close()
    rate = (len(work) - 10) / elapsed
    return Figure("in-process bound", rate=rate, note=f"{len(work) - 10} submissions, {1000 / rate:.2f} ms each")


class NodeServer:
    """``pilot node KIND`` as a child process, optionally pinned to one core (``pilot.processes``: spawned,
    waited for, stopped)."""

    def __init__(
        self, kind: str, node_id: str, data_dir: Path, *, env: dict[str, str], core: int | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = pilot_argv("node", kind, "--id", node_id, "--data-dir", str(data_dir))
        command += ["--listen", f"127.0.0.1:{self.port}"]
        if core is not None:
            command = ["taskset", "-c", str(core), *command]
        self.log_path = data_dir / f"{kind}-{self.port}.log"
        started = time.perf_counter()
        self.process = spawn_logged(command, log_path=self.log_path, env=env)
        try:
            wait_healthy(self.process, self.url, log_path=self.log_path, timeout_s=120)
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started

    @property
    def rss_mib(self) -> float:
        """Resident memory of the node process (the child of ``taskset`` execs in place)."""
        return rss_mib(self.process.pid)

    def stop(self) -> None:
        stop_process(self.process)


def _node_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PILOT_DATABASE_URL", "DATABASE_URL")}
    return env | overrides


class Registry(NodeServer):
    """``pilot node registry``, serving the data dir's status lists (published once it is healthy)."""

    def __init__(self, data_dir: Path) -> None:
        from pilot.status_publishing import publish_data_dir_lists

        super().__init__("registry", REGISTRY_ID, data_dir, env=_node_env())
        try:
            refused = [p for p in publish_data_dir_lists(data_dir, self.url) if not p.ok]
            if refused:
                raise RuntimeError(f"the registry refused the sandbox's status lists: {refused}")
        except BaseException:
            self.stop()
            raise


class Server(NodeServer):
    """``pilot node port`` on ``database_url``, finding ``registry`` as its peer."""

    def __init__(self, data_dir: Path, database_url: str, core: int | None, registry: Registry) -> None:
        env = _node_env(DATABASE_URL=database_url, PILOT_PEER_URLS=f"{REGISTRY_ID}={registry.url}")
        super().__init__("port", PORT_ID, data_dir, env=env, core=core)


async def _drive(
    url: str, work: list[Work], clients: int, path: str, per_request: int
) -> tuple[float, list[float], dict[int, int]]:
    """Send every item from ``clients`` workers, each with its own client; (elapsed, latencies, statuses)."""
    import httpx
    import orjson

    from node_core.http_signatures import RequestSigner
    from pilot.sandbox import build_sandbox
    from pilot.synthetic import Signer

    keyring = Signer(build_sandbox().keyrings)
    signers = {e: RequestSigner(keyring.key(e).private_key, keyring.key(e).verification_method) for e in EXPORTERS}
    # Batches are grouped by exporter (a batch is one exporter's): requests are (exporter, body) pairs.
    requests: list[tuple[str, bytes]] = []
    if per_request == 1:
        requests = [(w.exporter, w.body) for w in work]
    else:
        by_exporter: dict[str, list[bytes]] = {}
        for item in work:
            by_exporter.setdefault(item.exporter, []).append(item.body)
        for exporter, bodies in by_exporter.items():
            for start in range(0, len(bodies), per_request):
                chunk = bodies[start : start + per_request]
                requests.append((exporter, b'{"submissions":[' + b",".join(chunk) + b"]}"))
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for request in requests:
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
            if per_request == 1:
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            else:
                for result in orjson.loads(response.content).get("results", [{"status": response.status_code}]):
                    statuses[result["status"]] = statuses.get(result["status"], 0) + 1

    # One client (one connection) per worker, made and connected before the clock starts.
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


def measure_http(server: Server, work: list[Work], clients: int, per_request: int, bound: float) -> Figure:
    """Throughput (submissions/s) and latency of single or batched submissions over HTTP."""
    path = "/v1/submissions" if per_request == 1 else "/v1/submissions:batch"
    warm, timed = work[:20], work[20:]
    asyncio.run(_drive(server.url, warm, min(clients, 4), path, 1 if per_request == 1 else 10))
    elapsed, latencies, statuses = asyncio.run(_drive(server.url, timed, clients, path, per_request))
    rate = len(timed) / elapsed
    name = f"single, {clients} clients" if per_request == 1 else f"batch of {per_request}, {clients} clients"
    good = statuses.get(201, 0)
    return Figure(
        name,
        rate=rate,
        p50_ms=_percentile(latencies, 0.5) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        ratio=rate / bound,
        note=f"{len(timed)} submissions, {good} created" + ("" if good == len(timed) else f", statuses {statuses}"),
        extra={"statuses": statuses, "server_rss_mib": server.rss_mib},
    )


def bulk_load(data_dir: Path, entries: int) -> str:
    """A migrated SQLite port database holding ``entries`` synthetic leaves (no submission rows: not for fsck)."""
    from node_core.database import run_migrations
    from port_node.state import MIGRATIONS
    from schemas.receipt import leaf_input_of, log_entry

    path = data_dir / "bulk.db"
    url = f"sqlite:///{path}"
    run_migrations(url, MIGRATIONS)

    def leaves() -> Iterator[tuple[int, bytes, bytes]]:
        for index in range(entries):
            digest = "sha-256:" + hashlib.sha256(index.to_bytes(8, "big")).hexdigest()
            data = leaf_input_of(
                log_entry(
                    exporter=EXPORTERS[index % 6],
                    submission_id=f"bulk-{index}",
                    submission_digest=digest,
                    decision="accepted",
                    reason_codes=[],
                    received_at="2026-11-01T00:00:00Z",
                )
            )
            yield index, data, hashlib.sha256(b"\x00" + data).digest()

    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.executemany(
                "INSERT INTO log_leaves (leaf_index, leaf_input, leaf_hash) VALUES (?, ?, ?)", leaves()
            )
            connection.execute("UPDATE log_head SET size = ? WHERE id = 1", (entries,))
    finally:
        connection.close()
    return url


def measure_proofs(server: Server, entries: int, samples: int) -> Figure:
    """Latency of ``GET /v1/log/proof/inclusion`` for random leaves of the whole tree, one client."""
    import httpx

    rng = random.Random(7)
    latencies = []
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for n in range(samples + 50):
            index = rng.randrange(entries)
            started = time.perf_counter()
            response = client.get("/v1/log/proof/inclusion", params={"index": index, "size": entries})
            elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"inclusion proof answered {response.status_code}: {response.text[:200]}")
            if n >= 50:
                latencies.append(elapsed)
    return Figure(
        f"inclusion proof at {entries:,} entries",
        rate=len(latencies) / sum(latencies),
        p50_ms=_percentile(latencies, 0.5) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        note=f"node start-up {server.startup_s:.2f} s, resident memory {server.rss_mib:.0f} MiB",
        extra={"startup_s": server.startup_s, "server_rss_mib": server.rss_mib},
    )


# -- the command -----------------------------------------------------------------------------------------


@app.command("port")
def port_command(
    records: Annotated[int, typer.Option(help="Submissions per phase (bound, single, batch).")] = 600,
    clients: Annotated[int, typer.Option(help="Concurrent HTTP clients for single submissions.")] = 32,
    batch_size: Annotated[int, typer.Option(help="Submissions per batch request.")] = 100,
    batch_clients: Annotated[int, typer.Option(help="Concurrent HTTP clients for batches.")] = 2,
    proof_entries: Annotated[int, typer.Option(help="Log size for the inclusion-proof figure (0: skip).")] = 1_000_000,
    server_core: Annotated[int, typer.Option(help="CPU core the port node is pinned to.")] = 0,
    client_core: Annotated[int, typer.Option(help="CPU core the load generator is pinned to.")] = 1,
    database_url: Annotated[
        str | None,
        typer.Option(help="PostgreSQL server URL: fresh databases are made there (default: SQLite files)."),
    ] = None,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Measure the port's intake (in process, single and batched over HTTP) and its log at scale."""
    as_json = wants_json(output_format, as_json)
    if records < 50 or clients < 1 or batch_size < 1:
        fail_usage("--records must be at least 50, --clients and --batch-size at least 1")
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    pin = server_core in cores and client_core in cores and server_core != client_core
    if not pin:
        err_console.print("[yellow]warning:[/] cannot pin server and client to different cores; figures share a CPU")
    from pilot.sandbox import build_sandbox, write_sandbox

    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="pilot-bench-") as tmp:
        root = Path(tmp)
        data_dir = root / "data"
        write_sandbox(build_sandbox(), data_dir)
        status = console.status("generating submissions") if not as_json else contextlib.nullcontext()
        with status:
            work = make_work(3 * records + 60, uuid.uuid4().hex[:6])
        bound_work, single_work, batch_work = (
            work[: records + 10],
            work[records + 10 : 2 * records + 40],
            work[2 * records + 40 :],
        )

        _pin(client_core if pin else None)  # the registry runs beside the load generator
        registry = Registry(data_dir)
        try:
            _pin(server_core if pin else None)
            with fresh_database(database_url, root, "bound") as url:
                bound = measure_bound(data_dir, url, bound_work, registry)
            figures.append(bound)
            _pin(client_core if pin else None)
            assert bound.rate is not None

            with fresh_database(database_url, root, "http") as url:
                server = Server(data_dir, url, server_core if pin else None, registry)
                try:
                    rss_before = server.rss_mib
                    figures.append(measure_http(server, single_work, clients, 1, bound.rate))
                    figures.append(measure_http(server, batch_work, batch_clients, batch_size, bound.rate))
                    figures[-1].extra["server_rss_before_mib"] = rss_before
                finally:
                    server.stop()

            if proof_entries > 0:
                proof_dir = root / "proof"
                write_sandbox(build_sandbox(), proof_dir)
                loading = time.perf_counter()
                url = bulk_load(proof_dir, proof_entries)
                load_s = time.perf_counter() - loading
                server = Server(proof_dir, url, server_core if pin else None, registry)
                try:
                    figure = measure_proofs(server, proof_entries, 2000)
                    figure.extra["bulk_load_s"] = load_s
                    figures.append(figure)
                finally:
                    server.stop()
        finally:
            registry.stop()

    _report(figures, as_json)
    single = next((f for f in figures if f.name.startswith("single")), None)
    if single is not None and single.extra["statuses"].keys() - {201}:
        raise typer.Exit(EXIT_FAILED)


def _report(figures: list[Figure], as_json: bool) -> None:
    if as_json:
        print_json([figure.__dict__ for figure in figures])
        return
    table = new_table("figure", "per second", "p50 ms", "p99 ms", "of bound", "note", title="pilot bench port")

    def fmt(value: float | None, spec: str) -> str:
        return "" if value is None else format(value, spec)

    for figure in figures:
        table.add_row(
            figure.name,
            fmt(figure.rate, ",.0f"),
            fmt(figure.p50_ms, ".2f"),
            fmt(figure.p99_ms, ".2f"),
            fmt(figure.ratio, ".0%"),
            figure.note,
        )
    console.print(table)
    memory = [f for f in figures if "server_rss_mib" in f.extra]
    if memory:
        console.print(
            "server resident memory: " + ", ".join(f"{f.name}: {f.extra['server_rss_mib']:.0f} MiB" for f in memory)
        )


__all__ = ["app", "make_work"]
