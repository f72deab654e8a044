"""``pilot bench network``: consignments per second from the exporters' APIs to verified receipts, 6 + 3 nodes.

The network is started as ``pilot up`` starts it (``pilot.launcher.start_network``: the ten nodes as real
processes on a free range of loopback ports, in a temporary data directory) and the exporters are seeded as
``pilot demo`` seeds them (``pilot.demo.scenario.Scenario.seed_exporter``: farms registered, certificates and
attestations imported). Then, through the exporters' operator APIs only: one untimed consignment per exporter
and port (warm-up), and ``consignments`` more, taking turns over the 18 pairs, sent by ``clients`` concurrent
callers (``POST /v1/consignments``: build, sign, pre-check, queue; the exporter delivers in the background and
verifies the receipt). A poller lists each exporter's consignments every ``poll_s``; a consignment's end-to-end
time runs from just before its ``POST`` to the poll that first shows it final, so it is late by up to
``poll_s`` (the figure says so). Throughput is the consignments over the time from the first ``POST`` to the
last seen final.

After the clock: every consignment must be ``delivered`` (or ``delivered_with_warnings``) and its receipt must
verify here too, with the trust list (``pilot.demo.checks.check_receipt``: signature, inclusion proof,
checkpoint); and the floor is measured on the very submissions the exporters sent (``floor``).
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pilot.bench.figure import Figure, percentile, relate
from pilot.bench.floor import measure_floor
from schemas.phrase import Phrase

__all__ = ["NetworkBenchError", "measure_network"]

#: Retries come soon in a benchmark (as in ``pilot demo``); nothing should need one.
NETWORK_ENV = {"PILOT_RETRY_BASE_S": "0.25", "PILOT_GIVE_UP_S": "120"}
FINAL_STATES = ("delivered", "delivered_with_warnings", "failed")
DELIVERED = ("delivered", "delivered_with_warnings")
#: Most consignments one list request returns (``GET /v1/consignments?limit=``).
LIST_LIMIT = 1000


class NetworkBenchError(RuntimeError):
    """The network benchmark could not run, or a consignment did not end with a verified receipt."""


@dataclass(frozen=True)
class Shipment:
    """One consignment to ask an exporter for."""

    exporter: str
    port: str
    consignment_id: str
    lots: list[dict[str, Any]]


@dataclass
class Timing:
    """What the clock saw of the shipments: start and end per consignment, and the final states."""

    started: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def _free_base_port() -> int:
    """A base port whose planned ports are all free (searching above the ranges ``pilot up`` and the demo use)."""
    from pilot.launcher import busy_ports
    from pilot.network_plan import planned_ports

    for base in range(31000, 60000, 21):
        if not busy_ports(planned_ports(base)):
            return base
    raise NetworkBenchError("no free range of loopback ports for the network")


def _plan(seed: str, tag: str, count: int, start: int) -> list[Shipment]:
    """``count`` consignments taking turns over every (exporter, port) pair, numbered from ``start``."""
    from pilot.demo.scenario import TRANSPORT
    from pilot.participants import EXPORTER_IDS, PORT_IDS
    from pilot.synthetic import build_world, plan_consignment

    pairs = [(e, p) for e in EXPORTER_IDS for p in PORT_IDS]
    worlds = {e: build_world(seed, e) for e in EXPORTER_IDS}
    shipments = []
    for n in range(start, start + count):
        exporter, port = pairs[n % len(pairs)]
        consignment_id = f"bench-{tag}-{n}"
        parts = plan_consignment(seed, worlds[exporter], consignment_id, port, TRANSPORT[port], n)
        shipments.append(Shipment(exporter, port, consignment_id, parts.lots))
    return shipments


async def _ship_all(
    urls: dict[str, str],
    tokens: dict[str, str],
    shipments: list[Shipment],
    clients: int,
    poll_s: float,
    timeout_s: float,
) -> Timing:
    """Send every shipment from ``clients`` callers and poll until each is final; the clock's view of it."""
    import httpx

    timing = Timing()
    queue: asyncio.Queue[Shipment] = asyncio.Queue()
    for shipment in shipments:
        queue.put_nowait(shipment)
    pending: dict[str, set[str]] = {exporter: set() for exporter in tokens}
    sending = [clients]
    http = {
        exporter: httpx.AsyncClient(
            base_url=urls[exporter], timeout=120, headers={"Authorization": f"Bearer {token}"}, trust_env=False
        )
        for exporter, token in tokens.items()
    }

    async def sender() -> None:
        try:
            while True:
                try:
                    shipment = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                body = {"destination": shipment.port, "lots": shipment.lots, "consignmentId": shipment.consignment_id}
                timing.started[shipment.consignment_id] = time.perf_counter()
                response = await http[shipment.exporter].post("/v1/consignments", json=body)
                if response.status_code == 202:
                    pending[shipment.exporter].add(shipment.consignment_id)
                else:
                    timing.refused[shipment.consignment_id] = f"HTTP {response.status_code} {response.text[:200]}"
        finally:
            sending[0] -= 1

    async def poller() -> None:
        deadline = time.monotonic() + timeout_s
        while sending[0] > 0 or any(pending.values()):
            if time.monotonic() > deadline:
                return
            for exporter, ids in pending.items():
                if not ids:
                    continue
                response = await http[exporter].get("/v1/consignments", params={"limit": LIST_LIMIT})
                seen = time.perf_counter()
                response.raise_for_status()
                for row in response.json():
                    if row["id"] in ids and row["state"] in FINAL_STATES:
                        ids.discard(row["id"])
                        timing.ended[row["id"]] = seen
                        timing.states[row["id"]] = row["state"]
            await asyncio.sleep(poll_s)

    try:
        await asyncio.gather(*(sender() for _ in range(clients)), poller())
    finally:
        await asyncio.gather(*(client.aclose() for client in http.values()))
    for exporter, ids in pending.items():
        for consignment_id in ids:
            timing.states[consignment_id] = f"not final after {timeout_s:g} s (at {exporter})"
    return timing


