"""Corruption: 100 random single-bit flips in stored leaf and checkpoint values, each found by ``pilot audit fsck``.

A port logs a few submissions; then, one at a time, a random bit of a random stored value is flipped in
the database row (``log_leaves.leaf_input``, ``log_leaves.leaf_hash``, ``checkpoints.root_hash`` or
``checkpoints.note``), ``pilot audit fsck --json`` runs over the database and must exit 1 naming a
difference, and the value is restored (fsck clean again). The seed is fixed, so a failure reproduces.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from port_node.tables import CHECKPOINTS, LOG_LEAVES
from tests.port_node.port_harness import PortHarness

pytestmark = [pytest.mark.anyio]

#: (table, key column, value column) of every stored value a flip may hit.
TARGETS: list[tuple[sa.Table, sa.Column[Any], sa.Column[Any]]] = [
    (LOG_LEAVES, LOG_LEAVES.c.leaf_index, LOG_LEAVES.c.leaf_input),
    (LOG_LEAVES, LOG_LEAVES.c.leaf_index, LOG_LEAVES.c.leaf_hash),
    (CHECKPOINTS, CHECKPOINTS.c.tree_size, CHECKPOINTS.c.root_hash),
    (CHECKPOINTS, CHECKPOINTS.c.tree_size, CHECKPOINTS.c.note),
]


def _random_bit(rng: random.Random, value: bytes | str) -> int:
    """Any bit of a binary value; in text, one of the 7 low bits of an ASCII byte, so that it stays valid
    UTF-8 (neither SQLite's driver nor PostgreSQL stores anything else in a text column)."""
    if isinstance(value, bytes):
        return rng.randrange(len(value) * 8)
    data = value.encode()
    position = rng.choice([i for i, byte in enumerate(data) if byte < 0x80])
    return position * 8 + rng.randrange(7)


def _flip(value: bytes | str, bit: int) -> bytes | str:
    """``value`` with one bit flipped, text staying text."""
    data = bytearray(value.encode() if isinstance(value, str) else value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data).decode() if isinstance(value, str) else bytes(data)


def _fsck(harness: PortHarness) -> tuple[int, dict[str, Any]]:
    result = harness.audit_fsck("--json")
    return result.exit_code, json.loads(result.output)


async def run_flips(harness: PortHarness, flips: int) -> None:
    """``flips`` random flips, each found (exit status 1 and a named difference); restored, fsck is clean again."""
    await harness.log_fresh("ru-exp-03", (f"flip-{n}" for n in range(6)))
    assert _fsck(harness)[0] == 0
    rng = random.Random(20261123)
    engine = harness.port.engine
    found: Counter[str] = Counter()
    missed: list[str] = []
    for _ in range(flips):
        table, key, column = rng.choice(TARGETS)
        with engine.begin() as connection:
            keys = connection.execute(sa.select(key)).scalars().all()
            row = rng.choice(keys)
            original = connection.execute(sa.select(column).where(key == row)).scalar_one()
            original = original if isinstance(original, str) else bytes(original)
            bit = _random_bit(rng, original)
            flipped = _flip(original, bit)
            connection.execute(sa.update(table).where(key == row).values({column.name: flipped}))
        where = f"{table.name}.{column.name}[{row}] bit {bit}"
        status, report = _fsck(harness)
        if status == 1 and report.get("problem"):
            found[f"{table.name}.{column.name}"] += 1
        else:
            missed.append(f"{where}: exit {status} {report}")
        with engine.begin() as connection:
            connection.execute(sa.update(table).where(key == row).values({column.name: original}))
    assert _fsck(harness)[0] == 0
    print(f"\nbit flips found by fsck: {sum(found.values())}/{flips} {dict(found)}")
    assert missed == [], missed[:5]


@pytest.mark.db
async def test_every_single_bit_flip_is_found_by_fsck(harness: PortHarness) -> None:
    """CI size: 100 random flips, 100 found."""
    await run_flips(harness, 100)


@pytest.mark.slow
async def test_two_thousand_bit_flips(harness: PortHarness) -> None:
    """Deep: 2,000 random flips, all found."""
    await run_flips(harness, 2000)
