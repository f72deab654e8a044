"""``pilot up``, ``pilot status`` and ``pilot down``: the pilot network as local processes (docs/design.md §§6, 9).

``pilot up`` stays in the foreground by default (like ``docker compose up``), supervising the nodes until
Ctrl-C or SIGTERM; ``--detach`` returns once every node is healthy and leaves them running for
``pilot status``/``pilot down``. Exit status: 0 success, 1 a node failed or is down, 2 bad usage (a
busy port, a network already running, an unusable database template).

With ``--format json`` each prints one JSON document on stdout (``pilot up``: once every node is healthy)
and its notes for people on stderr.
"""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from pilot.console import EXIT_FAILED, EXIT_OK, console, err_console, fail_usage, print_json, untrusted
from pilot.data_dir import default_data_dir
from pilot.language import N_, localized, tr
from pilot.launcher import (
    DEFAULT_TIMEOUT_S,
    Network,
    StartError,
    UsageError,
    network_health,
    start_network,
    stop_network,
)
from pilot.network_file import NetworkRecordError
from pilot.network_plan import DEFAULT_BASE_PORT
from pilot.output_format import FormatOpt, JsonFlagOpt, OutputFormat, notes_console, wants_json
from pilot.safe_text import visible
from pilot.tables import new_table
from schemas.phrase import Phrase

__all__ = ["down_command", "node_links", "status_command", "up_command"]

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory holding the sandbox and network.json (default: $PILOT_DATA_DIR, else ./pilot-data).",
    ),
]


def node_links(network: Network) -> list[tuple[str, str, Phrase]]:
    """``(node id, link, note)`` for each node: a port's or an exporter's dashboard with its operator token, the
    registry's API docs. The note is English (``str()``; the JSON output's), shown translated (``localized``).

    The registry has no dashboard (a JSON API only), so its ``GET /`` is a 404: the link printed for it is its
    interactive API documentation (``/docs``). Every link printed answers 200 (a dashboard after its redirect
    that sets the node's cookie and drops the token from the address).
    """
    links = []
    for node_id, child in network.children.items():
        if child.kind == "registry":
            links.append((node_id, f"{child.url}/docs", Phrase("API docs (the registry has no dashboard)")))
            continue
        try:
            links.append((node_id, network.dashboard_url(node_id), Phrase("dashboard")))
        except (OSError, ValueError):
            note = Phrase("dashboard: no token file in {path}", path=network.data_dir / "tokens")
            links.append((node_id, f"{child.url}/", note))
    return links


def _print_nodes(network: Network) -> None:
    """The nodes table, then the links on lines of their own (so they stay whole and clickable)."""
    table = new_table(
        tr("node"), tr("role"), tr("URL"), title=tr("pilot network in {path}", path=untrusted(network.data_dir))
    )
    for node_id, child in network.children.items():
        table.add_row(node_id, child.kind, child.url)
    if network.overview_url:
        table.add_row("overview", "page", network.overview_url)
    console.print(table)
    console.print(tr("Links (the dashboard links carry each node's operator token: keep them private):"))
    for node_id, link, note in node_links(network):
        console.print(f"  {node_id}  {link}  [dim]{untrusted(localized(note))}[/]", soft_wrap=True)


def _up_report(network: Network) -> dict[str, Any]:
    """``pilot up --format json``: the nodes with their links, the overview, the status lists published, the files."""
    children = network.children
    return {
        "dataDir": str(network.data_dir),
        "nodes": {
            node_id: {"role": children[node_id].kind, "url": children[node_id].url, "link": link, "note": str(note)}
            for node_id, link, note in node_links(network)
        },
        "overview": network.overview_url,
        "statusLists": [
            {
                "file": str(p.path),
                "published": p.ok,
                "superseded": p.superseded,
                "error": None if p.error is None else str(p.error),
            }
            for p in network.publications
        ],
        "logs": str(network.data_dir / "logs"),
        "networkFile": str(network.data_dir / "network.json"),
    }


def _print_publications(network: Network) -> None:
    """One line on the status lists published to the registry, and one per list that was not."""
    from pilot.sandbox import STATUS_LISTS_DIR

    if not network.publications:
        warning = tr(
            "{path} holds no status lists, so the ports cannot check any credential's status and will hold "
            "submissions for inspection (a data dir made before status lists: `pilot init --force` makes a new "
            "sandbox).",
            path=untrusted(network.data_dir / STATUS_LISTS_DIR),
        )
        err_console.print(f"[yellow]{tr('warning:')}[/] {warning}")
        return
    held = [p for p in network.publications if p.ok]
    new = sum(1 for p in held if p.published is not None and p.published.status == 201)
    newer = sum(1 for p in held if p.superseded)
    console.print(
        tr(
            "Status lists published to the registry: {held} of {total} ({new} new, {kept} already held, {newer} "
            "superseded by a newer version).",
            held=len(held),
            total=len(network.publications),
            new=new,
            kept=len(held) - new - newer,
            newer=newer,
        )
    )
    for failure in (p for p in network.publications if not p.ok):
        problem = tr(
            "status list {path} was not published: {problem}",
            path=untrusted(failure.path),
            problem=untrusted(localized(failure.error) if failure.error is not None else ""),
        )
        err_console.print(f"[yellow]{tr('warning:')}[/] {problem}")


