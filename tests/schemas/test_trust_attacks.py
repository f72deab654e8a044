"""Attacks on the trust anchor (docs/reliability.md, attacks 5 and 12), against the pure rules of ``schemas.trust``.

A table of named cases over ``TrustState.admit``: a rotation of ``pilot-gov``'s key (list 2 signed by
key-1 announces key-2, list 3 is signed by key-2, list 4 revokes key-1), what survives a restart (the
state's JSON round trip), lists signed by a revoked anchor key, and lists past their ``nextUpdate``.
Every refusal asserts its code.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pilot.sandbox import build_sandbox
from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.keys import key_from_seed
from schemas.multikey import encode_multikey
from schemas.time import format_time
from schemas.trust import TrustRegistry, TrustState, sign_trust_list, verify_trust_list

SANDBOX = build_sandbox()
ANCHOR = SANDBOX.anchor
KEY1 = SANDBOX.keyrings["pilot-gov"][0]
KEY2 = key_from_seed(b"issue 12 pilot-gov key-2")
KEY3 = key_from_seed(b"issue 12 pilot-gov key-3")
VM1, VM2, VM3 = (f"did:web:pilot.example:pilot-gov#key-{n}" for n in (1, 2, 3))
NOW = datetime(2026, 11, 1, tzinfo=UTC)
REVOKED = NOW - timedelta(days=1)


def _gov_key(vm: str, key: Ed25519PrivateKey, **extra: str) -> dict[str, Any]:
    return {
        "id": vm,
        "type": "Multikey",
        "publicKeyMultibase": encode_multikey(key.public_key()),
        "purposes": ["assertion"],
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2036-12-31T00:00:00Z",
        **extra,
    }


def trust_list(
    sequence: int,
    signer: tuple[str, Ed25519PrivateKey],
    *,
    gov_keys: list[dict[str, Any]] | None = None,
    next_update: datetime | None = None,
) -> dict[str, Any]:
    """The sandbox list as ``sequence``, with pilot-gov's keys replaced by ``gov_keys``, signed by ``signer``."""
    document = copy.deepcopy(SANDBOX.trust_list)
    document["sequence"] = sequence
    document["id"] = f"urn:pilot:trust-list:{sequence}"
    if next_update is not None:
        document["nextUpdate"] = format_time(next_update)
    if gov_keys is not None:
        gov = next(p for p in document["participants"] if p["id"] == "pilot-gov")
        gov["keys"] = gov_keys
    vm, key = signer
    return sign_trust_list(document, key, vm, NOW - timedelta(days=30))


KEY1_PUBLISHED = SANDBOX.trust_list["participants"][-1]["keys"][0]
ANNOUNCE_2 = trust_list(2, (VM1, KEY1.private_key), gov_keys=[KEY1_PUBLISHED, _gov_key(VM2, KEY2)])
BY_KEY2 = trust_list(3, (VM2, KEY2), gov_keys=[KEY1_PUBLISHED, _gov_key(VM2, KEY2)])
REVOKE_1 = trust_list(
    4, (VM2, KEY2), gov_keys=[{**KEY1_PUBLISHED, "revokedAt": format_time(REVOKED)}, _gov_key(VM2, KEY2)]
)


def _rotated() -> TrustState:
    """The state of a node that accepted lists 1 to 4 (key-2 announced, then key-1 revoked)."""
    state = TrustState()
    for document in (SANDBOX.trust_list, ANNOUNCE_2, BY_KEY2, REVOKE_1):
        _, state = state.admit(document, ANCHOR, NOW)
    return state


def _restarted(state: TrustState) -> TrustState:
    """What a restarted node reads back from its database."""
    return TrustState.from_json(state.sequence, state.to_json())


@dataclass(frozen=True)
class Case:
    """A node in ``state`` is offered ``document`` at ``at``: it adopts it (``code`` None) or refuses it."""

    state: Callable[[], TrustState]
    document: Callable[[], dict[str, Any]]
    code: Code | None
    at: datetime = NOW


