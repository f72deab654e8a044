"""Deliberately non-conformant nodes, to show that the kit catches faults (tests and testers use them).

Port stand-ins are the kit's own ``StandinPort`` with one fault switched on; exporter stand-ins are our
exporter node with one part of its delivery worker replaced. Each is a real HTTP server on loopback:

- ``port-accepts-everything``: no request signature check, no assessment, lenient JSON, no size limit;
- ``port-wrong-receipt-key``: receipts signed by a key that is not the port's ``assertion`` key;
- ``port-log-rewrites-history``: every new entry also rewrites entry 0, so no checkpoint is consistent
  with an earlier one;
- ``port-ignores-status``: credentials' status is never looked up, so a revoked or suspended certificate
  passes and receipts name no status list;
- ``port-status-fails-open``: a status it cannot establish counts as good: a submission it should hold
  for inspection (``STATUS_UNAVAILABLE``) is accepted;
- ``port-ignores-sealing``: reads the categories its policy seals as permitted in clear, and holds no
  ``keyAgreement`` key: laboratory results in clear text pass, a sealed credential is never opened (run it
  as ``cn-port-03``, whose policy seals laboratory results);
- ``exporter-never-retries``: a temporary failure (503, dropped connection) is retried only after days;
- ``exporter-ignores-bad-receipts``: receipts and checkpoints are taken as they come, unverified;
- ``exporter-ignores-sealing``: reads the categories a destination seals as permitted in clear, so it sends
  laboratory results to cn-port-03 unsealed (run the exporter suite with ``--port-id cn-port-03``).

Run one with ``python -m pilot.conformance.standins NAME --data-dir D --listen HOST:PORT [--id ID]``;
an exporter stand-in honours ``PILOT_PEER_URLS`` like ``pilot node exporter``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import random
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from node_core.trust_holder import TrustHolder
from pilot.conformance.http_server import LoopbackServer
from pilot.conformance.material import KitMaterial
from pilot.conformance.port_standin import PortFaults, StandinPort, unsafe_sealed_categories_permitted
from schemas.trust import TrustRegistry

if TYPE_CHECKING:  # the exporter node is imported only when an exporter stand-in runs
    from exporter_node.delivery import WorkerOptions
    from exporter_node.receipt_check import ExpectedReceipt
    from exporter_node.storage import KnownCheckpoint
    from schemas.receipt import VerifiedReceipt
    from schemas.signed_note import Checkpoint

__all__ = [
    "EXPORTER_FAULTS",
    "EXPORTER_STANDINS",
    "PORT_STANDINS",
    "UnsafeAcceptAnyReceipt",
    "UnsafeSealingBlindTrust",
    "main",
    "never_retry",
    "serve_port_standin",
    "unsafe_no_consistency_check",
]

PORT_STANDINS: dict[str, PortFaults] = {
    "port-accepts-everything": PortFaults(verify_requests=False, assess=False, strict_json=False, limit_body=False),
    "port-wrong-receipt-key": PortFaults(wrong_receipt_key=True),
    "port-log-rewrites-history": PortFaults(rewrite_history=True),
    "port-ignores-status": PortFaults(check_status=False),
    "port-status-fails-open": PortFaults(status_fails_open=True),
    "port-ignores-sealing": PortFaults(honour_sealing=False),
}
NEVER_S = 7 * 24 * 3600.0


def serve_port_standin(
    name: str, material: KitMaterial, host: str = "127.0.0.1", port: int = 0, port_id: str = "cn-port-01"
) -> LoopbackServer:
    """Start the port stand-in ``name`` on loopback; returns its started server."""
    return StandinPort(material, port_id, faults=PORT_STANDINS[name]).serve(host, port)


def never_retry(base_s: float, attempts: int, rng: Callable[[], float] = random.random) -> float:
    """A backoff that waits a week: the consignment stays pending through any test (the fault under test)."""
    return NEVER_S


class UnsafeAcceptAnyReceipt:
    """DANGER: takes a receipt as it comes, whatever its signature, subject, checkpoint or proof.

    Only for the ``exporter-ignores-bad-receipts`` stand-in, whose whole point is to be wrong: a receipt
    that verifies is returned as verified; one that does not is returned anyway, read without checks.
    """

    def __call__(
        self, body: bytes, expected: ExpectedReceipt, trust: TrustRegistry, at: datetime, *, clock_skew: timedelta
    ) -> VerifiedReceipt:
        from exporter_node.errors import ReceiptCheckError
        from exporter_node.receipt_check import check_receipt
        from schemas.jsonio import parse_json
        from schemas.receipt import VerifiedReceipt
        from schemas.signed_note import Checkpoint, parse_signed_note

        try:
            return check_receipt(body, expected, trust, at, clock_skew=clock_skew)
        except ReceiptCheckError:
            document = parse_json(body)
        subject = document["credentialSubject"]
        log = subject["log"]
        try:
            leaf = base64.b64decode(str(log.get("leafHash", "")))
        except binascii.Error:
            leaf = b""
        return VerifiedReceipt(
            receipt=document,
            port_id=expected.port_id,
            exporter_id=expected.exporter_id,
            decision=str(subject["decision"]),
            reasons=[dict(r) for r in subject.get("reasons", [])],
            log_index=int(log["index"]),
            leaf_hash=leaf,
            checkpoint=Checkpoint.from_body(parse_signed_note(log["checkpoint"]).body),
            checkpoint_text=str(log["checkpoint"]),
        )


def unsafe_no_consistency_check(previous: KnownCheckpoint, new: Checkpoint, proof: Sequence[bytes]) -> None:
    """DANGER: accepts any checkpoint as consistent with the one seen before (the fault under test)."""


class UnsafeSealingBlindTrust(TrustHolder):
    """DANGER: the node's trust list, with every port's sealed categories read as permitted in clear text.

    Only for the ``exporter-ignores-sealing`` stand-in, whose whole point is to be wrong: it builds and
    pre-checks consignments as if no destination sealed anything, so it sends laboratory results in clear.
    """

    def current(self) -> TrustRegistry:
        return unsafe_sealed_categories_permitted(super().current())


#: The delivery worker's policies for each exporter stand-in: the fault it carries.
EXPORTER_FAULTS: dict[str, WorkerOptions] = {
    "exporter-never-retries": {"backoff": never_retry},
    "exporter-ignores-bad-receipts": {
        "receipt_verifier": UnsafeAcceptAnyReceipt(),
        "consistency_checker": unsafe_no_consistency_check,
    },
}
#: Exporter stand-ins whose fault is in what they read of the trust list, not in the delivery worker.
SEALING_BLIND = "exporter-ignores-sealing"
EXPORTER_STANDINS = (*EXPORTER_FAULTS, SEALING_BLIND)


def run_exporter_standin(name: str, node_id: str, data_dir: Path, host: str, port: int) -> None:
    """Run our exporter node with the fault ``name`` until interrupted."""
    import uvicorn

    from exporter_node.app import create_app
    from node_core.settings import NodeSettings

    settings = NodeSettings(node_id=node_id, data_dir=data_dir, listen_host=host, listen_port=port)
    node = None
    if name == SEALING_BLIND:
        from exporter_node.state import ExporterNode

        node = ExporterNode.open(settings)
        node.trust = UnsafeSealingBlindTrust(settings.trust_list_path, settings.trust_anchor_path, node.engine)
    app = create_app(settings, node=node, worker_options=EXPORTER_FAULTS.get(name))
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False, timeout_graceful_shutdown=5)


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
