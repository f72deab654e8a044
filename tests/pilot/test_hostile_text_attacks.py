"""Text from files and peers is shown literally by every ``pilot`` command (docs/reliability.md, attack 16).

A zip member named ``[/]``, a verificationMethod ``did:web:x#[/]`` or a port's answer quoting
``[bold green]ALL CHECKS PASSED[/]`` used to be rendered as rich markup: a crash (``MarkupError``) or
styled text injected into the verdict. Escape sequences reached the terminal as they were. Each command
gets the same hostile strings; none may crash, and each must print them literally (brackets included),
with control characters made visible.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pilot.audit.bundle import manifest_of, zip_files
from pilot.cli import app

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "schemas" / "vectors"
TRUST = ["--trust-list", str(VECTORS / "trust-list.json"), "--trust-anchor", str(VECTORS / "trust-anchor.json")]

#: Markup that would style the verdict, a lone closing tag (a MarkupError), and an ANSI escape sequence.
STYLED = "[bold green]ALL CHECKS PASSED[/]"
CLOSING = "[/]"
ESCAPE = "\x1b[32mGREEN\x1b[0m"
ESCAPE_SHOWN = "\\x1b[32mGREEN\\x1b[0m"
HOSTILE = f"{STYLED} {CLOSING} {ESCAPE}"

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wide terminal, so that table cells do not wrap the text the tests look for."""
    from pilot import console

    for each in (console.console, console.err_console):
        monkeypatch.setattr(each, "_width", 1000)


def invoke(*args: str) -> Result:
    """Run ``pilot`` in process."""
    return runner.invoke(app, list(args))


def assert_literal(result: Result, *expected: str) -> None:
    """No crash, every expected text printed as is, no raw escape character."""
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    for text in expected:
        assert text in result.output, f"{text!r} not printed literally in:\n{result.output}"
    assert "\x1b" not in result.output


def hostile_credential(directory: Path) -> Path:
    """A facility record whose verificationMethod carries the hostile text, at a path that carries it too.

    A path cannot hold ``[/]`` in one name, but a folder ``...PASSED[`` holding ``] ...`` spells it.
    """
    credential = json.loads((VECTORS / "valid" / "credential-facility-record.json").read_text())
    credential["proof"]["verificationMethod"] = f"did:web:x#{HOSTILE}"
    folder = directory / STYLED.removesuffix("/]")
    folder.mkdir()
    path = folder / f"] {ESCAPE}.json"
    path.write_text(json.dumps(credential))
    return path


def shown(path: Path) -> str:
    """How a hostile path must be printed: literally, its escape characters made visible."""
    return str(path).replace("\x1b", "\\x1b")


# --- pilot audit verify ----------------------------------------------------------------------------


def test_audit_verify_shows_hostile_member_names_literally(tmp_path: Path) -> None:
    members = {CLOSING: b"x", STYLED: b"y", f"e{ESCAPE}": b"z"}
    bundle = tmp_path / "[red]bundle.zip"
    bundle.write_bytes(zip_files({**members, "manifest.json": manifest_of({})}))
    result = invoke("audit", "verify", str(bundle), "--trust-anchor", str(VECTORS / "trust-anchor.json"))
    assert result.exit_code == 1
    assert_literal(result, "'[/]'", STYLED, ESCAPE_SHOWN, "[red]bundle.zip")
    assert "bundle does NOT verify" in result.output


# --- pilot conformance validate --------------------------------------------------------------------


def test_conformance_validate_shows_a_hostile_path_literally(tmp_path: Path) -> None:
    path = hostile_credential(tmp_path)
    result = invoke("conformance", "validate", str(path), *TRUST)
    assert result.exit_code == 1
    assert_literal(result, shown(path))


# --- pilot credential verify | inspect -------------------------------------------------------------


def test_credential_verify_shows_a_hostile_path_literally(tmp_path: Path) -> None:
    path = hostile_credential(tmp_path)
    result = invoke("credential", "verify", str(path), *TRUST)
    assert result.exit_code == 1
    assert_literal(result, shown(path))


