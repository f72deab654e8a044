"""Where the other nodes are: ``PILOT_PEER_URLS`` if set, else ``<data dir>/network.json`` (docs/design.md §6).

``network.json`` is written by ``pilot up`` as ``{"nodes": {short id: {"url", "pid"}}}``; a
``PeerDirectory`` re-reads it whenever its modification time changes, so nodes started before their
peers find them later.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from node_core.settings import NodeSettings

__all__ = ["NetworkFileError", "PeerDirectory", "UnknownPeerError", "load_peer_urls", "read_network_file"]


class NetworkFileError(ValueError):
    """``network.json`` exists but is not the expected shape."""


class UnknownPeerError(LookupError):
    """No URL is known for a peer id."""


def read_network_file(path: Path) -> dict[str, str]:
    """``{short id: url}`` from a ``network.json``; an absent file is an empty network."""
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise NetworkFileError(f"{path}: cannot read network file: {exc}") from exc
    nodes = document.get("nodes") if isinstance(document, dict) else None
    if not isinstance(nodes, dict):
        raise NetworkFileError(f'{path}: expected {{"nodes": {{short id: {{"url", "pid"}}}}}}')
    urls: dict[str, str] = {}
    for node_id, entry in nodes.items():
        url = entry.get("url") if isinstance(entry, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise NetworkFileError(f"{path}: node {node_id!r} has no http(s) url")
        urls[str(node_id)] = url.rstrip("/")
    return urls


def load_peer_urls(settings: NodeSettings) -> dict[str, str]:
    """Peer URLs now: the ``PILOT_PEER_URLS`` override, else the network file."""
    if settings.peer_urls:
        return dict(settings.peer_urls)
    return read_network_file(settings.network_path)


class PeerDirectory:
    """Peer URLs that follow ``network.json`` as it changes (unless ``PILOT_PEER_URLS`` overrides it)."""

    def __init__(self, settings: NodeSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._urls: dict[str, str] = {}

    def urls(self) -> dict[str, str]:
        """All known peers, re-reading the network file if its mtime or size changed."""
        if self.settings.peer_urls:
            return dict(self.settings.peer_urls)
        path = self.settings.network_path
        try:
            stat = path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp or stamp is None:
                self._urls = read_network_file(path) if stamp is not None else {}
                self._stamp = stamp
            return dict(self._urls)

    def url_for(self, peer_id: str) -> str:
        """The base URL of ``peer_id``, or ``UnknownPeerError`` saying where it was looked for."""
        urls = self.urls()
        try:
            return urls[peer_id]
        except KeyError:
            source = "PILOT_PEER_URLS" if self.settings.peer_urls else str(self.settings.network_path)
            known = ", ".join(sorted(urls)) or "none"
            raise UnknownPeerError(
                f"no URL for peer {peer_id!r} in {source} (known: {known}); start it with `pilot up` "
                "or set PILOT_PEER_URLS=id=url,..."
            ) from None
