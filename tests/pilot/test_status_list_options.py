"""``--status-list FILE`` / ``--status-lists DIR`` of ``pilot conformance validate`` and ``pilot credential verify``.

Offline status checks (docs/design.md §12) against the published status lists (``schemas/vectors/status``)
and the published revoked, suspended and tampered vectors; without lists, the reports say status was not
checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pilot.cli import app
from pilot.status_list_options import STATUS_NOT_RUN_CHECKS, STATUS_NOT_RUN_REASON

VECTORS = Path(__file__).resolve().parents[2] / "schemas" / "vectors"
STATUS = VECTORS / "status"
REVOKED = VECTORS / "invalid" / "credential-status-revoked.json"
SUSPENDED = VECTORS / "invalid" / "credential-status-suspended.json"
TAMPERED_LIST = VECTORS / "invalid" / "credential-status-list-tampered.json"
GOOD = VECTORS / "valid" / "credential-conformity-credential.json"
AT = ("--at", "2026-11-01T00:00:00Z")
TRUST = ("--trust-list", str(VECTORS / "trust-list.json"))
NOT_RUN = f"not run: {', '.join(STATUS_NOT_RUN_CHECKS)} ({STATUS_NOT_RUN_REASON})"

runner = CliRunner()


def validate(*args: str) -> Result:
    return runner.invoke(app, ["conformance", "validate", *args, *TRUST, *AT, "--format", "json"])


def report(result: Result) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def outcomes(result: Result) -> dict[str, str]:
    return {Path(f["file"]).name: f["outcome"] for f in report(result)["files"]}


# -- pilot conformance validate ---------------------------------------------------------------------------------


def test_without_status_lists_status_is_not_checked_and_the_report_says_so(tmp_path: Path) -> None:
    result = validate(str(REVOKED), str(SUSPENDED))
    assert result.exit_code == 0, result.output  # nothing else is wrong with them
    assert set(outcomes(result).values()) == {"accept"}
    assert {"checks": list(STATUS_NOT_RUN_CHECKS), "reason": STATUS_NOT_RUN_REASON, "message": NOT_RUN} in report(
        result
    )["notRun"]
    out = tmp_path / "report.txt"
    text = runner.invoke(app, ["conformance", "validate", str(REVOKED), *TRUST, *AT, "-o", str(out)])
    assert NOT_RUN in out.read_text().splitlines(), text.output
    junit = runner.invoke(app, ["conformance", "validate", str(REVOKED), *TRUST, *AT, "--format", "junit"])
    assert f'<skipped message="{NOT_RUN}"' in junit.stdout


def test_status_lists_from_a_directory_reject_the_revoked_and_the_suspended() -> None:
    result = validate(str(REVOKED), str(SUSPENDED), str(GOOD), "--status-lists", str(STATUS))
    assert result.exit_code == 1
    assert outcomes(result) == {
        REVOKED.name: "CREDENTIAL_REVOKED",
        SUSPENDED.name: "CREDENTIAL_SUSPENDED",
        GOOD.name: "accept",
    }
    assert all(item["checks"] != list(STATUS_NOT_RUN_CHECKS) for item in report(result)["notRun"])


@pytest.mark.parametrize(
    ("lists", "file", "expected"),
    [
        (["revocation-0"], REVOKED, "CREDENTIAL_REVOKED"),
        (["revocation-0", "suspension-0"], SUSPENDED, "CREDENTIAL_SUSPENDED"),
        (["revocation-0"], SUSPENDED, "accept"),  # its suspension entry's list was not given: a warning only
    ],
)
def test_status_list_files_are_repeatable(lists: list[str], file: Path, expected: str) -> None:
    options = [option for name in lists for option in ("--status-list", str(STATUS / "cert-01" / f"{name}.json"))]
    result = validate(str(file), *options)
    assert outcomes(result) == {file.name: expected}
    codes = [p["code"] for p in report(result)["files"][0]["problems"]]
    assert ("STATUS_UNAVAILABLE" in codes) == (len(lists) == 1)


def test_a_status_the_lists_given_cannot_establish_is_a_warning_that_holds_a_submission() -> None:
    submission = VECTORS / "valid" / "submission-ru-exp-01.json"
    only = ("--status-list", str(STATUS / "cert-01" / "revocation-0.json"))
    result = validate(str(submission), *only)
    [verdict] = report(result)["files"]
    assert verdict["decision"] == "held_for_inspection"
    assert {p["code"] for p in verdict["problems"]} == {"STATUS_UNAVAILABLE"}
    assert {p["severity"] for p in verdict["problems"]} == {"warning"}


def test_a_tampered_list_establishes_nothing() -> None:
    result = validate(str(REVOKED), "--status-list", str(TAMPERED_LIST))
    [verdict] = report(result)["files"]
    unavailable = [p for p in verdict["problems"] if p["code"] == "STATUS_UNAVAILABLE"]
    assert unavailable and "does not verify" in unavailable[0]["message"], verdict
    assert verdict["outcome"] == "accept"  # never CREDENTIAL_REVOKED's opposite: the status stays unknown


@pytest.mark.parametrize(
    ("option", "make"),
    [
        ("--status-list", lambda tmp: tmp / "missing.json"),
        ("--status-lists", lambda tmp: tmp / "missing-dir"),
        ("--status-list", lambda tmp: _write(tmp / "not-json.json", b"{nope")),
        ("--status-list", lambda tmp: _write(tmp / "array.json", b"[1, 2]")),
    ],
)
def test_unusable_status_list_files_are_bad_usage(tmp_path: Path, option: str, make: Any) -> None:
    result = validate(str(REVOKED), option, str(make(tmp_path)))
    assert result.exit_code == 2, result.output


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


# -- pilot credential verify --------------------------------------------------------------------------------------


def verify(*args: str) -> Result:
    return runner.invoke(app, ["credential", "verify", *args, *TRUST, *AT])


@pytest.mark.parametrize(("file", "code"), [(REVOKED, "CREDENTIAL_REVOKED"), (SUSPENDED, "CREDENTIAL_SUSPENDED")])
def test_verify_with_status_lists_fails_a_revoked_or_suspended_credential(file: Path, code: str) -> None:
    result = verify(str(file), "--status-lists", str(STATUS), "--json")
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert (answer["verified"], answer["statusChecked"]) == (False, True)
    assert [p["code"] for p in answer["problems"]] == [code]


def test_verify_with_status_lists_passes_a_good_credential() -> None:
    lists = ["--status-list", str(STATUS / "cert-01" / "revocation-0.json")]
    lists += ["--status-list", str(STATUS / "cert-01" / "suspension-0.json")]
    result = verify(str(GOOD), *lists, "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert (answer["verified"], answer["statusChecked"], answer["statusEstablished"]) == (True, True, True)


def test_verify_fails_when_the_status_cannot_be_established() -> None:
    result = verify(str(GOOD), "--status-list", str(TAMPERED_LIST))
    assert result.exit_code == 1
    assert "STATUS_UNAVAILABLE" in result.output


def test_verify_without_status_lists_says_status_was_not_checked() -> None:
    result = verify(str(REVOKED))
    assert result.exit_code == 0, result.output
    assert "verified" in result.output and "status not checked" in result.output
    answer = json.loads(verify(str(REVOKED), "--json").stdout)
    assert (answer["verified"], answer["statusChecked"], answer["statusEstablished"]) == (True, False, False)


def test_status_lists_need_the_trust_list_not_a_bare_key() -> None:
    result = runner.invoke(
        app,
        ["credential", "verify", str(GOOD), "--public-key-multibase", "z6Mk", "--status-list", str(TAMPERED_LIST)],
    )
    assert result.exit_code == 2
