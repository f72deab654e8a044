"""``pilot demo``: the whole 6 + 3 network, a scripted scenario with fault cases, checks, and a summary."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pilot.console import EXIT_FAILED, console, fail_usage, print_json, untrusted
from pilot.data_dir import default_data_dir
from pilot.demo.scenario import NetworkControl, run_scenario
from pilot.demo.summary import print_summary, render_html, summary_json
from pilot.language import LangOpt, tr
from pilot.output_format import FormatOpt, OutputFormat, notes_console, wants_json
from pilot.participants import EXPORTER_IDS, PORT_IDS
from pilot.sandbox import DEFAULT_SEED

DEMO_ENV = {"PILOT_RETRY_BASE_S": "0.25", "PILOT_GIVE_UP_S": "120"}


def _free_base_port() -> int:
    """A base port whose 21 ports are all free, up to the registry's (the demo's own network avoids a running one)."""
    for base in range(18100, 30000, 21):
        with contextlib.ExitStack() as stack:
            try:
                for offset in range(21):
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", base + offset))
            except OSError:
                continue
            return base
    fail_usage(tr("no free range of 21 loopback ports found for the demo network"))


def _running_network(data_dir: Path) -> NetworkControl | None:
    """The network `pilot up` runs in ``data_dir`` when every node there is healthy, else None."""
    from pilot.launcher import network_health
    from pilot.network_file import read_record

    try:
        record = read_record(data_dir)
        health = network_health(data_dir)
    except (ValueError, OSError):
        return None
    if record is None or not health["running"] or not set(PORT_IDS) | set(EXPORTER_IDS) <= set(health["nodes"]):
        return None
    from node_core.auth import read_token

    urls = {name: entry.url for name, entry in record.nodes.items()}
    pids = {name: entry.pid for name, entry in record.nodes.items()}
    tokens = {n: read_token(data_dir / "tokens", n) for n in EXPORTER_IDS}
    # Someone else supervises these processes: a paused process stands in for a port that is down.
    return NetworkControl(
        urls,
        tokens,
        stop_node=lambda n: os.kill(pids[n], signal.SIGSTOP),
        start_node=lambda n: os.kill(pids[n], signal.SIGCONT),
        data_dir=data_dir,
    )


@contextlib.contextmanager
def _own_network(keep: Path | None, notes: Console) -> Iterator[NetworkControl]:
    from pilot.commands.network import report_start_error
    from pilot.launcher import StartError, UsageError, start_network

    with tempfile.TemporaryDirectory(prefix="pilot-demo-") as temporary:
        data_dir = keep or Path(temporary)
        base = _free_base_port()
        with notes.status(
            tr(
                "starting 10 nodes in {directory} (ports {first}-{last})",
                directory=data_dir,
                first=base + 1,
                last=base + 20,
            )
        ):
            try:
                network = start_network(data_dir, base, env=DEMO_ENV, overview=False)
            except UsageError as exc:
                fail_usage(exc.phrase)
            except StartError as exc:
                report_start_error(exc)
                raise typer.Exit(EXIT_FAILED) from None
        with network:
            tokens = {n: network.token(n) for n in EXPORTER_IDS}
            yield NetworkControl(
                network.urls, tokens, stop_node=network.stop_node, start_node=network.start_node, data_dir=data_dir
            )


def demo_command(
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Use the network `pilot up` runs here.")] = None,
    seed: Annotated[str, typer.Option(help="Seed of the synthetic farms, lots and certificates.")] = DEFAULT_SEED,
    consignments: Annotated[
        int, typer.Option("--consignments", min=1, max=50, help="Consignments per exporter and port.")
    ] = 2,
    report: Annotated[Path | None, typer.Option("--report", help="Write an HTML report here.")] = None,
    keep: Annotated[
        Path | None,
        typer.Option(
            "--keep",
            help="When the demo starts its own nodes, start them in this directory and leave their data there "
            "(keys, databases, logs) for inspection afterwards.",
        ),
    ] = None,
    output_format: FormatOpt = OutputFormat.text,
    lang: LangOpt = None,
) -> None:
    """Run the pilot scenario: 6 exporters ship to 3 ports, with fault cases, an outage, and full checks.

    Uses the network `pilot up` runs in the data directory when every node there is healthy; otherwise
    starts its own ten nodes in a temporary directory and stops them at the end. Exit 0 only when
    every expected outcome matched and every receipt and log verified. With --format json the summary is one
    JSON document on stdout, and the progress goes to stderr. --lang chooses the language of the summary
    and of the HTML report.
    """
    del lang  # applied by its callback (pilot.language)
    machine = wants_json(output_format)
    notes = notes_console(machine)
    started = time.monotonic()
    directory = data_dir or default_data_dir()
    control = _running_network(directory)
    if control is not None:
        notes.print(tr("using the network running in {directory}", directory=untrusted(directory)))
        context: contextlib.AbstractContextManager[NetworkControl] = contextlib.nullcontext(control)
    else:
        context = _own_network(keep, notes)
    with context as network:
        result = run_scenario(network, seed=seed, per_pair=consignments, console=notes)
    result.elapsed_s = time.monotonic() - started
    if machine:
        print_json(summary_json(result))
    else:
        print_summary(result, console)
    if report is not None:
        report.write_text(render_html(result))
        notes.print(tr("HTML report: {path}", path=untrusted(report)))
    if not result.ok:
        raise typer.Exit(EXIT_FAILED)
