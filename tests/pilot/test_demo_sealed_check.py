"""The demo's check of sealed data at rest (``pilot.demo.checks.check_sealed_at_rest``), on the published sealed
vector: it passes on clean files, and fails when a value rests in clear, or when the sealed credential does
not hold the values searched for (so that their absence elsewhere proves something)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pilot.demo.checks import check_sealed_at_rest, database_files
from pilot.sandbox import DEFAULT_SEED
from pilot.synthetic import laboratory_results
from schemas.keyring import load_agreement_keys
from tests.support.files import VECTORS

VECTOR = VECTORS / "sealed" / "valid" / "submission-sealed-laboratory.json"
CONSIGNMENT = "vec-ru-exp-01-sealed"


def _submission() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(VECTOR.read_text())
    return document


def _keys(port_id: str = "cn-port-03") -> dict[str, X25519PrivateKey]:
    entries = load_agreement_keys((VECTORS / "keys" / f"{port_id}.pem").read_bytes(), None)
    return {e.verification_method: e.private_key for e in entries}


def _values() -> list[str]:
    results = laboratory_results(DEFAULT_SEED, "020714", CONSIGNMENT)
    return [value for result in results for value in (result["test"], result["result"])]


def _files(tmp_path: Path, *contents: bytes) -> list[Path]:
    paths = []
    for n, content in enumerate(contents):
        path = tmp_path / f"node-{n}.db"
        path.write_bytes(content)
        paths.append(path)
    return paths


def test_the_published_sealed_vector_holds_the_values_only_sealed(tmp_path: Path) -> None:
    files = _files(tmp_path, VECTOR.read_bytes(), b"SQLite format 3\x00" + b"\x00" * 64)
    found = check_sealed_at_rest({CONSIGNMENT: _submission()}, {CONSIGNMENT: _values()}, _keys(), files)
    assert (found.ok, found.opened, found.leaks, found.problems) == (True, 1, [], [])


def test_a_value_resting_in_clear_is_found_in_a_wal_file(tmp_path: Path) -> None:
    wal = tmp_path / "ru-exp-01.db-wal"
    wal.write_bytes(b"\x37\x7f\x06\x82" + b"\x00" * 100 + _values()[1].encode() + b"\x00" * 10)
    (tmp_path / "ru-exp-01.db").write_bytes(b"SQLite format 3\x00")
    files = database_files(tmp_path, ["ru-exp-01", "cn-port-03"])
    assert [p.name for p in files] == ["ru-exp-01.db", "ru-exp-01.db-wal"]
    found = check_sealed_at_rest({CONSIGNMENT: _submission()}, {CONSIGNMENT: _values()}, _keys(), files)
    assert not found.ok
    assert found.leaks == [(wal, 1)]


def test_values_absent_from_the_sealed_credential_fail_the_check(tmp_path: Path) -> None:
    files = _files(tmp_path, b"nothing here")
    values = {CONSIGNMENT: ["a laboratory value that the sealed credential does not hold"]}
    found = check_sealed_at_rest({CONSIGNMENT: _submission()}, values, _keys(), files)
    assert not found.ok and found.problems and not found.leaks


def test_a_credential_sent_in_clear_fails_the_check(tmp_path: Path) -> None:
    clear = json.loads((VECTORS / "sealed" / "invalid" / "submission-sealed-clear-laboratory.json").read_text())
    found = check_sealed_at_rest({CONSIGNMENT: clear}, {CONSIGNMENT: _values()}, _keys(), _files(tmp_path, b""))
    assert not found.ok and found.opened == 0 and found.problems


def test_without_the_ports_key_nothing_opens(tmp_path: Path) -> None:
    found = check_sealed_at_rest(
        {CONSIGNMENT: _submission()}, {CONSIGNMENT: _values()}, _keys("cn-port-01"), _files(tmp_path, b"")
    )
    assert not found.ok and found.opened == 0 and len(found.problems) == 2


def test_no_database_file_is_no_pass() -> None:
    found = check_sealed_at_rest({CONSIGNMENT: _submission()}, {CONSIGNMENT: _values()}, _keys(), [])
    assert found.opened == 1 and not found.ok


def test_with_no_files_to_search_postgresql_only_the_sealed_half_is_checked() -> None:
    found = check_sealed_at_rest({CONSIGNMENT: _submission()}, {CONSIGNMENT: _values()}, _keys(), None)
    assert found.ok and found.files is None
    missing = check_sealed_at_rest({CONSIGNMENT: _submission()}, {CONSIGNMENT: ["absent"]}, _keys(), None)
    assert not missing.ok
