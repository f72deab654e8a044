"""``pilot conformance validate --port-keys``: the published sealed vectors judged offline with the port's keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pilot.cli import app
from tests.support.files import VECTORS

SEALED = VECTORS / "sealed"
EXPECTED: dict[str, dict[str, str]] = json.loads((SEALED / "expected.json").read_text())
KEYS = VECTORS / "keys" / "cn-port-03.pem"


def _validate(path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    arguments = ["conformance", "validate", str(path), "--trust-list", str(VECTORS / "trust-list.json")]
    arguments += ["--port", "cn-port-03", "--at", "2026-11-01T00:00:00Z", "--status-lists", str(VECTORS / "status")]
    result = CliRunner().invoke(app, [*arguments, "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout) if result.stdout.startswith("{") else {}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_sealed_vector_gets_its_code_with_the_ports_keys(name: str) -> None:
    expected = EXPECTED[name]
    path = SEALED / ("valid" if expected["expect"] == "accept" else "invalid") / name
    exit_code, report = _validate(path, "--port-keys", str(KEYS))
    (verdict,) = report["files"]
    assert verdict["outcome"] == expected["expect"]
    assert exit_code == (0 if expected["expect"] == "accept" else 1)


def test_without_the_ports_keys_the_valid_sealed_vector_is_refused() -> None:
    exit_code, report = _validate(SEALED / "valid" / "submission-sealed-laboratory.json")
    (verdict,) = report["files"]
    assert (exit_code, verdict["outcome"]) == (1, "SEALED_KEY_UNKNOWN")


def test_a_port_keys_file_that_is_no_keyring_is_bad_usage(tmp_path: Path) -> None:
    bogus = tmp_path / "keys.pem"
    bogus.write_text(
        "# did:web:pilot.example:cn-port-03#key-4 keyAgreement\n"
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    )
    exit_code, _ = _validate(SEALED / "valid" / "submission-sealed-laboratory.json", "--port-keys", str(bogus))
    assert exit_code == 2
