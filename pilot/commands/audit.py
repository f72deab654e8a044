"""``pilot audit``: offline checks of a port's records (``fsck`` here; ``trail|export|verify|monitor`` later).

``pilot audit fsck --data-dir D --id cn-port-01`` rebuilds the port's Merkle tree from the stored
leaves and compares it with every stored checkpoint (``port_node.fsck``). The database is the node's
own: ``DATABASE_URL`` when set, else ``D/<id>.db``. The log key comes from the trust list in ``D``,
verified against the pinned anchor, never from the node. Exit 0 when clean, 1 naming the first
difference, 2 for bad usage.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from pilot.console import EXIT_FAILED, console, fail_usage, print_json
from pilot.data_dir import default_data_dir

app = typer.Typer(help="Audit tools: check a port's log offline.", no_args_is_help=True)


@app.command("fsck")
def fsck_command(
    node_id: Annotated[str, typer.Option("--id", help="The port's short id, e.g. cn-port-01.")],
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Sandbox directory (pilot init).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine output.")] = False,
) -> None:
    """Rebuild a port's tree from its stored leaves and compare it with every stored checkpoint."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from node_core.database import make_engine
    from node_core.settings import NodeSettings
    from port_node.fsck import fsck
    from port_node.keys import log_origin
    from port_node.tables import LOG_HEAD
    from schemas._trust import load_trust_list
    from schemas.errors import VerificationError

    directory = data_dir or default_data_dir()
    settings = NodeSettings(node_id=node_id, data_dir=directory)
    try:
        registry = load_trust_list(settings.trust_list_path, settings.trust_anchor_path)
    except VerificationError as exc:
        fail_usage(f"cannot use the trust list in {directory}: {exc}")
    keys = [key.public_key for key in registry.keys_of(node_id, "log")]
    if not keys:
        fail_usage(f"the trust list publishes no log key for {node_id}")
    if settings.database_kind == "sqlite":
        database = make_url(settings.database_url).database or ""
        if not Path(database).is_file():
            fail_usage(f"no database for {node_id} at {database} (set DATABASE_URL for PostgreSQL)")
    engine = make_engine(settings.database_url)
    try:
        if not sa.inspect(engine).has_table(LOG_HEAD.name):
            fail_usage(f"the database of {node_id} holds no port log")
        report = fsck(engine, log_origin(node_id), keys)
    finally:
        engine.dispose()

    if as_json:
        print_json(
            {
                "node": node_id,
                "ok": report.ok,
                "leaves": report.leaves,
                "checkpoints": report.checkpoints,
                "submissions": report.submissions,
                "problem": report.problem,
            }
        )
    elif report.ok:
        console.print(
            f"[green]clean[/]: {report.leaves} leaves, {report.checkpoints} checkpoints, "
            f"{report.submissions} submissions of {node_id}"
        )
    else:
        console.print(f"[red]difference[/] in the log of {node_id}: {report.problem}")
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)
