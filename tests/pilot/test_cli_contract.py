"""Issue 2's acceptance through the real ``pilot`` command (typer's runner, in process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.cli import app

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "schemas" / "vectors"
W3C = ROOT / "tests" / "data" / "w3c-eddsa-jcs-2022"
RFC8785 = ROOT / "tests" / "data" / "rfc8785"
EXPECTED: dict[str, dict[str, str]] = json.loads((VECTORS / "expected.json").read_text())

runner = CliRunner()


def _w3c_public_key() -> str:
    return str(json.loads((W3C / "keypair.json").read_text())["publicKeyMultibase"])


def test_w3c_vector_verifies_with_its_public_key() -> None:
    result = runner.invoke(
        app, ["credential", "verify", str(W3C / "signed.json"), "--public-key-multibase", _w3c_public_key()]
    )
    assert result.exit_code == 0, result.output
    assert "verified" in result.output


def _body_positions(text: str) -> list[int]:
    """Positions of letters and digits inside string values outside the proof object."""
    end = text.index('"proof"')
    positions, inside = [], False
    for i, char in enumerate(text[:end]):
        if char == '"' and text[i - 1] != "\\":
            inside = not inside
        elif inside and char.isalnum() and text[i + 1 : i + 3] != '":' and text[i + 1] != '"':
            positions.append(i)
    return positions


def test_w3c_vector_any_single_changed_character_is_proof_invalid(tmp_path: Path) -> None:
    text = (W3C / "signed.json").read_text()
    positions = _body_positions(text)
    assert len(positions) > 50
    step = max(1, len(positions) // 40)
    for position in positions[::step]:
        replacement = "X" if text[position] != "X" else "Y"
        changed = text[:position] + replacement + text[position + 1 :]
        target = tmp_path / "changed.json"
        target.write_text(changed)
        result = runner.invoke(
            app, ["credential", "verify", str(target), "--public-key-multibase", _w3c_public_key()]
        )
        assert result.exit_code == 1, f"change at {position} was not detected"
        assert "PROOF_INVALID" in result.output


@pytest.mark.parametrize("name", sorted(p.name for p in (RFC8785 / "input").glob("*.json")))
def test_canonicalize_reproduces_rfc8785_outputs(name: str) -> None:
    result = runner.invoke(app, ["credential", "canonicalize", str(RFC8785 / "input" / name)])
    assert result.exit_code == 0
    assert result.stdout_bytes == (RFC8785 / "output" / name).read_bytes()


def test_validate_accepts_every_valid_vector() -> None:
    files = sorted(str(p) for p in (VECTORS / "valid").glob("*.json"))
    result = runner.invoke(
        app,
        [
            "conformance",
            "validate",
            *files,
            "--trust-list",
            str(VECTORS / "trust-list.json"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["refused"] == 0 and report["accepted"] == len(files)


def test_validate_reports_the_expected_code_for_every_invalid_vector() -> None:
    files = sorted((VECTORS / "invalid").glob("*.json"))
    result = runner.invoke(
        app,
        [
            "conformance",
            "validate",
            *map(str, files),
            "--trust-list",
            str(VECTORS / "trust-list.json"),
            "--format",
            "json",
            "--at",
            "2026-11-01T00:00:00Z",
        ],
    )
    assert result.exit_code == 1
    outcomes = {Path(f["file"]).name: f["outcome"] for f in json.loads(result.stdout)["files"]}
    assert outcomes == {p.name: EXPECTED[p.name]["expect"] for p in files}


def test_validate_junit_report(tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    files = [
        str(VECTORS / "valid" / "submission-ru-exp-01.json"),
        str(VECTORS / "invalid" / "credential-expired.json"),
    ]
    result = runner.invoke(
        app,
        [
            "conformance",
            "validate",
            *files,
            "--trust-list",
            str(VECTORS / "trust-list.json"),
            "--format",
            "junit",
            "-o",
            str(report),
        ],
    )
    assert result.exit_code == 1
    text = report.read_text()
    assert 'tests="2"' in text and 'failures="1"' in text and "CREDENTIAL_EXPIRED" in text


def test_missing_file_is_bad_usage() -> None:
    result = runner.invoke(
        app, ["credential", "verify", "/nonexistent.json", "--public-key-multibase", "z6Mk"]
    )
    assert result.exit_code == 2


def test_init_reproduces_the_published_sandbox(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    for name in ("trust-list.json", "trust-anchor.json", "keys/ru-exp-01.pem", "keys/cn-port-02.pem"):
        assert (tmp_path / "d" / name).read_bytes() == (VECTORS / name).read_bytes(), name
    assert (tmp_path / "d" / "tokens" / "cn-port-01").stat().st_mode & 0o077 == 0
    again = runner.invoke(app, ["init", "--data-dir", str(tmp_path / "d")])
    assert again.exit_code == 2


def test_credential_verify_with_trust_list_reports_revoked_key() -> None:
    result = runner.invoke(
        app,
        [
            "credential",
            "verify",
            str(VECTORS / "invalid" / "credential-revoked-key.json"),
            "--trust-list",
            str(VECTORS / "trust-list.json"),
        ],
    )
    assert result.exit_code == 1 and "KEY_REVOKED" in result.output
