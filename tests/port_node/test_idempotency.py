"""Property: however an identical submission is serialised again, the port answers 200 with the same bytes."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.port_node.port_harness import fresh_submission, make_harness

pytestmark = pytest.mark.db

_CASES = itertools.count()


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {key: _shuffled(item, rng) for key, item in items}
    if isinstance(value, list):
        return [_shuffled(item, rng) for item in value]
    return value


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), indent=st.one_of(st.none(), st.integers(0, 4)), ascii_only=st.booleans())
def test_any_reserialisation_is_the_same_submission(
    tmp_path: Path, database_url: str, seed: int, indent: int | None, ascii_only: bool
) -> None:
    case = next(_CASES)
    document = fresh_submission("ru-exp-04", f"property-{case}")
    harness = make_harness(tmp_path / f"case-{case}", database_url)  # one database, one id per example
    try:

        async def scenario() -> None:
            first = await harness.submit("ru-exp-04", document)
            assert first.status_code == 201
            size = harness.port.log.size
            again = json.dumps(_shuffled(document, random.Random(seed)), indent=indent, ensure_ascii=ascii_only)
            async with harness.client("ru-exp-04") as client:
                second = await client.post(
                    "/v1/submissions", content=again.encode(), headers={"content-type": "application/json"}
                )
            assert second.status_code == 200
            assert second.content == first.content
            assert harness.port.log.size == size

        asyncio.run(scenario())
    finally:
        harness.close()