def _check(timing: Timing, shipments: list[Shipment]) -> None:
    """Every shipment delivered; ``NetworkBenchError`` naming the first few that were not."""
    problems = [
        f"{s.consignment_id}: refused, {timing.refused[s.consignment_id]}"
        for s in shipments
        if s.consignment_id in timing.refused
    ]
    problems += [
        f"{s.consignment_id}: {timing.states.get(s.consignment_id)}"
        for s in shipments
        if s.consignment_id not in timing.refused and timing.states.get(s.consignment_id) not in DELIVERED
    ]
    if problems:
        raise NetworkBenchError(f"{len(problems)} consignment(s) without a receipt: " + "; ".join(problems[:5]))


def _verified_submissions(scenario: Any, shipments: list[Shipment]) -> list[dict[str, Any]]:
    """Check every shipment's receipt here (as a sceptic with the trust list would); the submissions sent."""
    from pilot.demo.checks import check_receipt

    now = datetime.now(UTC)
    submissions = []
    for shipment in shipments:
        client = scenario.clients[shipment.exporter]
        view = client.get(f"/v1/consignments/{shipment.consignment_id}").raise_for_status().json()
        problem = check_receipt(view.get("receipt") or {}, shipment.port, scenario.trust, now)
        if problem is not None:
            raise NetworkBenchError(f"the receipt of {shipment.consignment_id} does not verify: {problem}")
        submissions.append(
            client.get(f"/v1/consignments/{shipment.consignment_id}/submission").raise_for_status().json()
        )
    return submissions


def measure_network(consignments: int, clients: int, *, poll_s: float = 0.05, timeout_s: float = 600.0) -> list[Figure]:
    """Start the 6 + 3 network, seed it, send ``consignments`` (after a warm-up), check; [floor, network]."""
    from rich.console import Console

    from pilot.demo.scenario import NetworkControl, Scenario
    from pilot.launcher import start_network
    from pilot.participants import EXPORTER_IDS, PORT_IDS
    from pilot.sandbox import DEFAULT_SEED

    tag = datetime.now(UTC).strftime("%H%M%S")
    with tempfile.TemporaryDirectory(prefix="pilot-bench-network-") as temporary:
        data_dir = Path(temporary)
        with start_network(data_dir, _free_base_port(), env=NETWORK_ENV, overview=False) as network:
            tokens = {e: network.token(e) for e in EXPORTER_IDS}
            control = NetworkControl(
                network.urls, tokens, stop_node=network.stop_node, start_node=network.start_node, data_dir=data_dir
            )
            scenario = Scenario(control, seed=DEFAULT_SEED, per_pair=1, console=Console(quiet=True))
            with contextlib.closing(scenario):
                for exporter in EXPORTER_IDS:
                    scenario.seed_exporter(exporter)
                pairs = len(EXPORTER_IDS) * len(PORT_IDS)
                warm = _plan(DEFAULT_SEED, tag, pairs, 0)
                timed = _plan(DEFAULT_SEED, tag, consignments, pairs)
                _check(asyncio.run(_ship_all(network.urls, tokens, warm, clients, poll_s, timeout_s)), warm)
                timing = asyncio.run(_ship_all(network.urls, tokens, timed, clients, poll_s, timeout_s))
                _check(timing, timed)
                submissions = _verified_submissions(scenario, timed)
                floor = measure_floor(submissions, scenario.trust)
    latencies = [timing.ended[s.consignment_id] - timing.started[s.consignment_id] for s in timed]
    elapsed = max(timing.ended.values()) - min(timing.started.values())
    by_port = {port: sum(1 for s in timed if s.port == port) for port in PORT_IDS}
    figure = Figure(
        "network",
        Phrase("consignments, exporters' APIs to verified receipts, {clients} callers", clients=clients),
        rate=consignments / elapsed,
        p50_ms=percentile(latencies, 0.5) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        baseline="",
        note=Phrase(
            "{count} consignments, every receipt verified; end-to-end times late by up to {poll:.0f} ms (polling)",
            count=consignments,
            poll=poll_s * 1000,
        ),
        extra={
            "consignments": consignments,
            "clients": clients,
            "poll_ms": poll_s * 1000,
            "by_port": by_port,
            "states": {state: list(timing.states.values()).count(state) for state in set(timing.states.values())},
        },
    )
    figures = [floor, figure]
    relate(figures)
    return figures
