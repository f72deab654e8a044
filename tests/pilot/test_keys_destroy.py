"""``pilot keys destroy --purpose keyAgreement``, through the CLI, on a ``pilot init`` data dir.

cn-port-03 holds keyAgreement keys key-4 (current) and key-5 (retired in 2026-06). Destruction removes
the private key (a tombstone line stays), refuses the current sealing key without --force and an unknown
or already destroyed key, asks first unless --yes, and leaves everything else in the keyring untouched.
"""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from pilot.cli import app
from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.keyring import destroyed_keys, load_agreement_keys, load_keyring
from schemas.sealing import open_sealed, seal
from schemas.trust import load_trust_list

PORT = "cn-port-03"
PORT_DID = f"did:web:pilot.example:{PORT}"
CURRENT, RETIRED = f"{PORT_DID}#key-4", f"{PORT_DID}#key-5"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PILOT_KEY_PASSPHRASE", raising=False)


def destroy(
    data_dir: Path, key: str, *extra: str, input: str | None = None, env: dict[str, str] | None = None
) -> Result:
    args = ["keys", "destroy", "--id", PORT, "--purpose", "keyAgreement", "--key", key, "--data-dir", str(data_dir)]
    return runner.invoke(app, [*args, *extra], input=input, env=env)


def key_file(data_dir: Path) -> Path:
    return data_dir / "keys" / f"{PORT}.pem"


def held(data_dir: Path, passphrase: bytes | None = None) -> list[str]:
    return [e.verification_method for e in load_agreement_keys(key_file(data_dir).read_bytes(), passphrase)]


def test_the_current_sealing_key_is_refused_without_force(data_dir: Path) -> None:
    before = key_file(data_dir).read_bytes()
    result = destroy(data_dir, "key-4", "--yes")
    assert result.exit_code == 2
    assert "current sealing key" in result.output and "Rotate first" in result.output
    assert key_file(data_dir).read_bytes() == before


def test_an_old_key_is_destroyed_with_a_tombstone_and_the_rest_kept(data_dir: Path) -> None:
    before = key_file(data_dir).read_bytes().decode()
    result = destroy(data_dir, "key-5", "--yes")
    assert result.exit_code == 0, result.output
    assert f"content sealed to {RETIRED} can no longer be opened" in result.output
    assert "receipts, proofs and bundles stay verifiable" in result.output

    after = key_file(data_dir).read_bytes()
    assert held(data_dir) == [CURRENT]
    assert RETIRED in destroyed_keys(after)
    assert f"# destroyed {RETIRED} " in after.decode()
    assert stat.S_IMODE(key_file(data_dir).stat().st_mode) == 0o600
    # Everything before and after the destroyed block is byte for byte what it was.
    start = before.index(f"# {RETIRED} keyAgreement\n")
    end = before.index("-----END PRIVATE KEY-----\n", start) + len("-----END PRIVATE KEY-----\n")
    assert after.decode() == before[:start] + after.decode()[start:].split("\n", 1)[0] + "\n" + before[end:]
    assert len(load_keyring(after)) == 3  # signing keys untouched


def test_content_sealed_to_a_destroyed_key_can_no_longer_be_opened(data_dir: Path) -> None:
    # Rotate and publish key-6, so that key-4 is no longer current and may be destroyed without --force.
    rotated = runner.invoke(
        app, ["keys", "rotate", "--id", PORT, "--purpose", "keyAgreement", "--data-dir", str(data_dir), "--json"]
    )
    assert rotated.exit_code == 0, rotated.output
    request = json.loads(rotated.stdout)["request"]
    assert runner.invoke(app, ["trust", "approve", request, "--data-dir", str(data_dir)]).exit_code == 0
    trust = load_trust_list(data_dir / "trust-list.json", data_dir / "trust-anchor.json")
    old = trust.agreement_keys[CURRENT]
    token = seal({"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:lab"}, old.public_key, old.kid)
    keys = {e.verification_method: e.private_key for e in load_agreement_keys(key_file(data_dir).read_bytes())}
    assert open_sealed(token, keys).credential["id"] == "urn:lab"

    result = destroy(data_dir, CURRENT, "--yes")  # the full key id works as well as the label
    assert result.exit_code == 0, result.output
    assert "still publishes it until" in result.output  # no change request can end its window
    keys = {e.verification_method: e.private_key for e in load_agreement_keys(key_file(data_dir).read_bytes())}
    assert CURRENT not in keys
    with pytest.raises(VerificationError) as caught:
        open_sealed(token, keys)
    assert caught.value.code == Code.SEALED_KEY_UNKNOWN


