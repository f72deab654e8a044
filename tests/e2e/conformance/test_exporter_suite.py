"""The exporter suite: our own exporter (a real ``pilot node exporter`` process) passes every case, and each
exporter stand-in (our exporter with one fault, as a process) fails exactly the cases of its fault.

A registry process holds the sandbox's status lists; the exporter publishes its own lists to it, and the kit's
stand-in port fetches them from it (``--registry``), as a port would.
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
from tests.support.processes import NodeProcess, free_port, start_registry

pytestmark = pytest.mark.e2e

ALL_IDS = {spec.id for spec in EXPORTER_CASES}
STANDIN = [sys.executable, "-m", "pilot.conformance.standins"]


@pytest.fixture(scope="module")
def registry(sandbox: Path) -> Iterator[str]:
    """A registry process holding the sandbox's status lists; its URL."""
    with start_registry(sandbox) as node:
        yield node.url


def exporter_process(
    sandbox: Path, command: list[str] | None, exporter_id: str, kit_port: int, registry: str
) -> NodeProcess:
    """An exporter (or, with ``command``, an exporter stand-in) that finds ``cn-port-01`` at the kit's stand-in."""
    peers = f"cn-port-01=http://127.0.0.1:{kit_port},registry={registry}"
    env = {"PILOT_PEER_URLS": peers, "PILOT_RETRY_BASE_S": "0.2"}
    return NodeProcess.pilot("exporter", exporter_id, sandbox, env=env, command=command)


def _run_kit(
    sandbox: Path, url: str, exporter_id: str, kit_port: int, out: Path, registry: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(
        app,
        [
            "conformance",
            "run",
            "--exporter",
            url,
            "--exporter-id",
            exporter_id,
            "--data-dir",
            str(sandbox),
            "--listen",
            f"127.0.0.1:{kit_port}",
            "--registry",
            registry,
            "--format",
            "json",
            "-o",
            str(out),
            *extra,
        ],
    )
    return result.exit_code, json.loads(out.read_text())


def _failing(report: dict[str, Any]) -> set[str]:
    return {c["id"] for c in report["cases"] if c["status"] == "fail"}


def test_our_exporter_passes_every_case(sandbox: Path, registry: str, tmp_path: Path) -> None:
    kit_port = free_port()
    node = exporter_process(sandbox, None, "ru-exp-01", kit_port, registry).start()
    try:
        exit_code, report = _run_kit(sandbox, node.url, "ru-exp-01", kit_port, tmp_path / "r.json", registry)
    finally:
        node.stop()
    assert _failing(report) == set(), [c for c in report["cases"] if c["status"] == "fail"]
    assert exit_code == 0
    assert {c["id"] for c in report["cases"]} == ALL_IDS


@pytest.mark.parametrize(
    ("standin", "exporter_id", "expected"),
    [
        (
            "exporter-never-retries",
            "ru-exp-03",
            {"exporter.t3.retry-after-503", "exporter.t3.retry-after-dropped-connection", "exporter.t3.backoff"},
        ),
        (
            "exporter-ignores-bad-receipts",
            "ru-exp-04",
            {"exporter.t2.receipt-signature-flagged", "exporter.t2.checkpoint-inconsistent-flagged"},
        ),
    ],
)
def test_each_exporter_standin_fails_exactly_its_cases(
    standin: str, exporter_id: str, expected: set[str], sandbox: Path, registry: str, tmp_path: Path
) -> None:
    # The never-retries stand-in makes the kit wait out its whole --timeout for the retry cases; 20 s leaves
    # room for the cases that must pass (the first delivery) on a loaded 2-core CI machine (6 s did not).
    kit_port = free_port()
    node = exporter_process(sandbox, [*STANDIN, standin], exporter_id, kit_port, registry).start()
    try:
        exit_code, report = _run_kit(
            sandbox, node.url, exporter_id, kit_port, tmp_path / "r.json", registry, "--timeout", "20"
        )
    finally:
        node.stop()
    assert exit_code == 1
    assert _failing(report) == expected
