"""``pilot node exporter|port|registry --id ID``: run one node in the foreground (uvicorn, one process)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from pilot.console import fail_usage
from pilot.data_dir import default_data_dir


class NodeKind(StrEnum):
    """The node kinds: exporters, port authorities, and the registry ``pilot-gov`` runs (id ``registry``)."""

    exporter = "exporter"
    port = "port"
    registry = "registry"


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port); bad usage otherwise."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        fail_usage(f"--listen {listen!r} must be HOST:PORT, e.g. 127.0.0.1:8101")
    return host.strip("[]"), int(port)


def node_command(
    kind: Annotated[NodeKind, typer.Argument(help="exporter, port or registry")],
    node_id: Annotated[str, typer.Option("--id", help="The node's short id: cn-port-01, ru-exp-02, registry...")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory (pilot init).")] = None,
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT to bind.")] = "127.0.0.1:8101",
) -> None:
    """Run one exporter, port or registry node until interrupted (SQLite in the data dir unless DATABASE_URL is set)."""
    from node_core.serving import serve
    from node_core.settings import NodeSettings

    host, port = parse_listen(listen)
    directory = data_dir or default_data_dir()
    if not (directory / "trust-list.json").is_file():
        fail_usage(f"{directory} holds no sandbox: run `pilot init --data-dir {directory}` first")
    settings = NodeSettings(node_id=node_id, data_dir=directory, listen_host=host, listen_port=port)
    from node_core.logging import configure_logging

    configure_logging(node_id)
    if kind is NodeKind.port:
        from port_node.app import create_app as create_port

        app = create_port(settings)
    elif kind is NodeKind.registry:
        from registry_node.app import create_app as create_registry

        app = create_registry(settings)
    else:
        from exporter_node.app import create_app as create_exporter

        app = create_exporter(settings)
    serve(app, host, port)
