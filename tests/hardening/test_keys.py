"""Key lifecycle at the port, as a table of named cases: revoked keys, rotation overlap, request clock skew.

docs/design.md §5: a key's validity is judged at the port's receive time, never at the signer's claimed
``created``; only ``revokedAt`` invalidates signatures made after it; rotation never shortens the old
key's window. Section 4: a request's ``created`` must be within +-300 s of the port's clock.
The sandbox's ``ru-exp-02#key-0`` is revoked since 2026-06-01; rotation adds ``ru-exp-01#key-2`` through
``pilot keys rotate`` and ``pilot trust approve``, as an operator would.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from node_core.http_signatures import sign_request
from pilot.processes import pilot_argv
from schemas.keyring import KeyEntry, load_keyring
from tests.port_node.port_harness import PortHarness, as_body, fresh_submission
from tests.support.files import vector

pytestmark = [pytest.mark.anyio, pytest.mark.db]

JSON = {"content-type": "application/json"}
BEFORE_REVOCATION = datetime(2026, 5, 1, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class KeyCase:
    """A request signed by ``participant#label`` at ``created`` (offset from now, or an absolute time)."""

    name: str
    participant: str
    label: str
    expect_status: int
    expect_code: str  # a problem code, or the receipt decision / reason code for 201
    offset_s: float = 0.0
    at: float | None = None
    body_file: str | None = None  # a published vector instead of a fresh submission
    rotate_first: bool = False


CASES = [
    KeyCase("current key, no skew", "ru-exp-01", "key-1", 201, "accepted"),
    # created is whole seconds and the check runs a moment after signing: +-298 / +-302 keep a 2 s margin
    # on each side of the +-300 s window so that the cases do not depend on timing.
    KeyCase("skew -298 s (inside the window)", "ru-exp-01", "key-1", 201, "accepted", offset_s=-298),
    KeyCase("skew +298 s (inside the window)", "ru-exp-01", "key-1", 201, "accepted", offset_s=298),
    KeyCase("skew -302 s (just outside)", "ru-exp-01", "key-1", 401, "REQUEST_SIGNATURE_INVALID", offset_s=-302),
    KeyCase("skew +302 s (just outside)", "ru-exp-01", "key-1", 401, "REQUEST_SIGNATURE_INVALID", offset_s=302),
    KeyCase("revoked key signs the request now", "ru-exp-02", "key-0", 401, "REQUEST_SIGNATURE_INVALID"),
    KeyCase(
        "revoked key, request back-dated before revokedAt",
        "ru-exp-02",
        "key-0",
        401,
        "REQUEST_SIGNATURE_INVALID",
        at=BEFORE_REVOCATION,
    ),
    KeyCase(
        "revoked key, manifest proof back-dated before revokedAt",
        "ru-exp-02",
        "key-1",
        201,
        "KEY_REVOKED",
        body_file="invalid/submission-manifest-revoked-key.json",
    ),
    KeyCase("rotation: old key still valid in the overlap", "ru-exp-01", "key-1", 201, "accepted", rotate_first=True),
    KeyCase("rotation: new key valid in the overlap", "ru-exp-01", "key-2", 201, "accepted", rotate_first=True),
]


def _rotate(harness: PortHarness) -> None:
    """``pilot keys rotate --id ru-exp-01`` then ``pilot trust approve``; wait until the port holds the new list."""
    before = harness.port.trust.sequence
    data_dir = str(harness.data_dir)
    subprocess.run(
        pilot_argv("keys", "rotate", "--id", "ru-exp-01", "--data-dir", data_dir), check=True, capture_output=True
    )
    request = next((harness.data_dir / "requests").glob("ru-exp-01-key-*.json"))
    subprocess.run(
        pilot_argv("trust", "approve", str(request), "--data-dir", data_dir), check=True, capture_output=True
    )
    deadline = time.monotonic() + 10
    while harness.port.trust.current().sequence == before:
        assert time.monotonic() < deadline, "the port did not pick up the rotated trust list"
        time.sleep(0.1)


def _key(harness: PortHarness, participant: str, label: str) -> KeyEntry:
    entries = load_keyring((harness.data_dir / "keys" / f"{participant}.pem").read_bytes())
    return next(e for e in entries if e.verification_method.endswith(f"#{label}"))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_key_lifecycle(harness: PortHarness, case: KeyCase) -> None:
    """Each case answers with its status and code (a problem code, or the receipt's decision or reason)."""
    if case.rotate_first:
        _rotate(harness)
    if case.body_file:
        body = vector(case.body_file).read_bytes()
    else:
        body = as_body(fresh_submission(case.participant, f"keys-{CASES.index(case)}"))
    key = _key(harness, case.participant, case.label)
    async with harness.client() as client:
        request = client.build_request("POST", "/v1/submissions", content=body, headers=JSON)
        now = case.at if case.at is not None else time.time() + case.offset_s
        sign_request(request, key.private_key, key.verification_method, now=now)
        response = await client.send(request)
    assert response.status_code == case.expect_status, response.text
    if response.status_code == 201:
        subject = json.loads(response.content)["credentialSubject"]
        got = [subject["decision"]] + [r["code"] for r in subject["reasons"]]
        assert case.expect_code in got, got
    else:
        assert response.json()["code"] == case.expect_code


async def test_rotation_never_shortens_the_old_key(harness: PortHarness) -> None:
    """After rotation the trust list still gives the old key its whole window."""
    before = {k["id"]: k for p in _participants(harness) for k in p["keys"]}
    _rotate(harness)
    after = {k["id"]: k for p in _participants(harness) for k in p["keys"]}
    old = "did:web:pilot.example:ru-exp-01#key-1"
    assert after[old]["validUntil"] == before[old]["validUntil"] and "revokedAt" not in after[old]
    assert any(i.endswith("ru-exp-01#key-2") for i in after)


def _participants(harness: PortHarness) -> list[dict[str, object]]:
    document = json.loads((harness.data_dir / "trust-list.json").read_text())
    participants: list[dict[str, object]] = document["participants"]
    return participants