def _print_log_tail(name: str, log: str) -> None:
    """A node's last log lines, unwrapped (tracebacks stay readable and copyable)."""
    err_console.rule(tr("{name}: last lines of its log", name=untrusted(name)), align="left")
    err_console.print(visible(log) or tr("(empty log)"), markup=False, highlight=False, soft_wrap=True)
    err_console.rule()


def report_start_error(error: StartError) -> None:
    """Say why the network did not start, with the tail of each failed node's log (``pilot up``, ``pilot demo``)."""
    err_console.print(f"[bold red]{tr('error:')}[/] {untrusted(localized(error.phrase))}")
    for node_id, log in error.logs.items():
        _print_log_tail(node_id, log)
    err_console.print(tr("Every process that had been started was stopped."))


class _Terminated(Exception):
    """SIGTERM arrived: stop like Ctrl-C."""


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise _Terminated


def _supervise(network: Network, reported: set[str], notes: Console) -> int:
    """Watch the nodes until interrupted or all are gone, reporting each death once (names go to ``reported``)."""
    notes.print(tr("Supervising the nodes; press Ctrl-C to stop them all."))
    while True:
        for name, code in network.dead().items():
            if name not in reported:
                reported.add(name)
                err_console.print(f"[bold red]{tr('{name} exited with status {code}', name=name, code=code)}[/]")
                _print_log_tail(name, network.log_tail(name))
        if set(network.children) <= reported:
            err_console.print(f"[red]{tr('every node has exited')}[/]")
            return EXIT_FAILED
        time.sleep(0.5)


def up_command(
    data_dir: DataDirOption = None,
    base_port: Annotated[
        int,
        typer.Option("--base-port", help="Overview at P, cn-port-0k at P+k, ru-exp-0k at P+10+k, registry at P+20."),
    ] = DEFAULT_BASE_PORT,
    database_url_template: Annotated[
        str | None,
        typer.Option(
            "--database-url-template",
            help="Run on PostgreSQL: a DATABASE_URL with {id} (the short id, e.g. cn-port-01) or {db} "
            "(pilot_cn_port_01); each node's database is created if missing. Default: SQLite files in the data dir.",
        ),
    ] = None,
    detach: Annotated[
        bool,
        typer.Option(
            "--detach/--foreground",
            help="--detach returns once all nodes are healthy and leaves them running (stop with `pilot down`); "
            "--foreground (the default) supervises them until Ctrl-C.",
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds to wait for every node's /health.")
    ] = DEFAULT_TIMEOUT_S,
    output_format: FormatOpt = OutputFormat.text,
) -> None:
    """Start the ten nodes (pilot init first if the data dir has no sandbox) and print where they are.

    Each node logs to <data dir>/logs/<id>.log; <data dir>/network.json records URLs and pids; the overview
    page is at the base port. Once all are healthy, the data dir's status lists (status-lists/) are published to
    the registry. A node that fails during start-up is reported with the end of its log, the
    others are stopped, and the exit status is 1. In the foreground (the default), a node that dies later is
    reported with its log too; Ctrl-C or SIGTERM stops every node (SIGTERM, then SIGKILL after 10 s) and
    removes network.json, with exit status 1 if a node had died, else 0. With --format json, the nodes, their
    links and the status lists published are one JSON document on stdout, printed once all are healthy.
    """
    machine = wants_json(output_format)
    notes = notes_console(machine)
    directory = data_dir or default_data_dir()
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    network: Network | None = None
    status = EXIT_OK
    died: set[str] = set()
    try:
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=notes,
            transient=True,
        ) as progress:
            task = progress.add_task(tr("starting nodes, waiting for /health"), total=None)

            def on_progress(healthy: list[str], total: int) -> None:
                description = tr("healthy: {node}", node=healthy[-1])
                progress.update(task, total=total, completed=len(healthy), description=description)

            network = start_network(
                directory,
                base_port,
                database_url_template=database_url_template,
                timeout_s=timeout,
                on_progress=on_progress,
            )
        if machine:
            print_json(_up_report(network))
            sys.stdout.flush()
        else:
            _print_nodes(network)
            _print_publications(network)
            where = network.data_dir
            console.print(
                tr(
                    "Logs: {logs}   network file: {network_file}",
                    logs=untrusted(where / "logs"),
                    network_file=untrusted(where / "network.json"),
                )
            )
        if detach:
            notes.print(tr("Running detached; stop with `pilot down --data-dir {path}`.", path=untrusted(directory)))
            network = None  # leave it running
            return
        status = _supervise(network, died, notes)
    except UsageError as exc:
        fail_usage(exc.phrase)
    except StartError as exc:
        report_start_error(exc)
        raise typer.Exit(EXIT_FAILED) from None
    except (KeyboardInterrupt, _Terminated):
        notes.print(tr("Stopping the nodes…"))
        status = EXIT_FAILED if died else EXIT_OK
    finally:
        if network is not None:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the shutdown short
            network.stop()
            notes.print(tr("All nodes stopped; network.json removed."))
        signal.signal(signal.SIGTERM, previous)
    raise typer.Exit(status)