def test_force_destroys_the_current_key(data_dir: Path) -> None:
    result = destroy(data_dir, "key-4", "--yes", "--force")
    assert result.exit_code == 0, result.output
    assert held(data_dir) == [RETIRED]


@pytest.mark.parametrize(
    ("key", "message"),
    [
        pytest.param("key-9", "holds no keyAgreement key", id="unknown label"),
        pytest.param("key-1", "holds no keyAgreement key", id="a signing key"),
        pytest.param("did:web:pilot.example:cn-port-01#key-4", "holds no keyAgreement key", id="another port's key"),
    ],
)
def test_a_key_not_held_is_refused(data_dir: Path, key: str, message: str) -> None:
    before = key_file(data_dir).read_bytes()
    result = destroy(data_dir, key, "--yes", "--force")
    assert result.exit_code == 2
    assert message in result.output
    assert key_file(data_dir).read_bytes() == before


def test_a_key_already_destroyed_is_refused(data_dir: Path) -> None:
    assert destroy(data_dir, "key-5", "--yes").exit_code == 0
    again = destroy(data_dir, "key-5", "--yes")
    assert again.exit_code == 2
    assert "already destroyed" in again.output


def test_it_asks_for_confirmation_unless_yes(data_dir: Path) -> None:
    before = key_file(data_dir).read_bytes()
    declined = destroy(data_dir, "key-5", input="n\n")
    assert declined.exit_code == 1
    assert "can no longer be opened" in declined.output  # the question says what is lost
    assert key_file(data_dir).read_bytes() == before
    accepted = destroy(data_dir, "key-5", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert held(data_dir) == [CURRENT]


def test_only_keyagreement_keys_are_destroyed(data_dir: Path) -> None:
    result = runner.invoke(
        app,
        [
            "keys",
            "destroy",
            "--id",
            PORT,
            "--purpose",
            "assertion",
            "--key",
            "key-1",
            "--yes",
            "--data-dir",
            str(data_dir),
        ],
    )
    assert result.exit_code == 2
    assert "only keyAgreement keys" in result.output


def test_json_output_names_the_destroyed_key(data_dir: Path) -> None:
    result = destroy(data_dir, "key-5", "--yes", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["participant"] == PORT and out["destroyed"] == RETIRED
    assert out["wasCurrentSealingKey"] is False and out["request"] is None
    assert out["publishedUntil"] == "2026-06-30T00:00:00Z"
    assert datetime.fromisoformat(out["destroyedAt"]) <= datetime.now(UTC)
    assert destroyed_keys(key_file(data_dir).read_bytes())[RETIRED] == datetime.fromisoformat(out["destroyedAt"])


def test_without_a_readable_trust_list_it_destroys_only_with_force(data_dir: Path) -> None:
    (data_dir / "trust-list.json").unlink()
    refused = destroy(data_dir, "key-5", "--yes")
    assert refused.exit_code == 2
    assert "--force" in refused.output
    forced = destroy(data_dir, "key-5", "--yes", "--force")
    assert forced.exit_code == 0, forced.output
    assert held(data_dir) == [CURRENT]


def test_an_encrypted_keyring_stays_encrypted_and_readable(tmp_path: Path) -> None:
    directory = tmp_path / "encrypted"
    secret = {"PILOT_KEY_PASSPHRASE": "s3cret"}
    assert runner.invoke(app, ["init", "--data-dir", str(directory)], env=secret).exit_code == 0
    result = destroy(directory, "key-5", "--yes", env=secret)
    assert result.exit_code == 0, result.output
    data = key_file(directory).read_bytes()
    assert b"BEGIN PRIVATE KEY" not in data and data.count(b"BEGIN ENCRYPTED PRIVATE KEY") == 4
    assert held(directory, b"s3cret") == [CURRENT]
    assert len(load_keyring(data, b"s3cret")) == 3
