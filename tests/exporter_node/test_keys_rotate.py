"""``pilot keys rotate``: a new key appended, a signed change request, and nodes switching only once published."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from exporter_node.identity import NodeIdentity
from pilot.commands import keys
from pilot.registration import approve, check_possession
from pilot.sandbox import build_sandbox, write_sandbox
from schemas.jsonio import parse_json
from schemas.keyring import load_keyring
from schemas.trust import TrustRegistry, verify_trust_list

# Mounted as `pilot keys` is (a lone command would otherwise collapse into the group).
app = typer.Typer()
app.add_typer(keys.app, name="keys")


@pytest.fixture
def sandbox_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "data"
    write_sandbox(build_sandbox(), directory)
    return directory


def rotate(directory: Path, *extra: str, env: dict[str, str] | None = None) -> Path:
    result = CliRunner().invoke(
        app, ["keys", "rotate", "--id", "ru-exp-01", "--data-dir", str(directory), *extra], env=env
    )
    assert result.exit_code == 0, result.output
    return directory / "requests" / "ru-exp-01-key-2.json"


def test_rotate_appends_a_key_and_writes_a_request_signed_by_the_new_key(sandbox_dir: Path) -> None:
    key_file = sandbox_dir / "keys" / "ru-exp-01.pem"
    before = key_file.read_bytes()
    request_path = rotate(sandbox_dir)
    after = key_file.read_bytes()
    assert after.startswith(before)  # the old key is untouched
    entries = load_keyring(after)
    assert [e.verification_method.rsplit("#")[1] for e in entries] == ["key-1", "key-2"]
    assert entries[1].purposes == ("assertion", "authentication")
    request = parse_json(request_path.read_bytes())
    assert request["change"] == "add-key" and request["participant"] == "ru-exp-01"
    assert request["key"]["id"] == "did:web:pilot.example:ru-exp-01#key-2"
    assert request["proof"]["verificationMethod"] == request["key"]["id"]
    check_possession(request)  # proof of possession by the NEW key


def test_a_tampered_request_fails_the_possession_check(sandbox_dir: Path) -> None:
    from pilot.registration import RequestRefused

    request = parse_json(rotate(sandbox_dir).read_bytes())
    request["key"]["purposes"] = ["assertion", "authentication", "log"]
    with pytest.raises(RequestRefused):
        check_possession(request)


def test_rotate_with_a_passphrase_keeps_the_keyring_encrypted(sandbox_dir: Path, tmp_path: Path) -> None:
    encrypted = tmp_path / "encrypted"
    write_sandbox(build_sandbox(), encrypted, passphrase=b"s3cret")
    rotate(encrypted, env={"PILOT_KEY_PASSPHRASE": "s3cret"})
    data = (encrypted / "keys" / "ru-exp-01.pem").read_bytes()
    assert b"BEGIN PRIVATE KEY" not in data and data.count(b"BEGIN ENCRYPTED PRIVATE KEY") == 2
    assert len(load_keyring(data, b"s3cret")) == 2
    result = CliRunner().invoke(
        app,
        ["keys", "rotate", "--id", "ru-exp-01", "--data-dir", str(encrypted)],
        env={"PILOT_KEY_PASSPHRASE": "wrong"},
    )
    assert result.exit_code == 2


def test_the_node_switches_to_the_new_key_only_once_published_and_old_records_stay_valid(sandbox_dir: Path) -> None:
    sandbox = build_sandbox()
    request = parse_json(rotate(sandbox_dir).read_bytes())
    now = datetime.now(UTC)
    identity = NodeIdentity.load("ru-exp-01", sandbox_dir / "keys" / "ru-exp-01.pem", None)
    before = TrustRegistry.from_document(sandbox.trust_list)
    assert identity.key_for("assertion", before, now).verification_method.endswith("#key-1")

    gov = sandbox.keyrings["pilot-gov"][0]
    published = approve(before, request, gov.private_key, gov.verification_method, issued=now)
    after = verify_trust_list(published, sandbox.anchor, min_sequence=before.sequence)
    assert after.sequence == before.sequence + 1
    assert identity.key_for("assertion", after, now).verification_method.endswith("#key-2")
    assert identity.key_for("authentication", after, now).verification_method.endswith("#key-2")
    old = after.resolve_key("did:web:pilot.example:ru-exp-01#key-1", "assertion", now)
    assert old.valid_until == before.keys["did:web:pilot.example:ru-exp-01#key-1"].valid_until


def test_rotate_an_unknown_participant_is_bad_usage(sandbox_dir: Path) -> None:
    result = CliRunner().invoke(app, ["keys", "rotate", "--id", "nobody", "--data-dir", str(sandbox_dir)])
    assert result.exit_code == 2


@pytest.mark.db
def test_the_node_opens_an_encrypted_keyring_with_the_passphrase(tmp_path: Path, database_url: str) -> None:
    from exporter_node.state import ExporterNode
    from node_core.settings import NodeSettings
    from schemas.errors import KeyFormatError

    directory = tmp_path / "encrypted"
    write_sandbox(build_sandbox(), directory, passphrase=b"s3cret")
    settings = NodeSettings(node_id="ru-exp-01", data_dir=directory, database_url=database_url, key_passphrase="s3cret")
    node = ExporterNode.open(settings)
    try:
        assert node.identity.keys[0].verification_method.endswith("#key-1")
    finally:
        node.close()
    with pytest.raises(KeyFormatError):
        ExporterNode.open(settings.model_copy(update={"key_passphrase": None}))
