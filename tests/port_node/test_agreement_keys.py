"""``port_node.agreement_keys.AgreementKeys``: the port's keyAgreement keys, in step with its keyring file.

The port-level behaviour (a destroyed key opens nothing, ``/health``) is in ``test_sealed_intake.py``; here
the key holder alone, on sandbox keyrings written as ``pilot init`` writes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from pilot.sandbox import build_sandbox
from port_node.agreement_keys import AgreementKeys, StaticAgreementKeys
from schemas.errors import KeyFormatError
from schemas.keyring import dump_keyring
from tests.support.sealed import agreement_kid, port_agreement_keys

PORT = "cn-port-03"
AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _keyring(tmp_path: Path, passphrase: bytes | None = None) -> Path:
    path = tmp_path / f"{PORT}.pem"
    path.write_bytes(dump_keyring(build_sandbox().keyring(PORT), passphrase))
    return path


def _raw(keys: Mapping[str, X25519PrivateKey]) -> dict[str, bytes]:
    return {kid: key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()) for kid, key in keys.items()}


@pytest.mark.parametrize("passphrase", [None, b"correct horse"])
def test_holds_the_ports_keyagreement_keys(tmp_path: Path, passphrase: bytes | None) -> None:
    keys = AgreementKeys(_keyring(tmp_path, passphrase), passphrase)
    assert _raw(keys.private_keys()) == _raw(port_agreement_keys(PORT))
    assert set(keys.private_keys()) == {agreement_kid(PORT), agreement_kid(PORT, "key-5")}
    assert keys.destroyed() == {} and keys.problem is None


def test_a_keyring_it_cannot_read_stops_the_port_at_start_up(tmp_path: Path) -> None:
    path = _keyring(tmp_path, b"correct horse")
    with pytest.raises(KeyFormatError):
        AgreementKeys(path, b"wrong")
    with pytest.raises(OSError):
        AgreementKeys(tmp_path / "missing.pem")


def test_destroy_keeps_every_other_block_byte_for_byte(tmp_path: Path) -> None:
    path = _keyring(tmp_path)
    before = path.read_text()
    keys = AgreementKeys(path)
    keys.destroy(agreement_kid(PORT, "key-5"), AT)
    after = path.read_text()
    start = before.index(f"# {agreement_kid(PORT, 'key-5')} keyAgreement\n")
    assert after.startswith(before[:start])
    assert f"# destroyed {agreement_kid(PORT, 'key-5')} 2026-12-01T10:00:00Z\n" in after
    assert set(keys.private_keys()) == {agreement_kid(PORT)}
    with pytest.raises(KeyFormatError):
        keys.destroy(agreement_kid(PORT, "key-5"), AT)  # gone already


def test_a_missing_file_while_running_fails_closed_and_recovers(tmp_path: Path) -> None:
    path = _keyring(tmp_path)
    data = path.read_bytes()
    keys = AgreementKeys(path)
    path.unlink()
    assert keys.private_keys() == {} and keys.problem is not None
    path.write_bytes(data)
    assert len(keys.private_keys()) == 2 and keys.problem is None


def test_static_keys_for_stand_ins() -> None:
    held = port_agreement_keys(PORT)
    assert StaticAgreementKeys(held).private_keys() == held
    assert StaticAgreementKeys().private_keys() == {}
