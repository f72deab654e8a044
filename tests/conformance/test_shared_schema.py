"""``pilot conformance validate`` with a reference directory: UNTP 0.6.1 and W3C VC 2.0 schemas, JSON-LD.

The UNTP instances are read from the reference directory (never copied); the documents built here are
variations of them. The trust list comes from a fresh ``pilot init`` sandbox.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pilot.cli import app
from pilot.conformance import shared_schema
from pilot.documents import FileVerdict, read_agreement_keys
from schemas.jose import sign_enveloped
from schemas.jsonld import UNTP_VERSION
from schemas.keys import key_from_seed
from schemas.sealing import is_sealed, open_sealed_credential, seal, sealed_credential
from tests.support.files import VECTORS

runner = CliRunner()
SHARED_CODES = {"VC_SCHEMA_INVALID", "UNTP_SCHEMA_INVALID", "JSONLD_TERM_UNDEFINED", "JSONLD_CONTEXT_UNAVAILABLE"}
UNTP_PARTS = ["dfr", "dte", "dcc"]


@pytest.fixture(scope="module")
def trust_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sandbox") / "d"
    result = runner.invoke(app, ["init", "--data-dir", str(directory)])
    assert result.exit_code == 0, result.output
    return directory / "trust-list.json"


def _instance(reference_dir: Path, part: str) -> dict[str, Any]:
    return dict(json.loads((reference_dir / "untp-0.6.1" / f"untp-{part}-instance.json").read_bytes()))


def _write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def _validate(files: list[Path], trust_list: Path, *extra: str, env: dict[str, str | None] | None = None) -> Any:
    """``pilot conformance validate`` with the sandbox's trust list and status lists (status is checked)."""
    lists = ["--status-lists", str(trust_list.parent / "status-lists")]
    return runner.invoke(
        app,
        ["conformance", "validate", *map(str, files), "--trust-list", str(trust_list), *lists, *extra],
        env=env or {"PILOT_REFERENCE_DIR": None},
    )


def _report(files: list[Path], trust_list: Path, reference_dir: Path) -> dict[str, Any]:
    result = _validate(files, trust_list, "--reference-dir", str(reference_dir), "--format", "json")
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    assert report["notRun"] == []
    return report


def _shared(file_report: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["code"], p["path"]) for p in file_report["problems"] if p["code"] in SHARED_CODES]


@pytest.mark.reference
def test_upstream_untp_instances_pass_every_shared_check(reference_dir: Path, trust_list: Path) -> None:
    files = [reference_dir / "untp-0.6.1" / f"untp-{part}-instance.json" for part in UNTP_PARTS]
    report = _report(files, trust_list, reference_dir)
    # Measured on UNTP 0.6.1: each instance passes its own UNTP schema, the W3C VC 2.0 schema and
    # JSON-LD expansion. (They are unsigned, so the file-level verdict is still a refusal: PROOF_MISSING.)
    assert [_shared(f) for f in report["files"]] == [[], [], []]
    assert {f["outcome"] for f in report["files"]} == {"PROOF_MISSING"}


@pytest.mark.reference
def test_wrong_untp_context_version_is_untp_schema_invalid(
    reference_dir: Path, trust_list: Path, tmp_path: Path
) -> None:
    document = _instance(reference_dir, "dfr")
    document["@context"] = [
        "https://www.w3.org/ns/credentials/v2",
        "https://test.uncefact.org/vocabulary/untp/dfr/0.5.0/",
    ]
    result = _validate(
        [_write(tmp_path, "dfr-0.5.0.json", document)],
        trust_list,
        "--reference-dir",
        str(reference_dir),
        "--format",
        "json",
    )
    assert result.exit_code == 1
    problems = json.loads(result.stdout)["files"][0]["problems"]
    untp = [p for p in problems if p["code"] == "UNTP_SCHEMA_INVALID"]
    assert [(p["path"]) for p in untp] == ["/@context"]
    assert (
        "0.5.0" in untp[0]["message"] and "https://test.uncefact.org/vocabulary/untp/dfr/0.6.1/" in untp[0]["message"]
    )
    assert "0.6.1" in untp[0]["hint"]
    # The 0.5.0 context cannot be loaded offline either, so JSON-LD expansion says so.
    assert ("JSONLD_CONTEXT_UNAVAILABLE", "/@context") in [(p["code"], p["path"]) for p in problems]


