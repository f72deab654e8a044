"""The exporter suite for a destination whose policy seals laboratory results (``--port-id cn-port-03``): our
exporter seals the certificate that carries them and passes every case; ``exporter-ignores-sealing`` sends
them in clear and fails exactly ``exporter.t2.seals-per-policy``.

Real processes: a registry, the exporter (or its stand-in), and the kit's stand-in port serving cn-port-03.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pilot.cli import app
from pilot.conformance.cases_exporter import EXPORTER_CASES
from pilot.conformance.cases_sealing import EXPORTER_SEALING_CASES
from tests.support.processes import NodeProcess, free_port, start_registry

pytestmark = pytest.mark.e2e

PORT = "cn-port-03"
SEALING = {spec.id for spec in EXPORTER_SEALING_CASES}
ALL_IDS = {spec.id for spec in EXPORTER_CASES} | SEALING


@pytest.fixture(scope="module")
def registry(sandbox: Path) -> Iterator[str]:
    """A registry process holding the sandbox's status lists; its URL."""
    with start_registry(sandbox) as node:
        yield node.url


def _exporter(sandbox: Path, command: list[str] | None, exporter_id: str, kit_port: int, registry: str) -> NodeProcess:
    env = {"PILOT_PEER_URLS": f"{PORT}=http://127.0.0.1:{kit_port},registry={registry}", "PILOT_RETRY_BASE_S": "0.2"}
    return NodeProcess.pilot("exporter", exporter_id, sandbox, env=env, command=command)


def _run(sandbox: Path, command: list[str] | None, exporter_id: str, registry: str, out: Path) -> tuple[int, Any]:
    kit_port = free_port()
    node = _exporter(sandbox, command, exporter_id, kit_port, registry).start()
    try:
        arguments = ["conformance", "run", "--exporter", node.url, "--exporter-id", exporter_id, "--port-id", PORT]
        arguments += ["--data-dir", str(sandbox), "--listen", f"127.0.0.1:{kit_port}", "--registry", registry]
        result = CliRunner().invoke(app, [*arguments, "--format", "json", "-o", str(out)])
    finally:
        node.stop()
    return result.exit_code, json.loads(out.read_text())


def _failing(report: dict[str, Any]) -> set[str]:
    return {c["id"] for c in report["cases"] if c["status"] == "fail"}


def test_our_exporter_seals_for_cn_port_03(sandbox: Path, registry: str, tmp_path: Path) -> None:
    exit_code, report = _run(sandbox, None, "ru-exp-02", registry, tmp_path / "r.json")
    assert _failing(report) == set(), [c for c in report["cases"] if c["status"] == "fail"]
    assert {c["id"] for c in report["cases"]} == ALL_IDS
    (case,) = [c for c in report["cases"] if c["id"] in SEALING]
    assert f"sealed to did:web:pilot.example:{PORT}#key-4" in case["actual"]
    assert exit_code == 0


def test_exporter_ignores_sealing_fails_exactly_the_sealing_case(sandbox: Path, registry: str, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pilot.conformance.standins", "exporter-ignores-sealing"]
    exit_code, report = _run(sandbox, command, "ru-exp-05", registry, tmp_path / "r.json")
    assert _failing(report) == SEALING
    (case,) = [c for c in report["cases"] if c["id"] in SEALING]
    assert "travel in clear text" in case["actual"]
    assert exit_code == 1
