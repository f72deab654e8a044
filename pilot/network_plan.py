"""Which processes ``pilot up`` starts and where (docs/design.md §6, "Where nodes are"): a pure plan, no I/O.

Ports from the base ``P`` (default 8100): the overview at ``P``, ``cn-port-0k`` at ``P+k``, ``ru-exp-0k`` at
``P+10+k``, the ``registry`` at ``P+20``. With a database URL template, ``{id}`` is replaced by the short id
as it is (``cn-port-01``: PostgreSQL accepts dashes in a quoted database name) and ``{db}`` by an
identifier-safe name (``pilot_cn_port_01``, the naming ``docker-compose.yml`` uses too).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pilot.participants import EXPORTER_IDS, PORT_IDS
from schemas.phrase import Phrase

__all__ = [
    "DEFAULT_BASE_PORT",
    "LOOPBACK",
    "REGISTRY_ID",
    "NodeSpec",
    "PlanError",
    "database_name",
    "database_url_for",
    "plan_nodes",
    "planned_ports",
]

DEFAULT_BASE_PORT = 8100
LOOPBACK = "127.0.0.1"
#: The registry's short id: its name in network.json and ``PILOT_PEER_URLS``, and ``pilot node registry --id``.
REGISTRY_ID = "registry"
#: The registry's offset from the base port.
_REGISTRY_OFFSET = 20
#: The highest offset from the base port that the plan uses (the registry's).
_MAX_OFFSET = _REGISTRY_OFFSET

NodeKind = Literal["exporter", "port", "registry"]


class PlanError(ValueError):
    """A base port or a database URL template the plan cannot use; ``phrase`` says why (``str()``: in English)."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


@dataclass(frozen=True)
class NodeSpec:
    """One node of the pilot network: its short id, kind, and loopback port."""

    node_id: str
    kind: NodeKind
    port: int

    @property
    def url(self) -> str:
        """The node's base URL, ``http://127.0.0.1:<port>``."""
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def listen(self) -> str:
        """The ``--listen`` argument for ``pilot node``."""
        return f"{LOOPBACK}:{self.port}"


def _index(short_id: str) -> int:
    """``cn-port-02`` -> 2."""
    return int(short_id.rsplit("-", 1)[1])


def plan_nodes(base_port: int = DEFAULT_BASE_PORT) -> list[NodeSpec]:
    """The ten nodes (ports, exporters, the registry) on the ports docs/design.md §6 assigns from ``base_port``;
    ``PlanError`` (a ``ValueError``) when they do not fit below 65536."""
    if not 1 <= base_port <= 65535 - _MAX_OFFSET:
        raise PlanError(
            Phrase(
                "base port {port} leaves no room for ports up to base + {offset}", port=base_port, offset=_MAX_OFFSET
            )
        )
    ports = [NodeSpec(pid, "port", base_port + _index(pid)) for pid in PORT_IDS]
    exporters = [NodeSpec(eid, "exporter", base_port + 10 + _index(eid)) for eid in EXPORTER_IDS]
    return [*ports, *exporters, NodeSpec(REGISTRY_ID, "registry", base_port + _REGISTRY_OFFSET)]


def planned_ports(base_port: int = DEFAULT_BASE_PORT) -> dict[int, str]:
    """Every port the network needs, with what uses it (``overview`` or a short id)."""
    ports = {base_port: "overview"}
    ports.update({spec.port: spec.node_id for spec in plan_nodes(base_port)})
    return ports


def database_name(short_id: str) -> str:
    """The identifier-safe database name of a node: ``cn-port-01`` -> ``pilot_cn_port_01``."""
    return "pilot_" + short_id.replace("-", "_")


def database_url_for(template: str, short_id: str) -> str:
    """The template with ``{id}`` and ``{db}`` filled in; ``PlanError`` (a ``ValueError``) if it names neither."""
    if "{id}" not in template and "{db}" not in template:
        raise PlanError(
            Phrase(
                "database URL template {template} must contain {{id}} or {{db}}, so each node gets its own database",
                template=repr(template),
            )
        )
    return template.replace("{id}", short_id).replace("{db}", database_name(short_id))
