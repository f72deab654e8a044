"""A real network for the audit and browser tests: ten nodes on free ports, one or two shipped consignments.

``start_live_network`` starts the nodes with ``pilot.launcher.start_network`` (real processes; the registry
among them, holding the data dir's status lists, so the ports check status as deployed), seeds one
exporter with ``pilot.demo`` and ships consignments to chosen ports, waiting until they are delivered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from rich.console import Console

from pilot.demo.scenario import NetworkControl, Scenario
from pilot.launcher import Network, start_network
from pilot.network_plan import REGISTRY_ID
from pilot.sandbox import DEFAULT_SEED
from tests.support.processes import free_base_port

__all__ = ["LiveNetwork", "start_live_network"]

EXPORTER = "ru-exp-01"


@dataclass
class LiveNetwork:
    """A started network and the consignments shipped on it (``(port id, consignment id)`` in order)."""

    network: Network
    data_dir: Path
    scenario: Scenario
    shipped: list[tuple[str, str]] = field(default_factory=list)
    stopped: bool = False

    def url(self, node: str) -> str:
        return self.network.urls[node]

    def token(self, node: str) -> str:
        return self.network.token(node)

    def first(self, port: str) -> str:
        """The first consignment shipped to ``port``."""
        return next(cid for p, cid in self.shipped if p == port)

    def ship(self, *ports: str) -> list[str]:
        """Ship one consignment of ru-exp-01 to each of ``ports``; wait until delivered and cosigned."""
        # In waves of distinct ports: two consignments to one port shipped together may be logged in either
        # order, and the tests rely on the first one shipped to a port being its log entry 0.
        shipments = []
        waves: list[list[str]] = []
        for port in ports:
            wave = next((w for w in waves if port not in w), None)
            if wave is None:
                waves.append(wave := [])
            wave.append(port)
        for wave in waves:
            n0 = len(self.shipped)
            sent = [self.scenario.ship(EXPORTER, port, "audit", n0 + i) for i, port in enumerate(wave)]
            self.scenario.wait(sent, 60.0, "delivering")
            for shipment in sent:
                assert shipment.state in ("delivered", "delivered_with_warnings"), (shipment.state, shipment.detail)
                self.shipped.append((shipment.port, shipment.consignment_id))
            shipments.extend(sent)
        for port in set(ports):
            _wait_cosigned(self, port)
        return [s.consignment_id for s in shipments]

    def stop(self) -> None:
        if not self.stopped:
            self.stopped = True
            self.scenario.close()
            self.network.stop()


def _wait_cosigned(live: LiveNetwork, port: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = httpx.get(live.url(port) + "/v1/log/checkpoint", timeout=5).text
        if text.count("/witness ") >= 2:
            return
        time.sleep(0.3)
    raise AssertionError(f"{port}'s checkpoint was not cosigned by both witnesses in {timeout_s} s:\n{text}")


def start_live_network(
    data_dir: Path, ports: tuple[str, ...] = ("cn-port-01",), *, overview: bool = False
) -> LiveNetwork:
    """Start the network in ``data_dir`` and deliver one consignment of ``ru-exp-01`` to each of ``ports``."""
    network = start_network(data_dir, free_base_port(), overview=overview, timeout_s=90)
    try:
        control = NetworkControl(
            urls=network.urls,
            tokens={node: network.token(node) for node in network.urls if node != REGISTRY_ID},  # no operator
            stop_node=network.stop_node,
            start_node=network.start_node,
            data_dir=Path(data_dir),
        )
        scenario = Scenario(control, seed=DEFAULT_SEED, per_pair=1, console=Console(quiet=True))
        live = LiveNetwork(network, Path(data_dir).resolve(), scenario)
        scenario.seed_exporter(EXPORTER)
        live.ship(*ports)
    except BaseException:
        network.stop()
        raise
    return live
