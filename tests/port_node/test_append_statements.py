"""The append on the driver's cursor stores what SQLAlchemy Core stores (port_node/append_statements.py).

The same rows are written through Core's ``insert`` and through ``AppendStatements`` into one database and read
back through Core: every column must come back equal (dates with their zone, JSON lists, bytes, NULL). A
driver error is raised as Core raises it, so the store's conflict handling still sees an ``IntegrityError``.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from port_node.append_statements import AppendStatements
from port_node.tables import CHECKPOINTS, LOG_HEAD, LOG_LEAVES, SUBMISSIONS

pytestmark = pytest.mark.db


def _submission(index: int, *, content: bytes | None) -> dict[str, Any]:
    return {
        "exporter": "ru-exp-01",
        "submission_id": f"s-{index}",
        "digest": f"sha-256:{index:064x}",
        "decision": "rejected",
        "reason_codes": ["SCHEMA_INVALID", "GEOMETRY_INVALID", "ДАННЫЕ"],
        "received_at": datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC),
        "content": content,
        "receipt": b'{"receipt":' + bytes(range(256)) + b"}",
        "leaf_index": index,
    }


def _leaf(index: int) -> dict[str, Any]:
    return {"leaf_index": index, "leaf_input": b"\x00entry" + bytes([index]) * 300, "leaf_hash": bytes([index]) * 32}


def _checkpoint(size: int) -> dict[str, Any]:
    return {"tree_size": size, "root_hash": bytes([size]) * 32, "note": f"cn-port-01.pilot.example/log\n{size}\n—\n"}


def _read(engine: Engine, table: sa.Table, key: sa.Column[Any], value: Any) -> dict[str, Any]:
    with engine.connect() as connection:
        row = connection.execute(sa.select(table).where(key == value)).mappings().one()
    return dict(row)


def _without(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in row.items() if name not in names}


@pytest.mark.parametrize("content", [b'{"credentials":[]}\x00', None], ids=["content", "no content"])
def test_the_driver_stores_what_core_stores(engine: Engine, content: bytes | None) -> None:
    writes = AppendStatements(engine.dialect)
    with engine.begin() as connection:
        assert connection.execute(sa.select(LOG_HEAD.c.size)).scalar_one() == 0
        connection.execute(sa.insert(LOG_LEAVES), [_leaf(0)])
        connection.execute(sa.insert(CHECKPOINTS), _checkpoint(1))
        connection.execute(sa.insert(SUBMISSIONS), [_submission(0, content=content)])
    with engine.begin() as connection:
        assert writes.advance_head(connection, 2, 0) == (2, [])
        writes.append(connection, [_leaf(1)], _checkpoint(2), [_submission(1, content=content)], commit=True)

    core, driver = (_read(engine, SUBMISSIONS, SUBMISSIONS.c.leaf_index, n) for n in (0, 1))
    assert _without(driver, "submission_id", "digest", "leaf_index") == _without(
        core, "submission_id", "digest", "leaf_index"
    )
    stored_at = driver["received_at"]  # SQLite keeps no zone (UTC is the port's), PostgreSQL keeps the instant
    assert (stored_at if stored_at.tzinfo else stored_at.replace(tzinfo=UTC)) == _submission(1, content=content)[
        "received_at"
    ]
    assert driver["reason_codes"] == _submission(1, content=content)["reason_codes"]
    assert _read(engine, LOG_LEAVES, LOG_LEAVES.c.leaf_index, 1) == _leaf(1)
    assert _read(engine, CHECKPOINTS, CHECKPOINTS.c.tree_size, 2) == _checkpoint(2)
    with engine.connect() as connection:
        assert connection.execute(sa.select(LOG_HEAD.c.size)).scalar_one() == 2


def test_a_driver_conflict_is_cores_integrity_error_and_nothing_of_it_stays(engine: Engine) -> None:
    writes = AppendStatements(engine.dialect)
    with engine.begin() as connection:
        writes.advance_head(connection, 1, 0)
        writes.append(connection, [_leaf(0)], _checkpoint(1), [_submission(0, content=None)], commit=True)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        writes.advance_head(connection, 1, 1)
        again = _submission(1, content=None) | {"submission_id": "s-0"}  # the same (exporter, id): the key
        writes.append(connection, [_leaf(1)], _checkpoint(2), [again], commit=True)
    with engine.connect() as connection:  # the failed transaction left nothing: head, leaf, checkpoint
        assert connection.execute(sa.select(LOG_HEAD.c.size)).scalar_one() == 1
        assert connection.execute(sa.select(sa.func.count()).select_from(LOG_LEAVES)).scalar_one() == 1
        assert connection.execute(sa.select(sa.func.count()).select_from(CHECKPOINTS)).scalar_one() == 1


def _append(engine: Engine, writes: AppendStatements, count: int) -> None:
    """What another process's append commits: the head moved by ``count`` and the leaves under it."""
    with engine.begin() as connection:
        size, _ = writes.advance_head(connection, count, 0)
        leaves = [_leaf(index) for index in range(size - count, size)]
        rows = [_submission(leaf["leaf_index"], content=None) for leaf in leaves]
        writes.append(connection, leaves, _checkpoint(size), rows, commit=True)


def test_the_head_comes_with_the_leaves_others_appended_since_the_known_size(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes = AppendStatements(engine.dialect)
    _append(engine, writes, 3)
    with engine.begin() as connection:  # this process's tree holds 1 leaf; others appended 2 more
        size, recent = writes.advance_head(connection, 2, 1)
        assert (size, recent) == (5, [(1, _leaf(1)["leaf_hash"]), (2, _leaf(2)["leaf_hash"])])
        connection.rollback()
    with engine.begin() as connection:  # a current tree reads none, and what it reads is capped
        assert writes.advance_head(connection, 1, 3) == (4, [])
        connection.rollback()
    monkeypatch.setattr("port_node.append_statements.RECENT_LEAVES", 1)
    with engine.begin() as connection:
        assert writes.advance_head(connection, 1, 0) == (4, [(0, _leaf(0)["leaf_hash"])])
        connection.rollback()


def test_the_leaves_read_with_the_head_include_those_committed_while_it_waited_for_the_lock(engine: Engine) -> None:
    """Another transaction holds the head's lock; this one's update waits, and its read then sees the commit."""
    writes = AppendStatements(engine.dialect)
    holding, result = threading.Event(), {}

    def other() -> None:
        with engine.begin() as connection:
            writes.advance_head(connection, 2, 0)
            holding.set()
            time.sleep(0.5)  # the waiting update below is sent meanwhile
            writes.append(connection, [_leaf(0), _leaf(1)], _checkpoint(2), [_submission(0, content=None)], commit=True)

    thread = threading.Thread(target=other)
    thread.start()
    assert holding.wait(10)
    with engine.begin() as connection:
        result["head"] = writes.advance_head(connection, 1, 0)
    thread.join()
    assert result["head"] == (3, [(0, _leaf(0)["leaf_hash"]), (1, _leaf(1)["leaf_hash"])])


def test_is_stored_answers_for_the_exporter_and_id_only(engine: Engine) -> None:
    writes = AppendStatements(engine.dialect)
    _append(engine, writes, 1)
    with engine.connect() as connection:
        assert writes.is_stored(connection, "ru-exp-01", "s-0")
        assert not writes.is_stored(connection, "ru-exp-01", "s-1")
        assert not writes.is_stored(connection, "ru-exp-02", "s-0")  # another exporter's id is its own
