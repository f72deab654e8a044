"""``pilot audit`` and sealed credentials: bundled sealed, verified with no key at all, before and after destruction.

Issue 15 item 5. A real cn-port-03 (over the test's database) receives a consignment whose certificate is
sealed to its ``key-4``, and its operator opens it once. ``pilot.audit.collect`` gathers the evidence as
``pilot audit export`` does, from that port (behind a blocking transport, its checkpoint cosigned by
cn-port-01's witness key as the other ports do), an exporter stand-in that serves what was sent (the
sealed form) and a registry stand-in. Then the key is destroyed: the bundle still verifies offline, the
port answers 410 with the clear message, and the trail shows both openings.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from pilot.audit.bundle import build_bundle
from pilot.audit.collect import collect_evidence
from pilot.audit.nodes import REGISTRY, AuditNetwork
from pilot.audit.sealed import NOT_CHECKED, check_bundle_sealed
from pilot.audit.trail import build_trail
from pilot.audit.verify import Check, verify_bundle
from pilot.cli import app
from pilot.sandbox import build_sandbox
from port_node.witness import witness_name
from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.jose import b64url, b64url_decode
from schemas.jsonio import parse_json
from schemas.keyring import load_keyring, select_key
from schemas.sealing import is_sealed, read_sealed, seal, sealed_credential
from schemas.signed_note import cosign_checkpoint, parse_signed_note
from schemas.trust import TrustRegistry
from tests.support.registry import blocking_transport
from tests.support.sealed import agreement_kid, credential_index, lab_submission, sealed_at
from tests.support.sealed_port import EXPORTER, LAB_VALUE, PORT, PORT_URL, SealingPort

pytestmark = pytest.mark.db

WITNESS = "cn-port-01"
KID = agreement_kid(PORT)


@dataclass
class Sealed:
    """The port, a sync client for it, the consignment as sent, its plaintext credential and the collected files."""

    port: SealingPort
    operator: httpx.Client
    network: AuditNetwork
    submission: dict[str, Any]
    plaintext: dict[str, Any]
    index: int
    files: dict[str, bytes]

    @property
    def consignment(self) -> str:
        return str(self.submission["submissionId"])

    @property
    def anchor(self) -> dict[str, Any]:
        anchor: dict[str, Any] = json.loads((self.port.data_dir / "trust-anchor.json").read_text())
        return anchor

    def open(self, operator: str) -> httpx.Response:
        path = f"/v1/operator/submissions/{EXPORTER}/{self.consignment}/credentials/{self.index}/open"
        return self.operator.post(path, json={"operator": operator})


def _audit_network(
    port: SealingPort, transport: httpx.BaseTransport, submission: dict[str, Any], receipt: bytes
) -> AuditNetwork:
    witness_key = select_key(load_keyring((port.data_dir / "keys" / f"{WITNESS}.pem").read_bytes()), "witness")
    consignment = str(submission["submissionId"])

    def port_routes(request: httpx.Request) -> httpx.Response:
        response = transport.handle_request(request)
        if request.url.path == "/v1/log/checkpoint":  # cosigned by a witness, as the other ports do
            note = parse_signed_note(response.read().decode())
            line = cosign_checkpoint(note.body, witness_name(WITNESS), witness_key.private_key, int(time.time()))
            return httpx.Response(200, text=note.with_signature(line).text())
        return response

    def exporter_routes(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/v1/consignments/{consignment}":
            view = {"destination": PORT, "state": "delivered", "receipt": parse_json(receipt)}
            return httpx.Response(200, content=canonicalize(view))
        if request.url.path == f"/v1/consignments/{consignment}/submission":  # kept sealed, as sent
            return httpx.Response(200, content=canonicalize(submission))
        return httpx.Response(404, json={"code": "NOT_FOUND"})

    def registry_routes(request: httpx.Request) -> httpx.Response:  # the one version each list has
        head, _, sequence = request.url.path.rpartition("/versions/")
        body = port.registry.lists.get(head)
        if body is None or json.loads(body).get("sequence") != int(sequence):
            return httpx.Response(404, json={"code": "NOT_FOUND"})
        return httpx.Response(200, content=body)

    token = {"Authorization": f"Bearer {port.token}"}
    urls = {EXPORTER: "http://ru-exp-01.test", PORT: PORT_URL, REGISTRY: "http://registry.test"}
    clients = {
        EXPORTER: httpx.Client(base_url=urls[EXPORTER], transport=httpx.MockTransport(exporter_routes)),
        PORT: httpx.Client(base_url=PORT_URL, transport=httpx.MockTransport(port_routes), headers=token),
        REGISTRY: httpx.Client(base_url=urls[REGISTRY], transport=httpx.MockTransport(registry_routes)),
    }
    return AuditNetwork(port.data_dir, urls, clients=clients)


@pytest.fixture
def sealed(tmp_path: Path, database_url: str) -> Iterator[Sealed]:
    port = SealingPort.start(tmp_path, database_url)
    try:
        with blocking_transport(port.app) as transport:
            submission, plaintext, index = port.consignment("audit")
            with httpx.Client(transport=transport, base_url=PORT_URL, auth=port.exporter_auth()) as exporter:
                answer = exporter.post(
                    "/v1/submissions", content=canonicalize(submission), headers={"Content-Type": "application/json"}
                )
            assert answer.status_code == 201, answer.text
            with (
                httpx.Client(
                    transport=transport, base_url=PORT_URL, headers={"Authorization": f"Bearer {port.token}"}
                ) as operator,
                _audit_network(port, transport, submission, answer.content) as network,
            ):
                case = Sealed(port, operator, network, submission, plaintext, index, {})
                assert case.open("Li Wei").status_code == 200  # once, before the key is destroyed
                case.files = collect_evidence(network, case.consignment, wait_s=0)
                yield case
    finally:
        port.close()


def _checks(bundle: bytes, anchor: dict[str, Any]) -> dict[str, Check]:
    return {check.name: check for check in verify_bundle(bundle, anchor)}


def _failed(checks: dict[str, Check]) -> list[str]:
    return [f"{c.name}: {c.detail}" for c in checks.values() if not c.ok]


def test_the_bundle_holds_the_credential_sealed_and_no_plaintext(sealed: Sealed) -> None:
    submission = parse_json(sealed.files["submission.json"])
    assert is_sealed(submission["credentials"][sealed.index])
    assert submission == sealed.submission
    bundle = build_bundle(sealed.files)
    assert LAB_VALUE.encode() not in bundle


def test_the_bundle_verifies_with_no_key_before_and_after_the_key_is_destroyed(sealed: Sealed) -> None:
    bundle = build_bundle(sealed.files)
    before = _checks(bundle, sealed.anchor)
    assert _failed(before) == []

    kid = sealed.port.destroy_key(datetime(2026, 7, 1, 12, 0, tzinfo=UTC))
    after = _checks(bundle, sealed.anchor)
    assert _failed(after) == []
    assert {n: c.detail for n, c in after.items()} == {n: c.detail for n, c in before.items()}  # nothing used the key
    assert NOT_CHECKED in after["credentials"].detail
    assert after["sealed credentials"].detail.startswith(f"1 sealed to {kid}: {NOT_CHECKED}")
    assert "sealed credential(s) not re-checked" in after["status lists"].detail

    answer = sealed.open("auditor")
    assert answer.status_code == 410, answer.text
    problem = answer.json()
    assert problem["code"] == Code.SEALED_KEY_DESTROYED
    assert problem["detail"] == f"sealed to {kid}, destroyed at 2026-07-01T12:00:00Z: its content can no longer be read"


def test_pilot_audit_verify_says_the_sealed_content_was_not_checked(sealed: Sealed, tmp_path: Path) -> None:
    path = tmp_path / "bundle.zip"
    path.write_bytes(build_bundle(sealed.files))
    sealed.port.destroy_key(datetime(2026, 7, 1, tzinfo=UTC))
    anchor = sealed.port.data_dir / "trust-anchor.json"
    result = CliRunner().invoke(app, ["audit", "verify", str(path), "--trust-anchor", str(anchor), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True
    (row,) = [c for c in report["checks"] if c["name"] == "sealed credentials"]
    assert NOT_CHECKED in row["detail"]


def test_the_sealed_bytes_are_pinned_by_the_receipt(sealed: Sealed) -> None:
    """Sealed again, the same plaintext is other bytes: the receipt's submissionDigest no longer matches."""
    resealed = copy.deepcopy(sealed.submission)
    public_key = TrustRegistry.from_document(build_sandbox().trust_list).agreement_keys[KID].public_key
    resealed["credentials"][sealed.index] = sealed_credential(seal(sealed.plaintext, public_key, KID))
    checks = _checks(build_bundle({**sealed.files, "submission.json": canonicalize(resealed)}), sealed.anchor)
    assert not checks["submission digest = receipt's submissionDigest"].ok
    assert checks["sealed credentials"].ok  # well formed, and still pinned by the manifest: the digest tells


