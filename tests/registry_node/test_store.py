"""The registry's store on a real database (SQLite, and PostgreSQL under ``-m db``): ordering under races, migrations.

Racing writers are real threads over one engine, as the registry's worker threads are: whatever the
interleaving, one version per sequence is kept, the head never goes back, and every loser is told why
(409, or 200 when it posted the very version that won).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from node_core.database import make_engine, run_migrations
from node_core.problems import ProblemError
from registry_node.state import MIGRATIONS
from registry_node.store import Accepted, StatusListStore
from registry_node.tables import STATUS_LIST_VERSIONS
from schemas.codes import Code
from schemas.digest import sha256_digest
from schemas.status_list import StatusList, status_list_url

pytestmark = pytest.mark.db

WRITERS = 6


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    run_migrations(engine, MIGRATIONS)
    try:
        yield engine
    finally:
        engine.dispose()


def version(sequence: int, variant: str = "", purpose: Any = "revocation") -> StatusList:
    """A stand-in for a verified list (the store trusts its caller to have verified it)."""
    now = datetime.now(UTC)
    return StatusList(
        url=status_list_url("cert-01", "revocation-1"),
        issuer_did="did:web:pilot.example:cert-01",
        purpose=purpose,
        sequence=sequence,
        digest=sha256_digest(f"{sequence}/{variant}".encode()),
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=1),
        ttl=timedelta(minutes=5),
        bits=bytes(16384),
        credential={},
    )


def race(calls: list[Callable[[], Accepted]]) -> list[Accepted | ProblemError]:
    """Run ``calls`` at once from as many threads; each one's result or ``ProblemError``."""
    barrier = threading.Barrier(len(calls))
    results: list[Accepted | ProblemError | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = calls[index]()
        except ProblemError as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_racing_versions_of_one_sequence_keep_exactly_one(engine: Engine) -> None:
    store = StatusListStore(engine)
    for sequence in (1, 2, 3, 7):  # the first round races for a list the registry has never seen
        candidates = [version(sequence, f"writer-{n}") for n in range(WRITERS)]
        results = race(
            [lambda v=v: store.add("cert-01", "revocation-1", v, v.digest.encode()) for v in candidates]  # type: ignore[misc]
        )
        created = [r for r in results if isinstance(r, Accepted) and r.created]
        refused = [r for r in results if isinstance(r, ProblemError)]
        assert len(created) == 1, results
        assert len(refused) == WRITERS - 1
        assert {(r.code, r.status) for r in refused} == {(Code.STATUS_LIST_OUT_OF_ORDER, 409)}
        current = store.current("cert-01", "revocation-1")
        assert current is not None and (current.sequence, current.digest) == (sequence, created[0].digest)
        assert current.credential == created[0].digest.encode()  # the winner's bytes, nobody else's
    with engine.connect() as connection:
        rows = connection.execute(sa.select(STATUS_LIST_VERSIONS.c.sequence)).scalars().all()
    assert sorted(rows) == [1, 2, 3, 7]


def test_racing_identical_retries_add_one_version_and_all_succeed(engine: Engine) -> None:
    store = StatusListStore(engine)
    same = version(1, "the one")
    results = race([lambda: store.add("cert-01", "revocation-1", same, b"{}") for _ in range(WRITERS)])
    assert all(isinstance(r, Accepted) for r in results), results
    assert sum(1 for r in results if isinstance(r, Accepted) and r.created) == 1
    assert [v.sequence for v in store.history("cert-01", "revocation-1")] == [1]


def test_racing_different_sequences_never_move_the_head_back(engine: Engine) -> None:
    store = StatusListStore(engine)
    results = race(
        [
            lambda s=s: store.add("cert-01", "revocation-1", version(s), b"{}")  # type: ignore[misc]
            for s in range(1, WRITERS + 1)
        ]
    )
    kept = [v.sequence for v in store.history("cert-01", "revocation-1")]
    assert kept == sorted(kept) and kept[-1] == WRITERS  # whoever lost was below a version already kept
    assert sum(1 for r in results if isinstance(r, Accepted)) == len(kept)
    received = [v.received_at for v in store.history("cert-01", "revocation-1")]
    assert received == sorted(received)  # so "the version held at T" follows the sequence


def test_a_version_cannot_change_the_lists_purpose(engine: Engine) -> None:
    store = StatusListStore(engine)
    store.add("cert-01", "revocation-1", version(1), b"{}")
    with pytest.raises(ProblemError) as caught:
        store.add("cert-01", "revocation-1", version(2, purpose="suspension"), b"{}")
    assert (caught.value.code, caught.value.status) == (Code.STATUS_LIST_INVALID, 422)
    assert [v.sequence for v in store.history("cert-01", "revocation-1")] == [1]


def test_migrations_run_twice_and_make_the_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        run_migrations(engine, MIGRATIONS)
        run_migrations(engine, MIGRATIONS)  # at head already: nothing to do, no error
        tables = set(sa.inspect(engine).get_table_names())
        assert {"status_lists", "status_list_versions", "seen_nonce", "trust_state", "alembic_version"} <= tables
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0001"
        keys = sa.inspect(engine).get_pk_constraint("status_list_versions")
        assert keys["constrained_columns"] == ["issuer", "list_id", "sequence"]
    finally:
        engine.dispose()
