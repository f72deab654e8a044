"""A started node's heap is settled (start-up frozen, young collections rarer) and given back when it stops."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

from node_core.heap import YOUNG_THRESHOLD, settled_heap
from tests.registry_node.registry_harness import make_registry


@pytest.fixture(autouse=True)
def _plain_collector() -> None:
    gc.unfreeze()
    assert gc.get_threshold()[0] < YOUNG_THRESHOLD


def test_settled_heap_freezes_what_exists_and_gives_it_back() -> None:
    before = gc.get_threshold()
    kept = [{"made": "before"}]
    with settled_heap():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        made_after = [{"made": "after"}]
        collected = gc.get_objects()  # what collections walk: not the frozen
        assert not any(item is kept for item in collected)
        assert any(item is made_after for item in collected)
    assert gc.get_freeze_count() == 0
    assert any(item is kept for item in gc.get_objects())
    assert gc.get_threshold() == before


def test_settled_heap_gives_it_back_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), settled_heap():
        raise RuntimeError("the node failed")
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before


@pytest.mark.anyio
async def test_a_node_serves_on_a_settled_heap(tmp_path: Path, database_url: str) -> None:
    before = gc.get_threshold()
    registry = make_registry(tmp_path, database_url)
    async with registry.app.router.lifespan_context(registry.app):
        assert (await registry.get("/health")).status_code == 200
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
