"""The port suite as ``cn-port-03``, whose policy seals laboratory results (docs/design.md §8): the sealing cases
and the sealed vectors run, a conformant port passes them all, and ``port-ignores-sealing`` fails exactly them.

The ports are real HTTP servers on loopback: the kit's stand-in (threads) and our own port (a process).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.cli import app
from pilot.conformance.cases_port import PORT_CASES, vector_case_ids
from pilot.conformance.cases_sealing import PORT_SEALING_CASES
from pilot.conformance.cases_status import STATUS_CASES
from pilot.conformance.material import KitMaterial
from pilot.conformance.port_standin import PortFaults, StandinPort
from pilot.conformance.standins import PORT_STANDINS, serve_port_standin
from tests.support.processes import port_with_registry

pytestmark = pytest.mark.e2e

PORT = "cn-port-03"
SEALING = {spec.id for spec in PORT_SEALING_CASES}
SEALED_VECTORS = {i for i in vector_case_ids(port_id=PORT) if ".submission-sealed-" in i}
EVERY_CASE = (
    {s.id for s in PORT_CASES + STATUS_CASES if "<vector>" not in s.id} | set(vector_case_ids(port_id=PORT)) | SEALING
)
#: What a port that reads sealed categories as permitted and holds no keyAgreement key gets wrong.
IGNORES_SEALING = SEALING | {
    "port.t2.valid.submission-sealed-laboratory",  # SEALED_KEY_UNKNOWN: it holds no key
    "port.t1.invalid.submission-sealed-tampered-ciphertext",  # SEALED_KEY_UNKNOWN, never gets to SEALED_INVALID
    "port.t1.invalid.submission-sealed-clear-laboratory",  # accepted in clear text
    "port.t1.invalid.submission-sealed-nothing-to-seal",  # SEALED_KEY_UNKNOWN: it opens nothing
}  # wrong-recipient, retired-key and algorithm-unsupported are refused from the trust list and header alone


def _report(sandbox: Path, url: str, tmp_path: Path) -> tuple[int, dict[str, str]]:
    out = tmp_path / "report.json"
    arguments = ["conformance", "run", "--port", url, "--port-id", PORT, "--data-dir", str(sandbox)]
    result = CliRunner().invoke(app, [*arguments, "--format", "json", "-o", str(out)])
    report = json.loads(out.read_text())
    return result.exit_code, {c["id"]: c["status"] for c in report["cases"]}


def test_the_sealing_vectors_and_cases_are_planned_for_cn_port_03_only() -> None:
    assert len(SEALED_VECTORS) == 7
    assert not {i for i in vector_case_ids() if ".submission-sealed-" in i}  # not sent to cn-port-01
    assert "port-ignores-sealing" in PORT_STANDINS


def test_the_standin_as_cn_port_03_passes_every_case(sandbox: Path, tmp_path: Path) -> None:
    server = StandinPort(KitMaterial.load(sandbox), PORT, faults=PortFaults()).serve()
    try:
        exit_code, cases = _report(sandbox, server.url, tmp_path)
    finally:
        server.stop()
    assert set(cases) == EVERY_CASE
    assert {i for i, status in cases.items() if status != "pass"} == set()
    assert exit_code == 0


def test_port_ignores_sealing_fails_exactly_the_sealing_cases(sandbox: Path, tmp_path: Path) -> None:
    server = serve_port_standin("port-ignores-sealing", KitMaterial.load(sandbox), port_id=PORT)
    try:
        exit_code, cases = _report(sandbox, server.url, tmp_path)
    finally:
        server.stop()
    assert exit_code == 1
    assert {i for i, status in cases.items() if status != "pass"} == IGNORES_SEALING


def test_our_port_as_cn_port_03_passes_every_case(sandbox: Path, tmp_path: Path) -> None:
    with port_with_registry(sandbox, PORT).start() as node:
        exit_code, cases = _report(sandbox, node.url, tmp_path)
    assert {i for i, status in cases.items() if status != "pass"} == set()
    assert set(cases) == EVERY_CASE and exit_code == 0
