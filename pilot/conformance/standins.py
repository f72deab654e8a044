"""Deliberately non-conformant nodes, to show that the kit catches faults (tests and testers use them).

Port stand-ins are the kit's own ``StandinPort`` with one fault switched on; exporter stand-ins are our
exporter node with one part of its delivery worker replaced. Each is a real HTTP server on loopback:

- ``port-accepts-everything``: no request signature check, no assessment, lenient JSON, no size limit;
- ``port-wrong-receipt-key``: receipts signed by a key that is not the port's ``assertion`` key;
- ``port-log-rewrites-history``: every new entry also rewrites entry 0, so no checkpoint is consistent
  with an earlier one;
- ``exporter-never-retries``: a temporary failure (503, dropped connection) is retried only after days;
- ``exporter-ignores-bad-receipts``: receipts and checkpoints are taken as they come, unverified.

Run one with ``python -m pilot.conformance.standins NAME --data-dir D --listen HOST:PORT [--id ID]``;
an exporter stand-in honours ``PILOT_PEER_URLS`` like ``pilot node exporter``.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pilot.conformance.http_server import LoopbackServer
from pilot.conformance.material import KitMaterial
from pilot.conformance.port_standin import PortFaults, StandinPort

__all__ = ["EXPORTER_STANDINS", "PORT_STANDINS", "main", "serve_port_standin"]

PORT_STANDINS: dict[str, PortFaults] = {
    "port-accepts-everything": PortFaults(verify_requests=False, assess=False, strict_json=False, limit_body=False),
    "port-wrong-receipt-key": PortFaults(wrong_receipt_key=True),
    "port-log-rewrites-history": PortFaults(rewrite_history=True),
}
EXPORTER_STANDINS = ("exporter-never-retries", "exporter-ignores-bad-receipts")
NEVER_S = 7 * 24 * 3600.0


def serve_port_standin(
    name: str, material: KitMaterial, host: str = "127.0.0.1", port: int = 0, port_id: str = "cn-port-01"
) -> LoopbackServer:
    """Start the port stand-in ``name`` on loopback; returns its started server."""
    return StandinPort(material, port_id, faults=PORT_STANDINS[name]).serve(host, port)


def _never_retry(base_s: float, attempts: int, rng: Any = None) -> float:
    """A backoff that waits a week: the consignment stays pending through any test."""
    return NEVER_S


def _unverified_receipt(
    body: bytes | Any, expected: Any, trust: Any, at: datetime, *, clock_skew: timedelta = timedelta(0)
) -> Any:
    """Take a receipt as it comes: whatever its signature, checkpoint or proof (the fault under test)."""
    from exporter_node.errors import ReceiptCheckError
    from exporter_node.receipt_check import VerifiedReceipt, check_receipt
    from schemas._jsonio import parse_json
    from schemas._signed_note import Checkpoint, parse_signed_note

    try:
        return check_receipt(body, expected, trust, at, clock_skew=clock_skew)
    except ReceiptCheckError:
        document = parse_json(body) if isinstance(body, bytes) else dict(body)
        subject = document["credentialSubject"]
        log = subject["log"]
        checkpoint = Checkpoint.from_body(parse_signed_note(log["checkpoint"]).body)
        return VerifiedReceipt(
            receipt=document,
            decision=str(subject["decision"]),
            reasons=[dict(r) for r in subject.get("reasons", [])],
            log_index=int(log["index"]),
            checkpoint=checkpoint,
            checkpoint_text=str(log["checkpoint"]),
        )


def _no_consistency_check(*_: Any) -> None:
    """Accept any checkpoint as consistent (the fault under test)."""


def run_exporter_standin(name: str, node_id: str, data_dir: Path, host: str, port: int) -> None:
    """Run our exporter node with the fault ``name`` until interrupted."""
    import uvicorn

    from exporter_node import delivery
    from exporter_node.app import create_app
    from node_core.settings import NodeSettings

    # The worker looks these names up in its module at call time: replacing them injects the fault.
    if name == "exporter-never-retries":
        setattr(delivery, "backoff_delay", _never_retry)  # noqa: B010
    else:
        setattr(delivery, "check_receipt", _unverified_receipt)  # noqa: B010
        setattr(delivery, "check_consistency", _no_consistency_check)  # noqa: B010
    settings = NodeSettings(node_id=node_id, data_dir=data_dir, listen_host=host, listen_port=port)
    uvicorn.run(
        create_app(settings), host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=5
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m pilot.conformance.standins NAME --data-dir D --listen HOST:PORT [--id ID]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=[*PORT_STANDINS, *EXPORTER_STANDINS])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--listen", default="127.0.0.1:8190")
    parser.add_argument("--id", dest="node_id", help="the node's short id (cn-port-01 / ru-exp-01 by default)")
    args = parser.parse_args(argv)
    host, _, port_text = args.listen.rpartition(":")
    if args.name in EXPORTER_STANDINS:
        run_exporter_standin(args.name, args.node_id or "ru-exp-01", args.data_dir, host, int(port_text))
        return
    server = serve_port_standin(
        args.name, KitMaterial.load(args.data_dir), host, int(port_text), args.node_id or "cn-port-01"
    )
    print(f"{args.name} serving at {server.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.stop()


if __name__ == "__main__":
    main()
