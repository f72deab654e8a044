"""``node_core.startup.open_engine_and_trust``: every node's first steps, and nothing left open when they fail."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.util.exc import CommandError
from sqlalchemy import Engine, event

from node_core.settings import NodeSettings
from node_core.startup import open_engine_and_trust
from pilot.sandbox import build_sandbox, write_sandbox
from tests.node_core.conftest import ALEMBIC_FIXTURE


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> NodeSettings:
    data_dir = tmp_path / "data"
    write_sandbox(build_sandbox(), data_dir)
    return NodeSettings(node_id="cn-port-01", data_dir=data_dir, database_url=database_url)


def test_the_database_is_migrated_before_the_trust_list_is_loaded(settings: NodeSettings) -> None:
    engine, trust = open_engine_and_trust(settings, ALEMBIC_FIXTURE)
    try:
        assert trust.sequence == 1 and trust.current().sequence == 1
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT sequence FROM trust_state")).scalar_one()
        assert stored == 1  # the trust list's acceptance is recorded in the migrated database
    finally:
        engine.dispose()


def test_a_failed_start_disposes_of_the_engine(settings: NodeSettings, tmp_path: Path) -> None:
    disposed: list[str] = []

    def note(engine: Engine) -> None:
        disposed.append(engine.url.render_as_string(hide_password=False))

    event.listen(Engine, "engine_disposed", note)
    try:
        with pytest.raises(CommandError):
            open_engine_and_trust(settings, tmp_path / "no-migrations-here")
    finally:
        event.remove(Engine, "engine_disposed", note)
    assert disposed == [settings.database_url]