def test_the_trail_shows_the_credential_sealed_and_every_opening(sealed: Sealed) -> None:
    kid = sealed.port.destroy_key(datetime(2026, 7, 1, tzinfo=UTC))
    assert sealed.open("auditor").status_code == 410
    steps = build_trail(sealed.network, sealed.consignment)
    (credential,) = [s for s in steps if "sealed to" in s.what]
    assert credential.what == f"credential {sealed.index + 1}: sealed to {kid}"
    assert credential.verified is None and credential.detail == NOT_CHECKED
    access = [s for s in steps if s.actor.endswith(f"({PORT} operator)")]
    assert [(s.actor.split(" (")[0], s.what) for s in access] == [
        ("Li Wei", f"credential {sealed.index + 1} opened"),
        ("auditor", f"opening of credential {sealed.index + 1} refused: SEALED_KEY_DESTROYED"),
    ]
    assert all(s.detail == f"sealed to {kid}" and s.at for s in access)
    assert all(step.verified is not False for step in steps), [s for s in steps if s.verified is False]
    assert LAB_VALUE not in json.dumps([s.as_json() for s in steps])


def test_a_trail_without_the_ports_token_says_the_access_log_could_not_be_read(sealed: Sealed) -> None:
    sealed.network.clients[PORT].headers.pop("Authorization")
    steps = build_trail(sealed.network, sealed.consignment)
    (step,) = [s for s in steps if s.what == "access log of sealed credentials"]
    assert step.verified is None and step.detail.startswith("could not be read")


