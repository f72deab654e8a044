"""The overview page at the base port: a minimal list of the running nodes with links, and ``GET /health``.

Run by ``pilot up`` as its own small process (``python -m pilot.overview --data-dir D --listen H:P``) so
that it outlives ``pilot up --detach``. It re-reads ``network.json`` on every request and shows no
operator tokens: anyone on the machine can read it. Issue 6 may replace it with a richer page.
"""

from __future__ import annotations

import argparse
import html
import json
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pilot.network_file import read_record

__all__ = ["main", "render_page", "serve"]


def render_page(data_dir: Path) -> str:
    """The overview HTML for the network recorded in ``data_dir``."""
    try:
        record = read_record(data_dir)
    except ValueError as exc:
        return f"<!doctype html><title>pilot network</title><p>{html.escape(str(exc))}</p>"
    rows = "".join(
        f"<tr><td>{html.escape(node_id)}</td><td>{html.escape(entry.kind)}</td>"
        f'<td><a href="{html.escape(entry.url)}/">{html.escape(entry.url)}</a></td>'
        f'<td><a href="{html.escape(entry.url)}/health">health</a> · '
        f'<a href="{html.escape(entry.url)}/docs">API docs</a></td></tr>'
        for node_id, entry in (record.nodes.items() if record else [])
    )
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8"><title>pilot network</title>'
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem 1rem;text-align:left}</style>"
        "<h1>Agri-export pilot network</h1>"
        "<p>Dashboards need the operator token: use the links <code>pilot up</code> printed.</p>"
        f"<table><tr><th>node</th><th>role</th><th>URL</th><th></th></tr>{rows}</table></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    """``GET /`` the page, ``GET /health`` a JSON status, anything else 404."""

    def __init__(self, *args: object, data_dir: Path, **kwargs: object) -> None:
        self.data_dir = data_dir
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _send(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/health":
            body = json.dumps({"status": "ok", "role": "overview"}).encode()
            self._send(200, "application/json", body)
        elif path in ("/", "/index.html"):
            self._send(200, "text/html; charset=utf-8", render_page(self.data_dir).encode())
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found\n")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the nodes' logs are what matters."""


def serve(data_dir: Path, host: str, port: int) -> None:
    """Serve the overview until the process is terminated."""
    server = ThreadingHTTPServer((host, port), partial(_Handler, data_dir=data_dir))
    server.daemon_threads = True
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    """``python -m pilot.overview --data-dir D --listen HOST:PORT``."""
    parser = argparse.ArgumentParser(prog="python -m pilot.overview", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="the data dir holding network.json")
    parser.add_argument("--listen", required=True, help="HOST:PORT to bind, e.g. 127.0.0.1:8100")
    arguments = parser.parse_args(argv)
    host, _, port = str(arguments.listen).rpartition(":")
    serve(arguments.data_dir, host or "127.0.0.1", int(port))


if __name__ == "__main__":
    main()
