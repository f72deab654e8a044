"""The status of cert-01, cert-02 and ru-vet, kept by the pilot command in the data dir (``pilot.issuer_state``).

docs/design.md §12: indexes allocated under an exclusive file lock and never reused (real processes
allocating at once get distinct indexes), the state replaced atomically, every change signing the list's
next version (verified here as a port verifies it), publication to the real registry app (in process) with
a version signed above the registry's when it holds a higher one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from pilot import issuer_state
from pilot.issuer_state import (
    RENEW_WITHIN,
    VALIDITY,
    DataDirStatus,
    NotSuspendableError,
    UnknownCredentialError,
    allocate,
    change_status,
    refresh_lists,
    state_path,
)
from pilot.sandbox import STATUS_LISTS_DIR
from pilot.status_files import data_dir_list_path
from pilot.synthetic import Signer
from schemas.keyring import load_keyring
from schemas.status_list import StatusList, status_list_url, verify_status_list
from schemas.trust import TrustRegistry, load_trust_list
from tests.registry_node.registry_harness import BASE_URL as REGISTRY_URL
from tests.registry_node.registry_harness import RegistryHarness, blocking_client, signed_list, signer_for
from tests.support.databases import fresh_database

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "schemas" / "vectors"


@pytest.fixture
def trust(data_dir: Path) -> TrustRegistry:
    return load_trust_list(data_dir / "trust-list.json", data_dir / "trust-anchor.json")


def _list(data_dir: Path, issuer: str, name: str, trust: TrustRegistry, at: datetime | None = None) -> StatusList:
    document = json.loads(data_dir_list_path(data_dir, issuer, name).read_text())
    return verify_status_list(document, trust, at or datetime.now(UTC), url=status_list_url(issuer, name))


def _set(found: StatusList, limit: int = 64) -> list[int]:
    return [i for i in range(limit) if found.is_set(i)]


def test_init_writes_each_issuer_state_and_first_empty_lists(data_dir: Path, trust: TrustRegistry) -> None:
    for issuer in ("cert-01", "cert-02", "ru-vet"):
        state = json.loads(state_path(data_dir, issuer).read_text())
        assert state["nextIndex"] == 0 and state["allocations"] == {}
        assert state["lists"] == {"revocation-1": {"sequence": 1}, "suspension-1": {"sequence": 1}}
        for name in ("revocation-1", "suspension-1"):
            found = _list(data_dir, issuer, name, trust)
            assert found.sequence == 1 and not any(found.bits)
            assert found.ttl == timedelta(seconds=5)
            assert found.valid_until - found.valid_from == VALIDITY
    # the generation-0 lists are the published ones, byte for byte
    for published in (VECTORS / "status").rglob("*.json"):
        written = data_dir / STATUS_LISTS_DIR / published.relative_to(VECTORS / "status")
        assert written.read_bytes() == published.read_bytes(), published


def test_allocations_are_consecutive_kept_and_data_dir_status_gives_generation_1_entries(data_dir: Path) -> None:
    assert [allocate(data_dir, "cert-01", f"urn:c:{n}", "DigitalConformityCredential") for n in range(3)] == [0, 1, 2]
    assert allocate(data_dir, "cert-01", "urn:c:1", "DigitalConformityCredential") == 1  # asked again: kept
    assert allocate(data_dir, "ru-vet", "urn:v:0", "VeterinaryAttestation") == 0  # each issuer counts alone
    status = DataDirStatus(data_dir)
    entries = status.entries("cert-02", "urn:c2:0", "DigitalConformityCredential")
    assert [(e["statusPurpose"], e["statusListIndex"]) for e in entries] == [("revocation", "0"), ("suspension", "0")]
    assert {e["statusListCredential"] for e in entries} == {
        status_list_url("cert-02", "revocation-1"),
        status_list_url("cert-02", "suspension-1"),
    }
    [fixture] = status.entries("ru-exp-01", "urn:f:0", "DigitalFacilityRecord")  # not kept here: generation 0
    assert fixture["statusListCredential"] == status_list_url("ru-exp-01", "revocation-0")


_ALLOCATE = """
import sys
from pathlib import Path
from pilot.issuer_state import allocate
data_dir, worker, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for n in range(count):
    print(allocate(data_dir, "cert-01", f"urn:p{worker}:{n}", "DigitalConformityCredential"), flush=True)
