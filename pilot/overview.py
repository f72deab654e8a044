"""The overview page at the base port: the network (6 exporters x 3 ports, the registry) with live counts.

Run by ``pilot up`` as its own small process (``python -m pilot.overview --data-dir D --listen H:P``) so
that it outlives ``pilot up --detach``. It re-reads ``network.json`` on every request, asks each port's
``/v1/dashboard/summary`` (with the operator token from the data dir, server-side) for its counts per
exporter and decision, its log size and its witnesses, and refreshes itself every 5 seconds. Every node
recorded is listed with its links; the registry's (a JSON API without a page of its own) are its API docs,
its trust list and its health. Exporters and ports are named in the language the browser asks for
(``Accept-Language``), from the data dir's trust list, every other form of a name in its tooltip
(``pilot.participant_labels``). It shows no operator tokens: anyone on the machine can read it. It also
answers ``GET /health``.
"""

from __future__ import annotations

import argparse
import html
import json
from collections.abc import Sequence
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from node_core.auth import read_token
from pilot.network_file import NetworkRecord, read_record
from pilot.participant_labels import participant_html
from schemas.errors import PilotSchemaError
from schemas.jsonio import parse_json
from schemas.names import language_ranges
from schemas.trust import TrustRegistry

__all__ = ["main", "port_summaries", "render_page", "serve"]

_DECISIONS = (("accepted", "ok"), ("rejected", "no"), ("held_for_inspection", "held"))


def port_summaries(data_dir: Path, record: NetworkRecord) -> dict[str, dict[str, Any] | None]:
    """Each port's dashboard summary (None when it does not answer)."""
    summaries: dict[str, dict[str, Any] | None] = {}
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        for node_id, entry in sorted(record.nodes.items()):
            if entry.kind != "port" and not node_id.startswith("cn-port-"):
                continue
            try:
                token = read_token(data_dir / "tokens", node_id)
                response = client.get(f"{entry.url}/v1/dashboard/summary", headers={"Authorization": f"Bearer {token}"})
                summaries[node_id] = response.json() if response.status_code == 200 else None
            except (OSError, ValueError, httpx.HTTPError):
                summaries[node_id] = None
    return summaries


def _trust_list(data_dir: Path) -> TrustRegistry | None:
    """The data dir's trust list, for participants' names only (None when it cannot be read)."""
    try:
        return TrustRegistry.from_document(parse_json((data_dir / "trust-list.json").read_bytes()))
    except (OSError, PilotSchemaError, TypeError):
        return None


def _matrix(
    summaries: dict[str, dict[str, Any] | None], ranges: Sequence[str] = (), trust: TrustRegistry | None = None
) -> str:
    """The exporters x ports table of live counts, and a row of log sizes and cosigners."""
    ports = sorted(summaries)
    exporters: set[str] = set()
    for summary in summaries.values():
        if summary:
            exporters.update(summary.get("exporters", []))
    head = "".join(f"<th>{participant_html(p, ranges, trust)}</th>" for p in ports)
    rows = []
    for exporter in sorted(exporters):
        cells = []
        for port in ports:
            summary = summaries[port]
            counts = (summary or {}).get("counts", {}).get(exporter, {})
            parts = [f"{counts.get(d, 0)} {label}" for d, label in _DECISIONS if counts.get(d, 0)]
            cells.append(f"<td class=count>{html.escape(', '.join(parts) or '0')}</td>")
        rows.append(f"<tr><td>{participant_html(exporter, ranges, trust)}</td>{''.join(cells)}</tr>")
    logs = []
    for port in ports:
        summary = summaries[port]
        if summary is None:
            logs.append("<td>not answering</td>")
            continue
        log = summary["log"]
        signing = "" if log["signing"] else " <strong>NOT signing</strong>"
        cosigners = ", ".join(c.split(".")[0] for c in log["cosigners"]) or "none yet"
        logs.append(f"<td>{log['size']} entries, cosigned by {html.escape(cosigners)}{signing}</td>")
    return (
        f"<h2>Consignments per exporter and port (live)</h2><table id=matrix><tr><th>exporter</th>{head}</tr>"
        f"{''.join(rows)}<tr><th>log</th>{''.join(logs)}</tr></table>"
    )


def _node_row(node_id: str, kind: str, url: str) -> str:
    """A node's row: its id, kind and URL, linked to its page (the API docs of the registry, which has none)."""
    page = f"{url}/docs" if kind == "registry" else f"{url}/"
    links = [f'<a href="{html.escape(url)}/health">health</a>', f'<a href="{html.escape(url)}/docs">API docs</a>']
    if kind == "registry":
        links.append(f'<a href="{html.escape(url)}/v1/trust-list">trust list</a>')
    return (
        f"<tr><td>{html.escape(node_id)}</td><td>{html.escape(kind)}</td>"
        f'<td><a href="{html.escape(page)}">{html.escape(url)}</a></td><td>{" · ".join(links)}</td></tr>'
    )


def render_page(data_dir: Path, ranges: Sequence[str] = ()) -> str:
    """The overview HTML for the network recorded in ``data_dir``, names for a reader of ``ranges``."""
    try:
        record = read_record(data_dir)
    except ValueError as exc:
        return f"<!doctype html><title>pilot network</title><p>{html.escape(str(exc))}</p>"
    nodes = record.nodes.items() if record else []
    rows = "".join(_node_row(node_id, entry.kind, entry.url) for node_id, entry in nodes)
    matrix = _matrix(port_summaries(data_dir, record), ranges, _trust_list(data_dir)) if record else ""
    return (
        '<!doctype html><html lang="en"><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
        "<title>pilot network</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem 1rem;text-align:left;"
        "border-bottom:1px solid #e4e7eb}table{border-collapse:collapse}</style>"
        "<h1>Agri-export pilot network</h1>"
        f"{matrix}"
        "<h2>Nodes</h2><p>Dashboards need the operator token: use the links <code>pilot up</code> printed.</p>"
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
            ranges = language_ranges(self.headers.get("Accept-Language"))
            self._send(200, "text/html; charset=utf-8", render_page(self.data_dir, ranges).encode())
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
