"""The ``pilot`` command's contract (docs/design.md §9), through typer's runner in process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pilot.cli import app

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "schemas" / "vectors"
EXPECTED: dict[str, dict[str, str]] = json.loads((VECTORS / "expected.json").read_text())
#: The RFC 8785 testdata files (cyberphone/json-canonicalization), read from <reference dir>/jcs/.
RFC8785_NAMES = ["arrays.json", "french.json", "structures.json", "unicode.json", "values.json", "weird.json"]

runner = CliRunner()


def _w3c_signed(reference_dir: Path) -> Path:
    """The eddsa-jcs-2022 vector's signed credential (w3c/vc-di-eddsa, in the reference directory)."""
    return reference_dir / "eddsa" / "signedJCS.json"


def _w3c_public_key(reference_dir: Path) -> str:
    """The vector's public key: the multikey of its own did:key verificationMethod."""
    method = json.loads(_w3c_signed(reference_dir).read_text())["proof"]["verificationMethod"]
    return str(method.partition("#")[2])


@pytest.mark.reference
def test_w3c_vector_verifies_with_its_public_key(reference_dir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "credential",
            "verify",
            str(_w3c_signed(reference_dir)),
            "--public-key-multibase",
            _w3c_public_key(reference_dir),
        ],
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


@pytest.mark.reference
def test_w3c_vector_any_single_changed_character_is_proof_invalid(reference_dir: Path, tmp_path: Path) -> None:
    text = _w3c_signed(reference_dir).read_text()
    public_key = _w3c_public_key(reference_dir)
    positions = _body_positions(text)
    assert len(positions) > 50
    step = max(1, len(positions) // 40)
    for position in positions[::step]:
        replacement = "X" if text[position] != "X" else "Y"
        changed = text[:position] + replacement + text[position + 1 :]
        target = tmp_path / "changed.json"
        target.write_text(changed)
        result = runner.invoke(app, ["credential", "verify", str(target), "--public-key-multibase", public_key])
        assert result.exit_code == 1, f"change at {position} was not detected"
        assert "PROOF_INVALID" in result.output


@pytest.mark.reference
@pytest.mark.parametrize("name", RFC8785_NAMES)
def test_canonicalize_reproduces_rfc8785_outputs(reference_dir: Path, name: str) -> None:
    result = runner.invoke(app, ["credential", "canonicalize", str(reference_dir / "jcs" / "input" / name)])
    assert result.exit_code == 0
    assert result.stdout_bytes == (reference_dir / "jcs" / "output" / name).read_bytes()


def validate(files: list[str], output_format: str, *options: str, **invoke: Any) -> Result:
    """``pilot conformance validate`` of ``files`` with the published trust list, reporting in ``output_format``."""
    trust_list = str(VECTORS / "trust-list.json")
    args = ["conformance", "validate", *files, "--trust-list", trust_list, "--format", output_format, *options]
    return runner.invoke(app, args, **invoke)


def test_validate_accepts_every_valid_vector() -> None:
    files = sorted(str(p) for p in (VECTORS / "valid").glob("*.json"))
    result = validate(files, "json", "--status-lists", str(VECTORS / "status"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["refused"] == 0 and report["accepted"] == len(files)
    assert all(f["decision"] in (None, "accepted") and not f["problems"] for f in report["files"]), report


def test_validate_reports_the_expected_code_for_every_invalid_vector() -> None:
    files = sorted((VECTORS / "invalid").glob("*.json"))
    result = validate(
        [str(f) for f in files], "json", "--at", "2026-11-01T00:00:00Z", "--status-lists", str(VECTORS / "status")
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
    result = validate(files, "junit", "-o", str(report), env={"PILOT_REFERENCE_DIR": None})
    assert result.exit_code == 1
    text = report.read_text()
    assert 'failures="1"' in text and "CREDENTIAL_EXPIRED" in text
    # Two files, and the shared-schema and status checks reported as skipped cases (no reference directory,
    # no status lists).
    assert 'tests="4"' in text and 'skipped="2"' in text


def test_missing_file_is_bad_usage() -> None:
    result = runner.invoke(app, ["credential", "verify", "/nonexistent.json", "--public-key-multibase", "z6Mk"])
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