# -- the offline check on its own, with crafted submissions --------------------------------------------------


def _subject(decision: str = "accepted", *codes: str) -> dict[str, Any]:
    return {"decision": decision, "reasons": [{"code": code, "path": "/credentials/3/id"} for code in codes]}


AT = datetime(2026, 7, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def trust() -> TrustRegistry:
    return TrustRegistry.from_document(build_sandbox().trust_list)


@pytest.fixture(scope="module")
def clear() -> tuple[dict[str, Any], int]:
    document = lab_submission(EXPORTER, "crafted", PORT)
    return document, credential_index(document, "DigitalConformityCredential")


def _with_header(document: dict[str, Any], index: int, change: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    parts = read_sealed(changed["credentials"][index]).split(".")
    header = {**json.loads(b64url_decode(parts[0])), **change}
    parts[0] = b64url(json.dumps(header).encode())
    changed["credentials"][index] = sealed_credential(".".join(parts))
    return changed


@pytest.mark.parametrize(
    ("case", "subject", "problem"),
    [
        pytest.param("to-another-port", _subject(), "not a keyAgreement key of cn-port-03", id="another-port"),
        pytest.param("to-another-port", _subject("rejected", "SEALED_KEY_UNKNOWN"), None, id="another-port-refused"),
        pytest.param("retired", _subject(), "not usable at receivedAt", id="retired"),
        pytest.param("retired", _subject("rejected", "SEALED_KEY_RETIRED"), None, id="retired-refused"),
        pytest.param("algorithm", _subject(), "SEALED_ALGORITHM_UNSUPPORTED", id="algorithm"),
        pytest.param("unpinned", _subject(), "not pinned by the signed manifest", id="unpinned"),
        pytest.param("unpinned", _subject("rejected"), None, id="unpinned-rejected"),
        pytest.param("good", _subject(), None, id="good"),
    ],
)
def test_check_bundle_sealed(
    trust: TrustRegistry, clear: tuple[dict[str, Any], int], case: str, subject: dict[str, Any], problem: str | None
) -> None:
    document, index = clear
    if case == "to-another-port":
        submission = sealed_at(document, index, "cn-port-03", encrypt_to=agreement_kid("cn-port-01"))
        submission = _with_header(submission, index, {"kid": agreement_kid("cn-port-01")})
    elif case == "retired":
        submission = sealed_at(document, index, "cn-port-03", label="key-5")
    elif case == "algorithm":
        submission = _with_header(sealed_at(document, index, "cn-port-03"), index, {"enc": "A128GCM"})
    elif case == "unpinned":  # an extra sealed credential the manifest does not pin
        submission = sealed_at(document, index, "cn-port-03")
        extra = sealed_at(document, 0, "cn-port-03")["credentials"][0]
        submission["credentials"].append(extra)
    else:
        submission = sealed_at(document, index, "cn-port-03")
    findings = check_bundle_sealed(submission, subject, trust, PORT, AT)
    if problem is None:
        assert findings.ok, findings.problems
        assert NOT_CHECKED in findings.detail
    else:
        assert len(findings.problems) == 1 and problem in findings.problems[0], findings.problems


def test_check_bundle_sealed_without_a_sealed_credential(
    trust: TrustRegistry, clear: tuple[dict[str, Any], int]
) -> None:
    findings = check_bundle_sealed(clear[0], _subject(), trust, PORT, AT)
    assert findings.ok and findings.sealed == 0 and findings.detail == "no sealed credential in this submission"
