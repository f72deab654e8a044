"""Output that survives a pipe (issue 16 item 4, docs/design.md §9).

``pilot conformance validate FILE > report.txt`` used to show ``CRYPTOSUITE_UNSUPP…``: rich gives a console
that does not write to a terminal 80 columns (or ``COLUMNS``) and shrinks tables to them. The main commands
run here as real processes with stdout a pipe and a narrow ``COLUMNS``: every code, id and path they print
must come out whole, on the row it belongs to, with no escape codes. The renderers that need a running
network (the audit trail, the demo's summary) print to a console writing to a file. ``--format json`` gives
one JSON document on stdout and nothing else.
"""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pilot.audit.trail import Step
from pilot.cli import app
from pilot.commands.audit import print_trail
from pilot.commands.onboard import Checklist
from pilot.console import RULE_WIDTH, UNBOUNDED_WIDTH, PipeAwareConsole
from pilot.demo.checks import LogAudit
from pilot.demo.faults import CASES, FaultOutcome
from pilot.demo.scenario import DemoResult, Shipment
from pilot.demo.summary import print_summary, summary_json
from pilot.network_file import NetworkRecord, ProcessEntry, write_record
from pilot.participants import EXPORTER_IDS, PORT_IDS
from pilot.processes import pilot_argv
from pilot.tables import new_table
from tests.support.processes import free_base_port, network_data_dir

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "schemas" / "vectors"
EXPECTED: dict[str, dict[str, str]] = json.loads((VECTORS / "expected.json").read_text())
TRUST = ["--trust-list", str(VECTORS / "trust-list.json"), "--trust-anchor", str(VECTORS / "trust-anchor.json")]
#: Narrower than any table printed here: a console that obeyed it would cut or fold every one.
NARROW = "40"
#: A pid no process has (above Linux's largest pid_max).
NO_SUCH_PID = 99_999_999

runner = CliRunner()


def piped_env() -> dict[str, str]:
    """This environment with a narrow COLUMNS, a colour terminal type, and nothing that forces escape codes."""
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR")}
    return {**env, "COLUMNS": NARROW, "TERM": "xterm-256color"}


def run_piped(*args: str) -> subprocess.CompletedProcess[str]:
    """``pilot ARGS`` as a process, stdout and stderr pipes."""
    return subprocess.run(
        pilot_argv(*args), capture_output=True, text=True, env=piped_env(), cwd=ROOT, timeout=120, check=False
    )


def assert_plain(text: str) -> None:
    """No escape code and nothing cut short."""
    assert "\x1b" not in text, "escape codes written to a pipe"
    assert "…" not in text, f"a cell was cut short:\n{text}"


def line_with(text: str, needle: str) -> str:
    """The one line of ``text`` holding ``needle`` whole."""
    lines = [line for line in text.splitlines() if needle in line]
    assert len(lines) == 1, f"{needle!r} is on {len(lines)} lines of:\n{text}"
    return lines[0]


def has_word(line: str, word: str) -> bool:
    """``word`` in ``line`` with no letter, digit or underscore glued to either side (a code, not part of one)."""
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", line) is not None


# --- pilot conformance validate: the acceptance ----------------------------------------------------


def test_validate_piped_prints_every_invalid_vectors_code_whole() -> None:
    names = sorted(p.name for p in (VECTORS / "invalid").glob("*.json"))
    assert len(names) >= 50
    (at,) = {EXPECTED[name]["at"] for name in names}
    files = [f"schemas/vectors/invalid/{name}" for name in names]
    result = run_piped("conformance", "validate", *files, *TRUST, "--at", at, "--status-lists", str(VECTORS / "status"))
    assert result.returncode == 1, result.stderr
    assert_plain(result.stdout + result.stderr)
    for name, file in zip(names, files, strict=True):
        row = line_with(result.stdout, file)
        code = EXPECTED[name]["expect"]
        assert has_word(row, code), f"{name}: {code} is not whole on its row:\n{row}"
    assert f"0 accepted, {len(names)} refused" in result.stdout


def test_credential_verify_piped_prints_codes_and_key_ids_whole() -> None:
    name = "credential-expired-key.json"
    result = run_piped("credential", "verify", f"schemas/vectors/invalid/{name}", *TRUST, "--at", EXPECTED[name]["at"])
    assert result.returncode == 1
    assert_plain(result.stdout)
    row = line_with(result.stdout, "/proof/verificationMethod")
    assert has_word(row, "KEY_NOT_VALID_AT_RECEIPT") and "did:web:pilot.example:cert-02#key-0" in row


# --- pilot status, pilot trust show ----------------------------------------------------------------


