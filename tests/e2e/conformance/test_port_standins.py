"""The port suite catches faults: against each non-conformant port stand-in the run exits 1 and exactly
the cases that the fault should fail, fail. The stand-ins are real HTTP servers on loopback (threads)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.cli import app
from pilot.conformance.cases_port import vector_case_ids
from pilot.conformance.cases_status import STATUS_CASES
from pilot.conformance.material import KitMaterial
from pilot.conformance.port_standin import PortFaults, StandinPort
from pilot.conformance.standins import PORT_STANDINS, serve_port_standin

pytestmark = pytest.mark.e2e

VECTOR_IDS = vector_case_ids()
INVALID = {i for i in VECTOR_IDS if i.startswith("port.t1.invalid.")}
VALID = {i for i in VECTOR_IDS if i.startswith("port.t2.valid.")}
REQUEST_CHECKS = {
    "port.t2.request-unsigned",
    "port.t2.request-wrong-key",
    "port.t2.request-stale-created",
    "port.t2.request-replayed-nonce",
    "port.t2.request-body-changed",
    "port.t2.request-revoked-key",
    "port.t2.request-not-an-exporter",
}
STATUS = {spec.id for spec in STATUS_CASES}
#: The published vectors whose code only a status check finds.
STATUS_VECTORS = {
    f"port.t1.invalid.{stem}"
    for stem in (
        "credential-status-revoked",
        "credential-status-suspended",
        "submission-certificate-revoked",
        "submission-certificate-suspended",
    )
}
EXPECTED_FAILURES: dict[str, set[str]] = {
    "port-accepts-everything": INVALID
    | REQUEST_CHECKS
    | STATUS
    | {"port.t3.payload-too-large", "port.t3.nesting-too-deep"},
    "port-wrong-receipt-key": VALID | {"port.t2.receipt-signature", "port.t2.status-lists-named"},
    "port-log-rewrites-history": {"port.t3.consistency-proof"},
    "port-ignores-status": STATUS_VECTORS | STATUS,
    "port-status-fails-open": {"port.t2.status-fail-closed"},
}


def test_the_status_vectors_are_published() -> None:
    assert STATUS_VECTORS <= INVALID


def _failing_ids(sandbox: Path, url: str, tmp_path: Path) -> tuple[int, set[str]]:
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["conformance", "run", "--port", url, "--data-dir", str(sandbox), "--format", "json", "-o", str(out)]
    )
    report = json.loads(out.read_text())
    return result.exit_code, {c["id"] for c in report["cases"] if c["status"] == "fail"}


def test_every_port_standin_is_tested() -> None:
    # port-ignores-sealing is run as cn-port-03, whose policy seals: tests/e2e/conformance/test_sealing_suite.py
    assert set(PORT_STANDINS) == set(EXPECTED_FAILURES) | {"port-ignores-sealing"}


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILURES))
def test_each_port_standin_fails_exactly_its_cases(name: str, sandbox: Path, tmp_path: Path) -> None:
    server = serve_port_standin(name, KitMaterial.load(sandbox))
    try:
        exit_code, failing = _failing_ids(sandbox, server.url, tmp_path)
    finally:
        server.stop()
    assert exit_code == 1
    assert failing == EXPECTED_FAILURES[name]


def test_the_standin_without_faults_passes_every_case(sandbox: Path, tmp_path: Path) -> None:
    server = StandinPort(KitMaterial.load(sandbox), faults=PortFaults()).serve()
    try:
        exit_code, failing = _failing_ids(sandbox, server.url, tmp_path)
    finally:
        server.stop()
    assert (exit_code, failing) == (0, set())
