"""Node databases are as private as the keys and tokens beside them (docs/reliability.md, attack 19).

``pilot init`` writes keys and tokens with mode 0600, but each node's SQLite database (and its ``-wal``
and ``-shm``), holding what the node was sent, was created 0644: readable by every user of the machine.
The nodes here are the real apps over the real data-dir layout (``<data dir>/<id>.db``), under a umask
of 022 as on a default system.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from node_core.database import make_engine
from node_core.settings import NodeSettings
from pilot.sandbox import build_sandbox, write_sandbox


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_node_databases_are_created_0600_with_their_wal_and_shm(tmp_path: Path, umask_022: None) -> None:
    from exporter_node.app import create_app as exporter_app
    from port_node.app import create_app as port_app

    data_dir = tmp_path / "data"
    write_sandbox(build_sandbox(), data_dir)
    port = port_app(NodeSettings(node_id="cn-port-01", data_dir=data_dir, database_url=""))
    exporter = exporter_app(NodeSettings(node_id="ru-exp-01", data_dir=data_dir, database_url=""))
    try:
        files = {p.name: mode(p) for p in data_dir.glob("*.db*")}
        assert {"cn-port-01.db", "cn-port-01.db-wal", "cn-port-01.db-shm", "ru-exp-01.db"} <= set(files)
        assert files == dict.fromkeys(files, 0o600), {name: oct(m) for name, m in files.items()}
        assert mode(data_dir / "keys" / "cn-port-01.pem") == mode(data_dir / "tokens" / "cn-port-01") == 0o600
    finally:
        port.state.node.close()
        exporter.state.node.close()


def test_a_database_made_world_readable_earlier_is_narrowed(tmp_path: Path, umask_022: None) -> None:
    database = tmp_path / "node.db"
    engine = make_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
    engine.dispose()
    for path in tmp_path.iterdir():
        path.chmod(0o644)
    engine = make_engine(f"sqlite:///{database}")
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO t VALUES (1)")
        assert {p.name: oct(mode(p)) for p in tmp_path.iterdir()} == dict.fromkeys(
            (p.name for p in tmp_path.iterdir()), oct(0o600)
        )
    finally:
        engine.dispose()