def test_network_status_piped_prints_ids_and_urls_whole(tmp_path: Path) -> None:
    nodes = {
        f"cn-port-{n:02d}-with-a-name-longer-than-any-terminal-column": ProcessEntry(
            url=f"http://127.0.0.1:9/{'and-a-long-path/' * 4}{n}", pid=NO_SUCH_PID, kind="port"
        )
        for n in (1, 2)
    }
    write_record(tmp_path, NetworkRecord(nodes=nodes))
    result = run_piped("status", "--data-dir", str(tmp_path))
    assert result.returncode == 1  # every node is down
    assert_plain(result.stdout)
    assert str(tmp_path) in line_with(result.stdout, "pilot network in")
    for node_id, entry in nodes.items():
        row = line_with(result.stdout, node_id)
        assert entry.url in row and str(NO_SUCH_PID) in row and "down" in row


def test_trust_show_piped_prints_every_participant_and_key_whole(data_dir: Path) -> None:
    result = run_piped("trust", "show", "--data-dir", str(data_dir))
    assert result.returncode == 0, result.stderr
    assert_plain(result.stdout)
    signed_by = line_with(result.stdout, "signed by")
    assert re.search(r"did:web:pilot\.example:pilot-gov#key-\d+$", signed_by.strip()), signed_by
    trust_list = json.loads((data_dir / "trust-list.json").read_text())
    for participant in trust_list["participants"]:
        rows = [line for line in result.stdout.splitlines() if line.startswith(f"│ {participant['id']} ")]
        fragments = {key["id"].split("#")[1] for key in participant["keys"]}
        assert {f for f in fragments if any(has_word(row, f) for row in rows)} == fragments, participant["id"]


# --- renderers that need a network: to a console writing to a file ----------------------------------


def file_console(monkeypatch: pytest.MonkeyPatch) -> tuple[PipeAwareConsole, io.StringIO]:
    """A pilot console writing to a file, made while COLUMNS is narrow."""
    monkeypatch.setenv("COLUMNS", NARROW)
    out = io.StringIO()
    return PipeAwareConsole(file=out, highlight=False, emoji=False), out


def test_audit_trail_printed_to_a_file_keeps_every_cell_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    consignment = "ru-exp-01-consignment-0123456789abcdef-to-cn-port-03"
    steps = [
        Step("2026-11-01T00:00:00Z", "did:web:pilot.example:cert-01", "credential 1", True, "key #key-1"),
        Step(None, "cn-port-03", "decision", False, "KEY_NOT_VALID_AT_RECEIPT /credentials/1/proof/verificationMethod"),
    ]
    console, out = file_console(monkeypatch)
    print_trail(consignment, steps, console)
    text = out.getvalue()
    assert_plain(text)
    assert consignment in line_with(text, "trail of")
    assert "did:web:pilot.example:cert-01" in line_with(text, "2026-11-01T00:00:00Z")
    row = line_with(text, "KEY_NOT_VALID_AT_RECEIPT")
    assert "/credentials/1/proof/verificationMethod" in row and "NO" in row
    assert "some steps did not verify" in text


def demo_result() -> DemoResult:
    """A demo run's result: every fault case, half of them mismatched with a long answer, one problem."""
    faults = [
        FaultOutcome(case, f"{case.expected_decision or 'refused'}: {case.expected_code}" * (1 + i % 2), i % 2 == 0)
        for i, case in enumerate(CASES)
    ]
    shipments = [
        Shipment(f"{exporter}-{port}-0", exporter, port, "normal", "delivered", "accepted")
        for exporter in EXPORTER_IDS
        for port in PORT_IDS
    ]
    logs = [LogAudit(port, 42, None, {}) for port in PORT_IDS]
    outage = {"port": "cn-port-02", "seconds": 8.0, "shipments": 6, "delivered": 6, "attempts": 14}
    problem = "cn-port-03: ru-exp-04-consignment-0123456789abcdef still pending after 120 s"
    return DemoResult({"cn-port-01": "http://127.0.0.1:18101"}, shipments, faults, logs, outage, 61.0, [problem])


def test_demo_summary_printed_with_narrow_columns_keeps_every_code_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    result = demo_result()
    console, out = file_console(monkeypatch)
    print_summary(result, console)
    text = out.getvalue()
    assert_plain(text)
    for outcome in result.faults:
        row = line_with(text, outcome.case.title)
        assert has_word(row, outcome.case.expected_code) and outcome.actual in row
        assert ("matched" if outcome.matched else "MISMATCH") in row
    assert result.problems[0] in text and "demo failed" in text
    for exporter in EXPORTER_IDS:
        (row,) = [line for line in text.splitlines() if line.startswith(f"│ {exporter} ")]
        assert row.count("1 acc ") == len(PORT_IDS)


def test_demo_summary_as_json_carries_the_codes_and_the_verdict() -> None:
    result = demo_result()
    document = json.loads(json.dumps(summary_json(result)))
    assert document["ok"] is False and document["problems"] == result.problems
    assert [(f["case"], f["expectedCode"], f["matched"]) for f in document["faults"]] == [
        (o.case.key, o.case.expected_code, o.matched) for o in result.faults
    ]
    assert document["decisions"]["ru-exp-01"]["cn-port-01"] == {"accepted": 1}
    assert document["receipts"] == {"total": 0, "verified": 0}
    assert len(document["consignments"]) == len(result.shipments)