def test_credential_inspect_shows_hostile_members_literally(tmp_path: Path) -> None:
    path = hostile_credential(tmp_path)
    result = invoke("credential", "inspect", str(path), *TRUST)
    assert_literal(result, shown(path), f"did:web:x#{STYLED} {CLOSING} {ESCAPE_SHOWN}")


# --- pilot conformance run -------------------------------------------------------------------------


def test_conformance_run_shows_a_hostile_ports_answers_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pilot.commands.conformance as command
    import pilot.conformance as kit
    from pilot.conformance.model import CaseResult, Report
    from pilot.sandbox import build_sandbox, write_sandbox

    write_sandbox(build_sandbox(), tmp_path / "data")
    target = "http://127.0.0.1:9/[red]"

    def hostile_suite(material: Any, url: str, **_: Any) -> Report:
        result = CaseResult(
            id="port.t1.hostile", tier=1, title="a case", sent=f"sent {HOSTILE}", expected=f"expected {HOSTILE}",
            actual=f"the port answered {HOSTILE}", hint=f"hint {HOSTILE}", passed=False,
        )  # fmt: skip
        return Report("port", url, "cn-port-01", "2026-01-01T00:00:00Z", [result])

    monkeypatch.setattr(command, "_require_reachable", lambda url: None)
    monkeypatch.setattr(kit, "run_port_suite", hostile_suite)
    result = invoke("conformance", "run", "--port", target, "--data-dir", str(tmp_path / "data"))
    assert result.exit_code == 1
    assert_literal(result, f"the port answered {STYLED} {CLOSING} {ESCAPE_SHOWN}", f"hint {STYLED}", target)
    assert "NOT CONFORMANT" in result.output


# --- pilot audit trail | monitor | export ----------------------------------------------------------


class _FakeNetwork(contextlib.AbstractContextManager["_FakeNetwork"]):
    """Stands in for ``AuditNetwork``: the hostile text comes from the steps and reports below."""

    def __exit__(self, *_: object) -> None:
        return None

    def trust(self) -> None:
        return None

    def ids(self, prefix: str) -> list[str]:
        return ["cn-port-01"]


@pytest.fixture
def fake_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from pilot.audit.nodes import AuditNetwork

    monkeypatch.setattr(AuditNetwork, "open", classmethod(lambda cls, data_dir: _FakeNetwork()))
    yield


def test_audit_trail_shows_a_peers_text_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_network: None
) -> None:
    import pilot.audit.trail as trail

    steps = [
        trail.Step(
            "2026-01-01T00:00:00Z", f"ru-exp-01 {CLOSING}", f"credential {STYLED}", False, f"the port: {HOSTILE}"
        ),
    ]
    monkeypatch.setattr(trail, "build_trail", lambda network, consignment_id: steps)
    result = invoke("audit", "trail", f"c-{CLOSING}", "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert_literal(
        result, f"ru-exp-01 {CLOSING}", f"credential {STYLED}", f"the port: {STYLED} {CLOSING} {ESCAPE_SHOWN}"
    )
    assert f"c-{CLOSING}" in result.output


def test_audit_trail_shows_a_peers_error_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_network: None
) -> None:
    import pilot.audit.trail as trail
    from pilot.audit.errors import EvidenceError

    def refuse(network: Any, consignment_id: str) -> list[Any]:
        raise EvidenceError(f"the exporter answered {HOSTILE}")

    monkeypatch.setattr(trail, "build_trail", refuse)
    result = invoke("audit", "trail", "c-1", "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert_literal(result, f"the exporter answered {STYLED} {CLOSING} {ESCAPE_SHOWN}")


def test_audit_monitor_shows_a_peers_text_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_network: None
) -> None:
    import pilot.audit.monitor as monitor

    report = monitor.PortReport("cn-port-01", size=3, cosigners=[f"w{CLOSING}"])
    report.fail(f"split view: {HOSTILE}", f"evidence {ESCAPE}")
    monkeypatch.setattr(monitor, "check_port", lambda network, trust, port: report)
    result = invoke("audit", "monitor", "--once", "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert_literal(result, f"split view: {STYLED} {CLOSING} {ESCAPE_SHOWN}", f"w{CLOSING}", f"evidence {ESCAPE_SHOWN}")
