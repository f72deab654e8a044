"""``pilot node exporter|port|registry --id ID``: run one node in the foreground (uvicorn).

A node is one process, except a port on PostgreSQL with ``--workers N`` (or ``PILOT_PORT_WORKERS``): the
start-up work (migrations, the operator token, the first checkpoint) is done once, here, then N worker
processes serve the same listen address (``node_core.serving.serve_workers``, docs/design.md §10).
SQLite stays one process.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pilot.console import fail_usage
from pilot.data_dir import default_data_dir
from pilot.language import tr

if TYPE_CHECKING:
    from node_core.settings import NodeSettings


class NodeKind(StrEnum):
    """The node kinds: exporters, port authorities, and the registry ``pilot-gov`` runs (id ``registry``)."""

    exporter = "exporter"
    port = "port"
    registry = "registry"


def parse_listen(listen: str) -> tuple[str, int]:
    """``HOST:PORT`` -> (host, port); bad usage otherwise."""
    host, sep, port = listen.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        fail_usage(tr("--listen {value} must be HOST:PORT, e.g. 127.0.0.1:8101", value=repr(listen)))
    return host.strip("[]"), int(port)


def node_command(
    kind: Annotated[NodeKind, typer.Argument(help="exporter, port or registry")],
    node_id: Annotated[str, typer.Option("--id", help="The node's short id: cn-port-01, ru-exp-02, registry...")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory (pilot init).")] = None,
    listen: Annotated[str, typer.Option("--listen", help="HOST:PORT to bind.")] = "127.0.0.1:8101",
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            envvar="PILOT_PORT_WORKERS",
            help="Processes serving a port (PostgreSQL only; SQLite stays one process).",
        ),
    ] = 1,
) -> None:
    """Run one exporter, port or registry node until interrupted (SQLite in the data dir unless DATABASE_URL is set)."""
    from node_core.serving import serve
    from node_core.settings import NodeSettings

    host, port = parse_listen(listen)
    directory = data_dir or default_data_dir()
    if not (directory / "trust-list.json").is_file():
        fail_usage(
            tr("{directory} holds no sandbox: run `pilot init --data-dir {directory}` first", directory=directory)
        )
    settings = NodeSettings(node_id=node_id, data_dir=directory, listen_host=host, listen_port=port)
    if workers > 1:
        _check_workers(kind, settings.database_url)
    from node_core.logging import configure_logging

    configure_logging(node_id)
    if workers > 1:
        raise typer.Exit(_serve_port_workers(settings, workers))
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


def _check_workers(kind: NodeKind, database_url: str) -> None:
    """``--workers N`` > 1 is for a port on PostgreSQL: bad usage otherwise."""
    from sqlalchemy.engine import make_url

    if kind is not NodeKind.port:
        fail_usage(tr("--workers is for a port; an exporter or the registry runs as one process"))
    backend = make_url(database_url).get_backend_name()
    if backend != "postgresql":
        fail_usage(
            tr("--workers needs a PostgreSQL DATABASE_URL: SQLite stays one process (got {backend})", backend=backend)
        )


def _serve_port_workers(settings: NodeSettings, workers: int) -> int:
    """Prepare the port once, then serve it with ``workers`` processes; the parent's exit status."""
    from node_core.serving import serve_workers
    from port_node.state import PortNode

    PortNode.prepare(settings)
    os.environ.update(
        {
            "PILOT_NODE_ID": settings.node_id,
            "PILOT_DATA_DIR": str(settings.data_dir.resolve()),
            "PILOT_LISTEN_HOST": settings.listen_host,
            "PILOT_LISTEN_PORT": str(settings.listen_port),
            "DATABASE_URL": settings.database_url,
        }
    )
    return serve_workers("port_node.app:create_worker_app", settings.listen_host, settings.listen_port, workers)
