"""``node_core``'s base app for the tests of the shared HTTP layer: one node over SQLite, no routes of its own.

app = base_app(tmp_path, max_inflight=4)   # then add the routes the test needs
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from node_core.app import create_base_app
from node_core.settings import NodeSettings

__all__ = ["base_app"]


def base_app(tmp_path: Path, node_id: str = "cn-port-01", *, role: str = "port", **settings: Any) -> FastAPI:
    """The base app of ``node_id`` (data in ``tmp_path``, ``settings`` besides): a ``role`` node named "Port",
    version 0.1.0, at trust list sequence 7, on SQLite."""
    return create_base_app(
        NodeSettings(node_id=node_id, data_dir=tmp_path, **settings),
        title="Port",
        version="0.1.0",
        description="test",
        role=role,
        trust_info=lambda: {"sequence": 7},
        db_kind="sqlite",
    )
