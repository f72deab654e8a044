"""A node's public origins: the ``scheme://host[:port]`` its clients sign requests for (docs/design.md §4).

An RFC 9421 ``@target-uri`` names the node a request was made for; a node refuses one whose origin is not
among its own, so that a request signed for ``cn-port-01`` cannot be replayed to ``cn-port-02``. Origins
are compared in the RFC 6454 section 6.2 ASCII serialization: scheme and host in lower case, the default
port of the scheme (80 for ``http``, 443 for ``https``) left out, no path, no user information.

By default (``PILOT_PUBLIC_ORIGINS`` unset) a node's origins are ``http://127.0.0.1:<port>`` and
``http://localhost:<port>`` of its listen port, plus ``http://<listen host>:<port>`` when it listens on
one named address. A node reached by another name (a container name, a reverse proxy, a TCP relay such
as ``pilot.faultproxy``) must be told that name: the client signs the URL it calls, and a relay that
forwards bytes untouched keeps the client's ``Host``.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["default_origins", "normalize_origin", "origin_of", "parse_origins"]

_DEFAULT_PORTS = {"http": 80, "https": 443}
_WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]"})


def _serialize(scheme: str, host: str, port: int | None) -> str:
    host = host.lower()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 literal
    if port is None or port == _DEFAULT_PORTS.get(scheme):
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_of(url: str) -> str | None:
    """The serialized origin of an absolute ``http(s)`` URL, or None when it has none we could match."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or parts.username is not None or "@" in parts.netloc:
        return None
    return _serialize(scheme, parts.hostname, port)


def normalize_origin(text: str) -> str:
    """``text`` as a serialized origin; ``ValueError`` unless it is ``http(s)://host[:port]`` and nothing else."""
    origin = origin_of(text.strip().rstrip("/"))
    parts = urlsplit(text.strip().rstrip("/"))
    if origin is None or parts.path or parts.query or parts.fragment:
        raise ValueError(f"{text!r} is not an origin: expected http(s)://host[:port]")
    return origin


def parse_origins(value: str | Iterable[str]) -> list[str]:
    """Comma-separated (or listed) origins, normalized, duplicates dropped, order kept."""
    items = value.split(",") if isinstance(value, str) else list(value)
    origins: list[str] = []
    for item in items:
        if not item.strip():
            continue
        origin = normalize_origin(item)
        if origin not in origins:
            origins.append(origin)
    return origins


def default_origins(listen_host: str, listen_port: int) -> list[str]:
    """``http://127.0.0.1:<port>``, ``http://localhost:<port>`` and the listen host's own, if it names one."""
    origins = [_serialize("http", "127.0.0.1", listen_port), _serialize("http", "localhost", listen_port)]
    host = listen_host.strip()
    if host not in _WILDCARD_HOSTS:
        own = _serialize("http", host.strip("[]"), listen_port)
        if own not in origins:
            origins.append(own)
    return origins