@pytest.mark.reference
def test_untp_type_without_untp_context(reference_dir: Path, trust_list: Path, tmp_path: Path) -> None:
    document = _instance(reference_dir, "dcc")
    document["@context"] = ["https://www.w3.org/ns/credentials/v2"]
    report = _report([_write(tmp_path, "dcc-no-untp.json", document)], trust_list, reference_dir)
    untp = [p for p in report["files"][0]["problems"] if p["code"] == "UNTP_SCHEMA_INVALID"]
    assert [p["path"] for p in untp] == ["/@context"]
    assert "no UNTP dcc context" in untp[0]["message"]


@pytest.mark.reference
def test_schema_errors_carry_pointers_and_hints(reference_dir: Path, trust_list: Path, tmp_path: Path) -> None:
    document = _instance(reference_dir, "dte")
    document["validFrom"] = "yesterday"
    del document["issuer"]
    report = _report([_write(tmp_path, "dte-broken.json", document)], trust_list, reference_dir)
    problems = report["files"][0]["problems"]
    shared = _shared(report["files"][0])
    assert ("UNTP_SCHEMA_INVALID", "") in shared  # "issuer" is a required property
    assert ("UNTP_SCHEMA_INVALID", "/validFrom") in shared
    assert ("VC_SCHEMA_INVALID", "") in shared  # the W3C schema requires an issuer too
    assert all(p.get("hint") for p in problems if p["code"] in SHARED_CODES)
    assert any("date-time" in p["message"] for p in problems if p["path"] == "/validFrom")


@pytest.mark.reference
def test_undefined_member_is_reported_at_its_pointer(reference_dir: Path, trust_list: Path, tmp_path: Path) -> None:
    document = _instance(reference_dir, "dfr")
    document["credentialSubject"]["facility"]["herdColour"] = "brown"
    report = _report([_write(tmp_path, "dfr-extra.json", document)], trust_list, reference_dir)
    # The UNTP schema allows additional properties there; JSON-LD safe mode does not.
    assert _shared(report["files"][0]) == [("JSONLD_TERM_UNDEFINED", "/credentialSubject/facility/herdColour")]
    problem = report["files"][0]["problems"][-1]
    assert "'herdColour'" in problem["message"] and "pilot context" in problem["hint"]


@pytest.mark.reference
def test_submission_manifest_and_every_credential_are_checked(
    reference_dir: Path, trust_list: Path, tmp_path: Path
) -> None:
    broken = _instance(reference_dir, "dcc")
    broken["credentialSubject"]["invented"] = 1
    enveloped_payload = copy.deepcopy(broken)
    enveloped_payload["validUntil"] = "soon"
    enveloped = sign_enveloped(enveloped_payload, key_from_seed(b"shared schema"), "did:web:x.example#key-1")
    manifest = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"], "extra": 1}
    submission = {
        "submissionId": "shared-schema-test",
        "manifest": manifest,
        "credentials": [_instance(reference_dir, "dfr"), broken, enveloped],
    }
    report = _report([_write(tmp_path, "submission.json", submission)], trust_list, reference_dir)
    shared = _shared(report["files"][0])
    assert report["files"][0]["kind"] == "submission"
    assert ("JSONLD_TERM_UNDEFINED", "/manifest/extra") in shared
    assert ("VC_SCHEMA_INVALID", "/manifest") in shared  # no issuer, no credentialSubject
    assert not [s for s in shared if s[1].startswith("/credentials/0")]
    assert ("JSONLD_TERM_UNDEFINED", "/credentials/1/credentialSubject/invented") in shared
    # An enveloped credential is checked through its JWS payload, under the credential's own path.
    assert ("JSONLD_TERM_UNDEFINED", "/credentials/2/credentialSubject/invented") in shared
    assert ("UNTP_SCHEMA_INVALID", "/credentials/2/validUntil") in shared