def _state(node: dict[str, Any]) -> str:
    """A node's state in ``pilot status``'s table: up, degraded, not answering (its pid runs) or down."""
    if node.get("status") == "degraded":
        return f"[yellow]{tr('degraded (no intake)')}[/]"
    if node["up"]:
        return f"[green]{tr('up')}[/]"
    return f"[yellow]{tr('not answering')}[/]" if node["alive"] else f"[red]{tr('down')}[/]"


#: ``stop_network``'s outcomes (JSON codes), as ``pilot down``'s table shows them.
_OUTCOMES = {"stopped": N_("stopped"), "killed": N_("killed"), "not running": N_("not running")}


def status_command(
    data_dir: DataDirOption = None,
    output_format: FormatOpt = OutputFormat.text,
    as_json: JsonFlagOpt = False,
) -> None:
    """Show each node of the network `pilot up` started: up or down, trust-list sequence, database.

    Exit status 1 when any node is down or no network is recorded in the data dir.
    """
    directory = data_dir or default_data_dir()
    try:
        health: dict[str, Any] = network_health(directory)
    except NetworkRecordError as exc:
        fail_usage(exc.phrase)
    if wants_json(output_format, as_json):
        print_json(health)
    elif not health["nodes"]:
        err_console.print(tr("No network recorded in {path} (start one with `pilot up`).", path=untrusted(directory)))
    else:
        headers = (N_("node"), N_("role"), N_("state"), N_("pid"), N_("trust list"), N_("database"), N_("URL"))
        table = new_table(*(tr(h) for h in headers), title=tr("pilot network in {path}", path=untrusted(directory)))
        for node_id, node in health["nodes"].items():
            state = _state(node)
            sequence = node["trustListSequence"]
            table.add_row(  # the sequence and database come from the node's /health: shown literally
                untrusted(node_id),
                untrusted(node["kind"]),
                state,
                str(node["pid"]),
                "" if sequence is None else untrusted(sequence),
                untrusted(node["database"] or ""),
                untrusted(node["url"]),
            )
        overview = health["overview"]
        if overview:
            table.add_row(
                "overview",
                "page",
                f"[green]{tr('up')}[/]" if overview["up"] else f"[red]{tr('down')}[/]",
                str(overview["pid"]),
                "",
                "",
                overview["url"],
            )
        console.print(table)
    raise typer.Exit(EXIT_OK if health["running"] else EXIT_FAILED)


def down_command(
    data_dir: DataDirOption = None,
    grace: Annotated[float, typer.Option("--grace", help="Seconds to wait after SIGTERM before SIGKILL.")] = 10.0,
    output_format: FormatOpt = OutputFormat.text,
) -> None:
    """Stop the nodes `pilot up --detach` left running (pids from network.json) and remove network.json.

    Stale entries (processes already gone) are cleaned up too; with nothing recorded this does nothing.
    With --format json: {"dataDir", "processes": {name: "stopped" | "killed" | "not running"}}.
    """
    directory = data_dir or default_data_dir()
    outcome = stop_network(directory, grace_s=grace)
    if wants_json(output_format):
        print_json({"dataDir": str(directory), "processes": outcome})
        return
    if not outcome:
        console.print(tr("Nothing to stop: no network recorded in {path}.", path=untrusted(directory)))
        return
    table = new_table(
        tr("process"), tr("outcome"), title=tr("pilot down: the network in {path}", path=untrusted(directory))
    )
    for name, result in outcome.items():
        shown = tr(_OUTCOMES[result]) if result in _OUTCOMES else result
        table.add_row(untrusted(name), untrusted(shown))
    console.print(table)
