"""``pilot keys rotate --purpose keyAgreement`` and ``pilot trust approve``, through the CLI, on a ``pilot init`` dir.

A port's new X25519 key is appended to its keyring, its request is signed by the port's current
assertion key (an X25519 key cannot sign), and once approved the trust list publishes it and exporters
seal to it (``TrustRegistry.sealing_key``). Approval refuses requests that do not come from the port.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from pilot.cli import app
from pilot.registration import AGREEMENT_KEY_OVERLAP, sign_request
from schemas.errors import KeyFormatError
from schemas.jsonio import parse_json
from schemas.keyring import KeyEntry, load_agreement_keys, load_keyring
from schemas.multikey import encode_multikey, encode_x25519_multikey
from schemas.sealing import open_sealed, seal
from schemas.trust import TrustRegistry, load_trust_list

PORT = "cn-port-03"
PORT_DID = f"did:web:pilot.example:{PORT}"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PILOT_KEY_PASSPHRASE", raising=False)


def pilot(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
    return runner.invoke(app, list(args), env=env, input=input)


def rotate_agreement(data_dir: Path, port: str = PORT, *extra: str, env: dict[str, str] | None = None) -> Result:
    return pilot(
        "keys", "rotate", "--id", port, "--purpose", "keyAgreement", "--data-dir", str(data_dir), *extra, env=env
    )


def trust_list(data_dir: Path) -> TrustRegistry:
    return load_trust_list(data_dir / "trust-list.json", data_dir / "trust-anchor.json")


def signing_keys(data_dir: Path, participant: str) -> dict[str, KeyEntry]:
    entries = load_keyring((data_dir / "keys" / f"{participant}.pem").read_bytes())
    return {e.verification_method.rpartition("#")[2]: e for e in entries}


def test_rotate_appends_an_x25519_key_and_a_request_signed_by_the_ports_assertion_key(data_dir: Path) -> None:
    key_file = data_dir / "keys" / f"{PORT}.pem"
    before = key_file.read_bytes()
    result = rotate_agreement(data_dir)
    assert result.exit_code == 0, result.output
    after = key_file.read_bytes()
    assert after.startswith(before)  # every existing block byte for byte
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    agreement = load_agreement_keys(after)
    assert [e.verification_method for e in agreement] == [f"{PORT_DID}#key-{n}" for n in (4, 5, 6)]
    assert len(load_keyring(after)) == len(load_keyring(before))  # no signing key added

    request = parse_json((data_dir / "requests" / f"{PORT}-key-6.json").read_bytes())
    assert request["change"] == "add-key" and request["participant"] == PORT
    assert request["key"]["id"] == f"{PORT_DID}#key-6"
    assert request["key"]["purposes"] == ["keyAgreement"]
    assert request["key"]["publicKeyMultibase"] == encode_x25519_multikey(agreement[-1].private_key.public_key())
    assert request["key"]["publicKeyMultibase"].startswith("z6LS")
    assert request["proof"]["verificationMethod"] == f"{PORT_DID}#key-1"
    assert request["proof"]["proofPurpose"] == "assertionMethod"


def test_an_approved_key_is_published_and_becomes_the_sealing_key(data_dir: Path) -> None:
    before = trust_list(data_dir)
    assert before.sealing_key(PORT, datetime.now(UTC)).kid == f"{PORT_DID}#key-4"  # type: ignore[union-attr]
    assert rotate_agreement(data_dir).exit_code == 0
    result = pilot("trust", "approve", str(data_dir / "requests" / f"{PORT}-key-6.json"), "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert f"{PORT_DID}#key-6" in result.output

    after = trust_list(data_dir)  # verified against the pinned anchor
    assert after.sequence == before.sequence + 1
    published = after.agreement_keys[f"{PORT_DID}#key-6"]
    assert f"{PORT_DID}#key-6" not in after.keys  # never a signing key
    now = datetime.now(UTC)
    sealing = after.sealing_key(PORT, now)
    assert sealing is not None and sealing.kid == published.kid
    old = f"{PORT_DID}#key-4"
    # The predecessor is retired: usable for the overlap (consignments already sealed to it), then not,
    # which starts the port's retention clock for it.
    retired_at = published.valid_from + AGREEMENT_KEY_OVERLAP
    assert before.agreement_keys[old].valid_until > retired_at
    assert after.agreement_keys[old].valid_until == retired_at
    assert after.agreement_keys[old].usable_at(now)
    assert not after.agreement_keys[old].usable_at(retired_at + timedelta(seconds=1))
    assert after.sealing_key(PORT, retired_at + timedelta(seconds=1)).kid == published.kid  # type: ignore[union-attr]
    # Signing keys keep their windows.
    assert {k: v.valid_until for k, v in after.keys.items()} == {k: v.valid_until for k, v in before.keys.items()}

    # What an exporter seals to the published key, the port opens with the key it holds.
    held = {
        e.verification_method: e.private_key
        for e in load_agreement_keys((data_dir / "keys" / f"{PORT}.pem").read_bytes())
    }
    token = seal({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x"}, sealing.public_key, sealing.kid)
    assert open_sealed(token, held).credential["id"] == "urn:x"


def test_with_a_passphrase_the_new_block_is_encrypted(tmp_path: Path) -> None:
    directory = tmp_path / "encrypted"
    secret = {"PILOT_KEY_PASSPHRASE": "s3cret"}
    assert pilot("init", "--data-dir", str(directory), env=secret).exit_code == 0
    key_file = directory / "keys" / f"{PORT}.pem"
    before = key_file.read_bytes()
    result = rotate_agreement(directory, env=secret)
    assert result.exit_code == 0, result.output
    after = key_file.read_bytes()
    assert after.startswith(before)
    assert b"BEGIN PRIVATE KEY" not in after and after.count(b"BEGIN ENCRYPTED PRIVATE KEY") == 6
    assert [e.verification_method for e in load_agreement_keys(after, b"s3cret")][-1] == f"{PORT_DID}#key-6"
    with pytest.raises(KeyFormatError):
        load_agreement_keys(after)
    approved = pilot(
        "trust", "approve", str(directory / "requests" / f"{PORT}-key-6.json"), "--data-dir", str(directory), env=secret
    )
    assert approved.exit_code == 0, approved.output

    wrong = rotate_agreement(directory, env={"PILOT_KEY_PASSPHRASE": "wrong"})
    assert wrong.exit_code == 2
    assert key_file.read_bytes() == after


def test_json_output_names_the_new_key_and_its_request(data_dir: Path) -> None:
    result = rotate_agreement(data_dir, "cn-port-01", "--format", "json", "--valid-days", "30")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["participant"] == "cn-port-01"
    assert out["key"] == "did:web:pilot.example:cn-port-01#key-5" and out["purposes"] == ["keyAgreement"]
    assert out["requestSignedBy"] == "did:web:pilot.example:cn-port-01#key-1"
    request = parse_json(Path(out["request"]).read_bytes())
    assert request["key"]["validFrom"] == out["validFrom"] and request["key"]["validUntil"] == out["validUntil"]
    days = datetime.fromisoformat(out["validUntil"]) - datetime.fromisoformat(out["validFrom"])
    assert days.days == 30


@pytest.mark.parametrize(
    ("participant", "options"),
    [
        pytest.param("ru-exp-01", ["--purpose", "keyAgreement"], id="not a port"),
        pytest.param("pilot-gov", ["--purpose", "keyAgreement"], id="the trust-list operator"),
        pytest.param(PORT, ["--purpose", "keyAgreement", "--purpose", "log"], id="mixed with a signing purpose"),
        pytest.param(PORT, ["--purposes", "log", "--purpose", "keyAgreement"], id="mixed through --purposes"),
        pytest.param(PORT, ["--purposes", "keyAgreement"], id="--purposes is for signing keys"),
        pytest.param(PORT, ["--purpose", "encryption"], id="an unknown purpose"),
    ],
)
def test_rotate_refusals_are_bad_usage_and_change_nothing(data_dir: Path, participant: str, options: list[str]) -> None:
    key_file = data_dir / "keys" / f"{participant}.pem"
    before = key_file.read_bytes()
    result = pilot("keys", "rotate", "--id", participant, "--data-dir", str(data_dir), *options)
    assert result.exit_code == 2, result.output
    assert key_file.read_bytes() == before
    assert not (data_dir / "requests").exists() or not list((data_dir / "requests").iterdir())


def test_a_ports_signing_key_rotation_does_not_reuse_a_keyagreement_label(data_dir: Path) -> None:
    result = pilot("keys", "rotate", "--id", "cn-port-01", "--data-dir", str(data_dir), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["key"] == "did:web:pilot.example:cn-port-01#key-5"  # key-4 is its keyAgreement key
    approved = pilot("trust", "approve", json.loads(result.stdout)["request"], "--data-dir", str(data_dir))
    assert approved.exit_code == 0, approved.output
    assert "did:web:pilot.example:cn-port-01#key-5" in trust_list(data_dir).keys


def test_a_destroyed_label_is_not_reused(data_dir: Path) -> None:
    destroyed = pilot(
        "keys",
        "destroy",
        "--id",
        PORT,
        "--purpose",
        "keyAgreement",
        "--key",
        "key-5",
        "--yes",
        "--data-dir",
        str(data_dir),
    )
    assert destroyed.exit_code == 0, destroyed.output
    result = rotate_agreement(data_dir, PORT, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["key"] == f"{PORT_DID}#key-6"


# Requests adding a keyAgreement key that approval must refuse: each edits a genuine request and re-signs it.
def _signed_by(participant: str, label: str) -> Callable[[dict[str, Any], Path], dict[str, Any]]:
    def edit(request: dict[str, Any], data_dir: Path) -> dict[str, Any]:
        key = signing_keys(data_dir, participant)[label]
        return sign_request(request, key.private_key, key.verification_method, datetime.now(UTC).replace(microsecond=0))

    return edit


def _for_an_exporter(request: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    request["participant"] = "ru-exp-01"
    request["key"]["id"] = "did:web:pilot.example:ru-exp-01#key-9"
    return _signed_by("ru-exp-01", "key-1")(request, data_dir)


def _an_ed25519_key(request: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    request["key"]["publicKeyMultibase"] = encode_multikey(
        signing_keys(data_dir, PORT)["key-1"].private_key.public_key()
    )
    return _signed_by(PORT, "key-1")(request, data_dir)


def _with_another_purpose(request: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    request["key"]["purposes"] = ["keyAgreement", "assertion"]
    return _signed_by(PORT, "key-1")(request, data_dir)


def _changed_after_signing(request: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    request["key"]["validUntil"] = "2099-01-01T00:00:00Z"
    return request


def _unsigned(request: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    request.pop("proof")
    return request


REFUSED: dict[str, Callable[[dict[str, Any], Path], dict[str, Any]]] = {
    "signed by the port's log key": _signed_by(PORT, "key-2"),
    "signed by another port's assertion key": _signed_by("cn-port-01", "key-1"),
    "signed by pilot-gov": _signed_by("pilot-gov", "key-1"),
    "for an exporter, signed by the exporter": _for_an_exporter,
    "an Ed25519 key as keyAgreement": _an_ed25519_key,
    "keyAgreement with another purpose": _with_another_purpose,
    "changed after signing": _changed_after_signing,
    "no proof": _unsigned,
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_approve_refuses_a_keyagreement_request_not_from_the_port(data_dir: Path, case: str) -> None:
    assert rotate_agreement(data_dir).exit_code == 0
    path = data_dir / "requests" / f"{PORT}-key-6.json"
    edited = REFUSED[case](parse_json(path.read_bytes()), data_dir)
    path.write_text(json.dumps(edited))
    list_before = (data_dir / "trust-list.json").read_bytes()
    result = pilot("trust", "approve", str(path), "--data-dir", str(data_dir))
    assert result.exit_code == 1, result.output
    assert "refused" in result.output
    assert (data_dir / "trust-list.json").read_bytes() == list_before