@pytest.mark.reference
def test_a_sealed_credential_is_checked_through_its_plaintext_with_the_ports_keys(
    reference_dir: Path, trust_list: Path, tmp_path: Path
) -> None:
    # The published sealed submission, its conformity credential re-sealed with an undefined member added.
    submission = json.loads((VECTORS / "sealed" / "valid" / "submission-sealed-laboratory.json").read_bytes())
    keyring = VECTORS / "keys" / "cn-port-03.pem"
    keys = read_agreement_keys(keyring)
    (index,) = [i for i, c in enumerate(submission["credentials"]) if is_sealed(c)]
    opened = open_sealed_credential(submission["credentials"][index], keys)
    plaintext = copy.deepcopy(opened.credential)
    plaintext["credentialSubject"]["invented"] = 1
    token = seal(plaintext, keys[opened.kid].public_key(), opened.kid)
    submission["credentials"][index] = sealed_credential(token)
    path = _write(tmp_path, "sealed.json", submission)

    with_keys = _validate(
        [path], trust_list, "--reference-dir", str(reference_dir), "--port-keys", str(keyring), "--format", "json"
    )
    assert with_keys.exit_code == 1
    shared = _shared(json.loads(with_keys.stdout)["files"][0])
    assert shared == [("JSONLD_TERM_UNDEFINED", f"/credentials/{index}/credentialSubject/invented")]
    # Without the port's keys the plaintext cannot be read: nothing is found in it (the verifier says why).
    without_keys = _report([path], trust_list, reference_dir)
    assert _shared(without_keys["files"][0]) == []


def test_without_reference_directory_the_checks_are_reported_not_run(
    trust_list: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A file the other checks accept: the missing reference directory must not fail the run.
    monkeypatch.setattr(
        "pilot.commands.conformance.check_file",
        lambda path, registry, when, port_id, status, **_: FileVerdict(path, "credential", []),
    )
    path = _write(tmp_path, "any.json", {"type": ["VerifiableCredential"]})
    message = shared_schema.NOT_RUN_MESSAGE
    assert shared_schema.NOT_RUN_CHECKS[0] == f"UNTP {UNTP_VERSION} schemas"  # a message id, written out whole
    assert message == (
        "not run: UNTP 0.6.1 schemas, W3C VC 2.0 schema, JSON-LD expansion "
        "(no reference directory: pass --reference-dir or set PILOT_REFERENCE_DIR)"
    )

    text = _validate([path], trust_list, "--format", "text", "-o", str(tmp_path / "report.txt"))
    assert text.exit_code == 0, text.output
    assert (tmp_path / "report.txt").read_text().splitlines()[-1] == message

    table = _validate([path], trust_list)
    assert table.exit_code == 0 and "not run: UNTP 0.6.1 schemas" in table.output

    as_json = _validate([path], trust_list, "--format", "json")
    assert as_json.exit_code == 0
    assert json.loads(as_json.stdout)["notRun"] == [
        {"checks": list(shared_schema.NOT_RUN_CHECKS), "reason": shared_schema.NOT_RUN_REASON, "message": message}
    ]

    junit = _validate([path], trust_list, "--format", "junit")
    assert junit.exit_code == 0
    assert 'skipped="1"' in junit.stdout and f'<skipped message="{message}"' in junit.stdout


@pytest.mark.reference
def test_reference_dir_from_the_environment(reference_dir: Path, trust_list: Path, tmp_path: Path) -> None:
    document = _instance(reference_dir, "dfr")
    document["credentialSubject"]["invented"] = 1
    path = _write(tmp_path, "dfr.json", document)
    result = _validate([path], trust_list, "--format", "json", env={"PILOT_REFERENCE_DIR": str(reference_dir)})
    report = json.loads(result.stdout)
    assert report["notRun"] == []
    assert ("JSONLD_TERM_UNDEFINED", "/credentialSubject/invented") in _shared(report["files"][0])


def test_missing_or_incomplete_reference_directory_is_bad_usage(trust_list: Path, tmp_path: Path) -> None:
    path = _write(tmp_path, "any.json", {"type": ["VerifiableCredential"]})
    missing = _validate([path], trust_list, "--reference-dir", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    (tmp_path / "incomplete" / "w3c").mkdir(parents=True)
    incomplete = _validate([path], trust_list, "--reference-dir", str(tmp_path / "incomplete"))
    assert incomplete.exit_code == 2
    assert "verifiable-credential-schema.json" in incomplete.output
