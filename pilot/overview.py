"""The overview page at the base port: the network (6 exporters x 3 ports, the registry) with live counts.

Run by ``pilot up`` as its own small process (``python -m pilot.overview --data-dir D --listen H:P``) so
that it outlives ``pilot up --detach``. It re-reads ``network.json`` on every request, asks each port's
``/v1/dashboard/summary`` (with the operator token from the data dir, server-side) for its counts per
exporter and decision, its log size and its witnesses, and refreshes itself every 5 seconds. Every node
recorded is listed with its links; the registry's (a JSON API without a page of its own) are its API docs,
its trust list and its health. The page's text is in the first of the pilot's languages the browser asks for
(``Accept-Language``; else English), from the catalogues (docs/design.md §9, "Languages"); exporters and
ports are named in the language the browser asks for, from the data dir's trust list, every other form of a
name in its tooltip (``pilot.participant_labels``). Ids, kinds, URLs and counts are shown as they are. It
shows no operator tokens: anyone on the machine can read it. It also answers ``GET /health``.
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
from node_core.i18n import translate
from node_core.languages import DEFAULT_LANGUAGE, Language, language_of
from pilot.language import N_
from pilot.network_file import NetworkRecord, NetworkRecordError, read_record
from pilot.participant_labels import participant_html
from schemas.errors import PilotSchemaError
from schemas.jsonio import parse_json
from schemas.names import language_ranges
from schemas.phrase import Phrase
from schemas.trust import TrustRegistry

__all__ = ["main", "port_summaries", "render_page", "serve"]

#: A port's decisions and how a cell counts them (``{count} ok``: the template, filled where it is shown).
_DECISIONS = (
    ("accepted", N_("{count} ok")),
    ("rejected", N_("{count} no")),
    ("held_for_inspection", N_("{count} held")),
)


def page_language(ranges: Sequence[str]) -> Language:
    """The page's language: the first of the reader's ranges that is one of the pilot's, else English."""
    return next((found for r in ranges if (found := language_of(r)) is not None), DEFAULT_LANGUAGE)


def _t(language: Language, message: Phrase) -> str:
    """``message`` in ``language``, escaped for HTML."""
    return html.escape(translate(message, language))


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
    summaries: dict[str, dict[str, Any] | None],
    ranges: Sequence[str] = (),
    trust: TrustRegistry | None = None,
    language: Language = DEFAULT_LANGUAGE,
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
            parts = [
                translate(Phrase(template, count=counts.get(d, 0)), language)
                for d, template in _DECISIONS
                if counts.get(d, 0)
            ]
            cells.append(f"<td class=count>{html.escape(', '.join(parts) or '0')}</td>")
        rows.append(f"<tr><td>{participant_html(exporter, ranges, trust)}</td>{''.join(cells)}</tr>")
    logs = []
    for port in ports:
        summary = summaries[port]
        if summary is None:
            logs.append(f"<td>{_t(language, Phrase('not answering'))}</td>")
            continue
        log = summary["log"]
        signing = "" if log["signing"] else f" <strong>{_t(language, Phrase('NOT signing'))}</strong>"
        names = ", ".join(c.split(".")[0] for c in log["cosigners"])
        if names:
            logged = Phrase("{size} entries, cosigned by {cosigners}", size=log["size"], cosigners=names)
        else:
            logged = Phrase("{size} entries, not cosigned yet", size=log["size"])
        logs.append(f"<td>{_t(language, logged)}{signing}</td>")
    title = _t(language, Phrase("Consignments per exporter and port (live)"))
    return (
        f"<h2>{title}</h2><table id=matrix><tr><th>{_t(language, Phrase('exporter'))}</th>{head}</tr>"
        f"{''.join(rows)}<tr><th>{_t(language, Phrase('log'))}</th>{''.join(logs)}</tr></table>"
    )


def _node_row(node_id: str, kind: str, url: str, language: Language = DEFAULT_LANGUAGE) -> str:
    """A node's row: its id, kind and URL, linked to its page (the API docs of the registry, which has none)."""
    page = f"{url}/docs" if kind == "registry" else f"{url}/"
    links = [
        f'<a href="{html.escape(url)}/health">{_t(language, Phrase("health"))}</a>',
        f'<a href="{html.escape(url)}/docs">{_t(language, Phrase("API docs"))}</a>',
    ]
    if kind == "registry":
        links.append(f'<a href="{html.escape(url)}/v1/trust-list">{_t(language, Phrase("trust list"))}</a>')
    return (
        f"<tr><td>{html.escape(node_id)}</td><td>{html.escape(kind)}</td>"
        f'<td><a href="{html.escape(page)}">{html.escape(url)}</a></td><td>{" · ".join(links)}</td></tr>'
    )


def render_page(data_dir: Path, ranges: Sequence[str] = ()) -> str:
    """The overview HTML for the network recorded in ``data_dir``, in the language and with the names for a reader
    of ``ranges``."""
    language = page_language(ranges)
    title = _t(language, Phrase("pilot network"))
    try:
        record = read_record(data_dir)
    except NetworkRecordError as exc:
        return f'<!doctype html><html lang="{language}"><title>{title}</title><p>{_t(language, exc.phrase)}</p>'
    nodes = record.nodes.items() if record else []
    rows = "".join(_node_row(node_id, entry.kind, entry.url, language) for node_id, entry in nodes)
    matrix = _matrix(port_summaries(data_dir, record), ranges, _trust_list(data_dir), language) if record else ""
    headers = "".join(f"<th>{_t(language, h)}</th>" for h in (Phrase("node"), Phrase("role"), Phrase("URL")))
    dashboards = _t(
        language, Phrase("Dashboards need the operator token: use the links {command} printed.", command="\0")
    ).replace("\0", "<code>pilot up</code>")
    return (
        f'<!doctype html><html lang="{language}"><meta charset="utf-8"><meta http-equiv="refresh" content="5">'
        f"<title>{title}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem}td,th{padding:.3rem 1rem;text-align:left;"
        "border-bottom:1px solid #e4e7eb}table{border-collapse:collapse}</style>"
        f"<h1>{_t(language, Phrase('Agri-export pilot network'))}</h1>"
        f"{matrix}"
        f"<h2>{_t(language, Phrase('Nodes'))}</h2><p>{dashboards}</p>"
        f"<table><tr>{headers}<th></th></tr>{rows}</table></html>"
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