# --- the console itself ------------------------------------------------------------------------------


def test_a_console_writing_to_a_file_has_no_width_whatever_columns_says(monkeypatch: pytest.MonkeyPatch) -> None:
    console, out = file_console(monkeypatch)
    assert console.width == UNBOUNDED_WIDTH
    console.rule("section")
    (rule,) = out.getvalue().splitlines()
    assert len(rule) == RULE_WIDTH and "section" in rule


def test_on_a_narrow_terminal_a_table_folds_a_code_instead_of_cutting_it() -> None:
    code = "DATA_CATEGORY_SEALING_REQUIRED"
    controller, terminal = pty.openpty()
    with os.fdopen(terminal, "w", encoding="utf-8") as out:
        console = PipeAwareConsole(file=out, width=24, highlight=False, emoji=False, color_system="standard")
        assert console.on_terminal and console.width == 24
        table = new_table("code", "message")
        table.add_row(f"[red]{code}[/]", "a sealed category arrived in clear text")
        console.print(table)
    shown = os.read(controller, 65536).decode()
    os.close(controller)
    assert "\x1b[" in shown  # a terminal: colour is on
    plain = re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert "…" not in plain
    first_column = "".join(line.split("│")[1].strip() for line in plain.splitlines() if line.count("│") == 3)
    assert code in first_column  # folded over several lines, every character kept


# --- --format json -----------------------------------------------------------------------------------


def json_of(args: list[str], exit_code: int = 0) -> Any:
    result = runner.invoke(app, args)
    assert result.exit_code == exit_code, result.output
    return json.loads(result.stdout)


def test_format_json_and_the_json_shorthand_print_the_same_document() -> None:
    name = "credential-expired-key.json"
    args = ["credential", "verify", str(VECTORS / "invalid" / name), *TRUST, "--at", EXPECTED[name]["at"]]
    by_format = json_of([*args, "--format", "json"], exit_code=1)
    assert by_format == json_of([*args, "--json"], exit_code=1)
    assert [p["code"] for p in by_format["problems"]] == ["KEY_NOT_VALID_AT_RECEIPT"]


def test_an_unreadable_file_is_reported_as_json_with_format_json(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": ')
    document = json_of(["credential", "verify", str(broken), *TRUST, "--format", "json"], exit_code=1)
    assert document["verified"] is False and [p["code"] for p in document["problems"]] == ["JSON_MALFORMED"]


def test_commands_without_a_network_print_json(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    made = json_of(["init", "--data-dir", str(data_dir), "--format", "json"])
    assert made["dataDir"] == str(data_dir) and Path(made["trustList"]).is_file()
    facility_record = str(VECTORS / "valid" / "credential-facility-record.json")
    inspected = json_of(["credential", "inspect", facility_record, *TRUST, "--format", "json"])
    assert inspected["securing"].startswith("Data Integrity")
    assert json_of(["status", "--data-dir", str(data_dir), "--format", "json"], exit_code=1)["running"] is False
    assert json_of(["down", "--data-dir", str(data_dir), "--format", "json"]) == {
        "dataDir": str(data_dir),
        "processes": {},
    }
    vectors = json_of(["conformance", "vectors", "--out", str(tmp_path / "vectors"), "--format", "json"])
    assert vectors["files"] == sum(1 for p in (tmp_path / "vectors").rglob("*") if p.is_file())


def test_onboarding_checklist_as_json_lists_each_step() -> None:
    checklist = Checklist(PipeAwareConsole(file=io.StringIO()))
    checklist.ok("exporter node answers", "ru-exp-07")
    checklist.fail("port node answers at http://127.0.0.1:9", "start the network: pilot up")
    assert checklist.as_json() == {
        "ok": False,
        "steps": [
            {"step": "exporter node answers", "ok": True, "detail": "ru-exp-07"},
            {"step": "port node answers at http://127.0.0.1:9", "ok": False, "fix": "start the network: pilot up"},
        ],
    }


@pytest.mark.e2e
def test_up_status_and_down_print_json_on_a_pipe(tmp_path: Path) -> None:
    with network_data_dir(tmp_path / "data") as data_dir:
        assert run_piped("init", "--data-dir", str(data_dir)).returncode == 0
        up = run_piped(
            "up", "--data-dir", str(data_dir), "--base-port", str(free_base_port()), "--detach", "--format", "json"
        )
        assert up.returncode == 0, up.stderr
        started = json.loads(up.stdout)  # the notes went to stderr
        assert set(started["nodes"]) == {*PORT_IDS, *EXPORTER_IDS, "registry"}
        assert "pilot down" in up.stderr
        status = run_piped("status", "--data-dir", str(data_dir), "--format", "json")
        assert status.returncode == 0 and json.loads(status.stdout)["running"] is True
        down = run_piped("down", "--data-dir", str(data_dir), "--format", "json")
        assert down.returncode == 0
        assert set(json.loads(down.stdout)["processes"]) >= set(started["nodes"])
