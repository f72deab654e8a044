"""The port harness as cn-port-03, the sandbox port that takes laboratory results only sealed to its key.

``sealing_port`` is a fixture (import it into a test module); ``check_port_receipt`` verifies a receipt of any
port from outside, as ``port_harness.check_receipt`` does for cn-port-01.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node_core.settings import NodeSettings
from pilot.sandbox import write_sandbox
from schemas.receipt import verify_receipt
from schemas.time import utc_now
from tests.port_node.port_harness import PortHarness, sandbox, trust_registry

__all__ = ["SEALING_PORT", "SealingPortHarness", "check_port_receipt", "sealing_port"]

SEALING_PORT = "cn-port-03"


class SealingPortHarness(PortHarness):
    """The same harness, as cn-port-03."""

    def settings(self) -> NodeSettings:
        return super().settings().model_copy(update={"node_id": SEALING_PORT})

    @property
    def operator_token(self) -> str:
        return (self.data_dir / "tokens" / SEALING_PORT).read_text().strip()


@pytest.fixture
def sealing_port(tmp_path: Path, database_url: str) -> Iterator[SealingPortHarness]:
    """cn-port-03 over a fresh database and a sandbox data dir, closed after the test."""
    data_dir = tmp_path / "data"
    write_sandbox(sandbox(), data_dir)
    port = SealingPortHarness(data_dir, database_url)
    try:
        yield port
    finally:
        port.close()


def check_port_receipt(receipt_bytes: bytes, port_id: str) -> dict[str, Any]:
    """Verify ``port_id``'s receipt from outside with ``schemas.verify_receipt``; return it parsed."""
    receipt: dict[str, Any] = json.loads(receipt_bytes)
    verify_receipt(receipt, trust_registry(), port_id=port_id, at=utc_now())
    return receipt
