"""Where the ``pilot`` command finds the running nodes: ``PILOT_PEER_URLS`` if set, else ``network.json``.

docs/design.md §6: ``pilot up`` writes ``<data dir>/network.json``; ``PILOT_PEER_URLS=id=url,...`` overrides
it, for the nodes and for the commands that talk to them (``pilot audit``, ``pilot status``) alike.
"""

from __future__ import annotations

import os
from pathlib import Path

from node_core.network import read_network_file
from node_core.settings import parse_peer_urls

__all__ = ["peer_urls"]


def peer_urls(data_dir: Path) -> dict[str, str]:
    """``{short id: base URL}`` of the known nodes (empty when none); ``ValueError`` for a malformed source."""
    override = os.environ.get("PILOT_PEER_URLS", "").strip()
    return parse_peer_urls(override) if override else read_network_file(Path(data_dir) / "network.json")