CASES = {
    "rotation: the list announcing key-2, signed by key-1": Case(
        lambda: TrustState().admit(SANDBOX.trust_list, ANCHOR, NOW)[1], lambda: ANNOUNCE_2, None
    ),
    "rotation: a list signed by key-2 after its announcement": Case(
        lambda: TrustState().admit(ANNOUNCE_2, ANCHOR, NOW)[1], lambda: BY_KEY2, None
    ),
    "rotation: a list signed by key-2 after a restart": Case(
        lambda: _restarted(TrustState().admit(ANNOUNCE_2, ANCHOR, NOW)[1]), lambda: BY_KEY2, None
    ),
    "rotation: key-2 is not trusted by a node that never saw it announced": Case(
        TrustState, lambda: BY_KEY2, Code.TRUST_LIST_INVALID
    ),
    "rotation: a list announcing a key may not be signed by that key": Case(
        TrustState,
        lambda: trust_list(2, (VM2, KEY2), gov_keys=[KEY1_PUBLISHED, _gov_key(VM2, KEY2)]),
        Code.TRUST_LIST_INVALID,
    ),
    "revoked pinned key signs a later list": Case(
        _rotated, lambda: trust_list(5, (VM1, KEY1.private_key)), Code.KEY_REVOKED
    ),
    "revoked pinned key signs a later list, after a restart": Case(
        lambda: _restarted(_rotated()), lambda: trust_list(5, (VM1, KEY1.private_key)), Code.KEY_REVOKED
    ),
    "revoked key signs a list that re-lists it unrevoked": Case(
        _rotated,
        lambda: trust_list(5, (VM1, KEY1.private_key), gov_keys=[KEY1_PUBLISHED, _gov_key(VM2, KEY2)]),
        Code.KEY_REVOKED,
    ),
    "revoked key signs a list with the same sequence as the one held": Case(
        _rotated, lambda: trust_list(4, (VM1, KEY1.private_key)), Code.KEY_REVOKED
    ),
    "revoked announced key-2 signs after key-3 took over (docs/reliability.md, attack 5)": Case(
        lambda: _rotated().admit(
            trust_list(
                5,
                (VM2, KEY2),
                gov_keys=[_gov_key(VM2, KEY2, revokedAt=format_time(REVOKED)), _gov_key(VM3, KEY3)],
            ),
            ANCHOR,
            NOW,
        )[1],
        lambda: trust_list(6, (VM2, KEY2), gov_keys=[_gov_key(VM2, KEY2), _gov_key(VM3, KEY3)]),
        Code.KEY_REVOKED,
    ),
    "a revocation stays when a later list drops it": Case(
        lambda: _rotated().admit(trust_list(5, (VM2, KEY2), gov_keys=[_gov_key(VM2, KEY2)]), ANCHOR, NOW)[1],
        lambda: trust_list(6, (VM1, KEY1.private_key)),
        Code.KEY_REVOKED,
    ),
    "a key is usable until its revokedAt": Case(
        _rotated, lambda: trust_list(5, (VM1, KEY1.private_key)), None, at=REVOKED - timedelta(seconds=1)
    ),
    "nextUpdate passed: not adopted": Case(
        TrustState,
        lambda: trust_list(2, (VM1, KEY1.private_key), next_update=NOW - timedelta(days=1)),
        Code.TRUST_LIST_STALE,
    ),
    "nextUpdate exactly now: not adopted": Case(
        TrustState, lambda: trust_list(2, (VM1, KEY1.private_key), next_update=NOW), Code.TRUST_LIST_STALE
    ),
    "nextUpdate a second ahead: adopted": Case(
        TrustState, lambda: trust_list(2, (VM1, KEY1.private_key), next_update=NOW + timedelta(seconds=1)), None
    ),
    "the published vectors' list today": Case(TrustState, lambda: SANDBOX.trust_list, None),
    "older sequence than the one accepted": Case(_rotated, lambda: BY_KEY2, Code.TRUST_LIST_STALE),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_trust_state_admits_or_refuses(name: str) -> None:
    case = CASES[name]
    state = case.state()
    if case.code is None:
        registry, learnt = state.admit(case.document(), ANCHOR, case.at)
        assert learnt.sequence == registry.sequence >= state.sequence
        return
    with pytest.raises(VerificationError) as caught:
        state.admit(case.document(), ANCHOR, case.at)
    assert caught.value.code == case.code, caught.value


def test_the_state_learns_announced_keys_and_revocations_and_survives_a_round_trip() -> None:
    state = _rotated()
    assert state.sequence == 4
    assert state.anchor_keys == {VM1: KEY1_PUBLISHED["publicKeyMultibase"], VM2: encode_multikey(KEY2.public_key())}
    assert state.revoked == {VM1: REVOKED}
    assert _restarted(state) == state
    # Earlier versions persisted bare key ids: they are ignored, the sequence is kept.
    assert TrustState.from_json(7, ["did:web:pilot.example:pilot-gov#key-2"]) == TrustState(7)


def test_merge_keeps_the_earliest_revocation_and_the_first_binding_of_a_key_id() -> None:
    early, late = REVOKED - timedelta(days=3), REVOKED
    one = TrustState(3, {VM2: "zFirst"}, {VM1: late})
    two = TrustState(5, {VM2: "zSecond", VM3: "zThird"}, {VM1: early})
    merged = one.merge(two)
    assert merged == TrustState(5, {VM2: "zFirst", VM3: "zThird"}, {VM1: early})


def test_a_held_list_past_next_update_is_stale_and_offline_checks_ignore_the_clock() -> None:
    registry = TrustRegistry.from_document(SANDBOX.trust_list)
    registry.check_fresh(NOW)
    with pytest.raises(VerificationError) as caught:
        registry.check_fresh(registry.next_update)
    assert caught.value.code == Code.TRUST_LIST_STALE
    expired = trust_list(2, (VM1, KEY1.private_key), next_update=NOW - timedelta(days=1))
    # pilot audit verify judges an archived list by its signature only (no ``now``).
    assert verify_trust_list(expired, ANCHOR).sequence == 2


def test_a_pinned_key_id_cannot_be_rebound_by_an_announcement() -> None:
    rogue = key_from_seed(b"rogue pilot-gov key-1")
    state = TrustState(1, {VM1: encode_multikey(rogue.public_key())})
    with pytest.raises(VerificationError) as caught:
        state.admit(trust_list(2, (VM1, rogue)), ANCHOR, NOW)
    assert caught.value.code == Code.TRUST_LIST_INVALID