"""


def _allocating(data_dir: Path, worker: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _ALLOCATE, str(data_dir), str(worker), str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_processes_allocating_at_once_never_get_the_same_index(data_dir: Path) -> None:
    workers, each = 6, 20
    processes = [_allocating(data_dir, w, each) for w in range(workers)]
    indexes: list[int] = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        indexes += [int(line) for line in out.split()]
    assert sorted(indexes) == list(range(workers * each))
    state = json.loads(state_path(data_dir, "cert-01").read_text())
    assert state["nextIndex"] == workers * each and len(state["allocations"]) == workers * each


def test_a_process_waits_for_the_lock_held_by_another(data_dir: Path) -> None:
    waiting: subprocess.Popen[str] | None = None
    try:
        with issuer_state._locked(data_dir, "cert-01") as state:
            waiting = _allocating(data_dir, 9, 1)
            time.sleep(1.0)
            assert waiting.poll() is None  # blocked on the lock
            state["nextIndex"] = 7  # what the holder writes is what the waiter reads
        out, err = waiting.communicate(timeout=60)
    finally:
        if waiting is not None and waiting.poll() is None:
            waiting.kill()
            waiting.communicate()
    assert waiting.returncode == 0, err
    assert out.split() == ["7"]


def test_a_failed_write_leaves_the_previous_state_whole(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    allocate(data_dir, "ru-vet", "urn:v:0", "VeterinaryAttestation")
    path = state_path(data_dir, "ru-vet")
    before = path.read_bytes()

    def crash(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("node_core.durable_files.os.replace", crash)
    with pytest.raises(OSError, match="disk full"):
        allocate(data_dir, "ru-vet", "urn:v:1", "VeterinaryAttestation")
    assert path.read_bytes() == before
    temporaries = [p.name for p in path.parent.iterdir() if p.name.startswith(".") and not p.name.endswith(".lock")]
    assert not temporaries  # no temporary file left (the lock's sidecar file stays)
    monkeypatch.undo()
    assert allocate(data_dir, "ru-vet", "urn:v:1", "VeterinaryAttestation") == 1


def test_suspend_reinstate_and_revoke_each_sign_the_next_version(data_dir: Path, trust: TrustRegistry) -> None:
    index = allocate(data_dir, "cert-01", "urn:c:s", "DigitalConformityCredential")
    allocate(data_dir, "cert-01", "urn:c:other", "DigitalConformityCredential")
    suspended = change_status(data_dir, "cert-01", "urn:c:s", "suspend")
    assert (suspended.changed, suspended.list_id, suspended.sequence) == (True, "suspension-1", 2)
    assert suspended.status == {"revocation": False, "suspension": True} and suspended.publication is None
    assert _set(_list(data_dir, "cert-01", "suspension-1", trust)) == [index]
    again = change_status(data_dir, "cert-01", "urn:c:s", "suspend")
    assert (again.changed, again.sequence) == (False, 2)
    reinstated = change_status(data_dir, "cert-01", "urn:c:s", "reinstate")
    assert (reinstated.changed, reinstated.sequence) == (True, 3)
    assert _set(_list(data_dir, "cert-01", "suspension-1", trust)) == []
    revoked = change_status(data_dir, "cert-01", "urn:c:other", "revoke")
    assert (revoked.list_id, revoked.sequence, revoked.status["revocation"]) == ("revocation-1", 2, True)
    assert _set(_list(data_dir, "cert-01", "revocation-1", trust)) == [index + 1]


def test_changes_are_refused_for_credentials_the_issuer_did_not_allocate_or_cannot_suspend(data_dir: Path) -> None:
    with pytest.raises(UnknownCredentialError, match="generation-0"):
        change_status(data_dir, "cert-01", "urn:never", "revoke")
    allocate(data_dir, "cert-01", "urn:odd", "DigitalFacilityRecord")  # a type without a suspension entry
    with pytest.raises(NotSuspendableError):
        change_status(data_dir, "cert-01", "urn:odd", "reinstate")
    with pytest.raises(issuer_state.IssuerStateError, match="operator API"):
        change_status(data_dir, "ru-exp-01", "urn:x", "revoke")


def test_refresh_signs_lists_near_expiry_or_that_no_longer_verify(data_dir: Path, trust: TrustRegistry) -> None:
    assert refresh_lists(data_dir) == []  # all current
    later = datetime.now(UTC) + VALIDITY - RENEW_WITHIN + timedelta(hours=1)
    renewed = refresh_lists(data_dir, later)
    assert len(renewed) == 6
    assert _list(data_dir, "ru-vet", "revocation-1", trust, later).sequence == 2
    tampered = data_dir_list_path(data_dir, "cert-02", "suspension-1")
    document = json.loads(tampered.read_text())
    document["credentialSubject"]["ttl"] = 600_000
    tampered.write_text(json.dumps(document))
    assert refresh_lists(data_dir, later) == [tampered]
    assert _list(data_dir, "cert-02", "suspension-1", trust, later).sequence == 3


def test_the_ttl_comes_from_pilot_status_ttl_s(
    data_dir: Path, trust: TrustRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOT_STATUS_TTL_S", "42")
    allocate(data_dir, "cert-02", "urn:t", "DigitalConformityCredential")
    change_status(data_dir, "cert-02", "urn:t", "revoke")
    assert _list(data_dir, "cert-02", "revocation-1", trust).ttl == timedelta(seconds=42)
    monkeypatch.setenv("PILOT_STATUS_TTL_S", "0.5")
    with pytest.raises(issuer_state.IssuerStateError, match="at least 1"):
        change_status(data_dir, "cert-02", "urn:t", "suspend")


def test_certificates_signed_with_data_dir_status_verify_and_point_at_generation_1(data_dir: Path) -> None:
    signer = Signer(_keyrings(data_dir), status=DataDirStatus(data_dir))
    credential = signer.issue(
        "cert-01", "DigitalConformityCredential", {"id": "urn:pilot:certificate:x"}, credential_id="urn:cert:x"
    )
    assert [e["statusListCredential"].rsplit("/", 1)[1] for e in credential["credentialStatus"]] == [
        "revocation-1",
        "suspension-1",
    ]
    assert json.loads(state_path(data_dir, "cert-01").read_text())["allocations"]["urn:cert:x"]["index"] == 0


def _keyrings(data_dir: Path) -> dict[str, Any]:
    return {
        issuer: load_keyring((data_dir / "keys" / f"{issuer}.pem").read_bytes(), None)
        for issuer in ("cert-01", "cert-02", "ru-vet")
    }


@pytest.fixture
def registry(data_dir: Path, tmp_path: Path) -> Iterator[httpx.Client]:
    """The real registry app over a database of its own, behind a synchronous client (in process)."""
    with fresh_database(tmp_path, "registry") as url:
        harness = RegistryHarness(data_dir, url)
        try:
            with blocking_client(harness.app) as client:
                yield client
        finally:
            harness.close()


@pytest.mark.db
def test_a_change_is_published_and_a_registry_ahead_gets_a_version_above_it(
    data_dir: Path, registry: httpx.Client, trust: TrustRegistry
) -> None:
    allocate(data_dir, "ru-vet", "urn:v:p", "VeterinaryAttestation")
    first = change_status(data_dir, "ru-vet", "urn:v:p", "suspend", registry_url=REGISTRY_URL, client=registry)
    assert first.publication is not None and first.publication.published and first.sequence == 2
    served = registry.get("/v1/status/ru-vet/suspension-1")
    assert verify_status_list(served.json(), trust, datetime.now(UTC)).sequence == 2
    # the registry already holds revocation-1 version 9 (a data dir used before, say)
    ahead = registry.post(
        "/v1/status/ru-vet/revocation-1",
        content=json.dumps(signed_list("ru-vet", "revocation-1", 9)),
        headers={"content-type": "application/json"},
        auth=_signer("ru-vet"),
    )
    assert ahead.status_code == 201, ahead.text
    revoked = change_status(data_dir, "ru-vet", "urn:v:p", "revoke", registry_url=REGISTRY_URL, client=registry)
    assert revoked.publication is not None and revoked.publication.published
    assert revoked.sequence == 10
    assert _list(data_dir, "ru-vet", "revocation-1", trust).sequence == 10
    history = registry.get("/v1/status/ru-vet/revocation-1/history").json()
    assert [v["sequence"] for v in history["versions"]] == [9, 10]


@pytest.mark.db
def test_with_the_registry_down_the_change_is_kept_for_later(data_dir: Path, trust: TrustRegistry) -> None:
    allocate(data_dir, "cert-02", "urn:c2:d", "DigitalConformityCredential")
    change = change_status(data_dir, "cert-02", "urn:c2:d", "revoke", registry_url="http://127.0.0.1:9")
    assert change.publication is not None and not change.publication.published and not change.publication.refused
    assert _list(data_dir, "cert-02", "revocation-1", trust).sequence == 2


def _signer(participant: str) -> Any:
    return signer_for(participant)
