"""The trust registry's rules (schemas.trust docstring) as a table of named cases."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pilot.sandbox import REVOKED_AT, build_sandbox
from schemas import (
    Code,
    TrustRegistry,
    VerificationError,
    encode_multikey,
    key_from_seed,
    sign_trust_list,
    verify_trust_list,
)
from schemas.models.trust_list import Establishment, Participant, PortPolicy

SANDBOX = build_sandbox()
REGISTRY = verify_trust_list(SANDBOX.trust_list, SANDBOX.anchor)
GOV = SANDBOX.keyrings["pilot-gov"][0]
NOW = datetime(2026, 11, 1, tzinfo=UTC)
VM1 = "did:web:pilot.example:ru-exp-01#key-1"


def _resigned(edit: Any = None, key: Any = None, vm: str | None = None) -> dict[str, Any]:
    document = copy.deepcopy(SANDBOX.trust_list)
    if edit:
        edit(document)
    return sign_trust_list(document, key or GOV.private_key, vm or GOV.verification_method, NOW)


def _bump(document: dict[str, Any], sequence: int = 2) -> None:
    document["sequence"] = sequence
    document["id"] = f"urn:pilot:trust-list:{sequence}"


LIST_CASES = {
    "signed by a participant key, not the anchor": (
        lambda: _resigned(key=SANDBOX.keyrings["ru-exp-01"][0].private_key, vm=VM1),
        {},
        Code.TRUST_LIST_INVALID,
    ),
    "a field changed after signing": (
        lambda: {**SANDBOX.trust_list, "nextUpdate": "2099-01-01T00:00:00Z"},
        {},
        Code.TRUST_LIST_INVALID,
    ),
    "proof removed": (
        lambda: {k: v for k, v in SANDBOX.trust_list.items() if k != "proof"},
        {},
        Code.TRUST_LIST_INVALID,
    ),
    "older sequence than the one accepted": (
        lambda: SANDBOX.trust_list,
        {"min_sequence": 2},
        Code.TRUST_LIST_STALE,
    ),
    "signed by a key that names itself in the list": (
        lambda: _resigned(
            lambda d: d["participants"][-1]["keys"].append(
                {
                    "id": "did:web:pilot.example:pilot-gov#key-9",
                    "type": "Multikey",
                    "publicKeyMultibase": encode_multikey(key_from_seed(b"rogue").public_key()),
                    "purposes": ["assertion"],
                    "validFrom": "2026-01-01T00:00:00Z",
                    "validUntil": "2037-01-01T00:00:00Z",
                }
            ),
            key=key_from_seed(b"rogue"),
            vm="did:web:pilot.example:pilot-gov#key-9",
        ),
        {},
        Code.TRUST_LIST_INVALID,
    ),
}


@pytest.mark.parametrize("name", sorted(LIST_CASES))
def test_trust_list_refused(name: str) -> None:
    build, kwargs, code = LIST_CASES[name]
    with pytest.raises(VerificationError) as caught:
        verify_trust_list(build(), SANDBOX.anchor, **kwargs)
    assert caught.value.code == code


def test_newer_sequence_accepted_and_same_sequence_reloads() -> None:
    newer = _resigned(_bump)
    assert verify_trust_list(newer, SANDBOX.anchor, min_sequence=1).sequence == 2
    assert verify_trust_list(SANDBOX.trust_list, SANDBOX.anchor, min_sequence=1).sequence == 1


def test_anchor_rotation_announced_by_the_old_key() -> None:
    new_key = key_from_seed(b"pilot-gov key-2")
    new_vm = "did:web:pilot.example:pilot-gov#key-2"

    def announce(document: dict[str, Any]) -> None:
        _bump(document, 2)
        gov = next(p for p in document["participants"] if p["id"] == "pilot-gov")
        gov["keys"].append(
            {
                "id": new_vm,
                "type": "Multikey",
                "publicKeyMultibase": encode_multikey(new_key.public_key()),
                "purposes": ["assertion"],
                "validFrom": "2026-01-01T00:00:00Z",
                "validUntil": "2037-01-01T00:00:00Z",
            }
        )

    announced = verify_trust_list(_resigned(announce), SANDBOX.anchor)
    by_new_key = _resigned(lambda d: (announce(d), _bump(d, 3)), key=new_key, vm=new_vm)
    with pytest.raises(VerificationError):
        verify_trust_list(by_new_key, SANDBOX.anchor)
    accepted = verify_trust_list(by_new_key, SANDBOX.anchor, extra_anchor_keys=announced.announced_anchor_keys())
    assert accepted.sequence == 3


KEY_CASES = {
    "unknown key id": ("did:web:pilot.example:ru-exp-01#key-7", "assertion", NOW, Code.ISSUER_UNKNOWN),
    "before validFrom": (VM1, "assertion", datetime(2025, 12, 31, tzinfo=UTC), Code.KEY_NOT_VALID_AT_RECEIPT),
    "after validUntil": (VM1, "assertion", datetime(2037, 1, 2, tzinfo=UTC), Code.KEY_NOT_VALID_AT_RECEIPT),
    "purpose not published": (
        "did:web:pilot.example:cn-port-01#key-2",
        "assertion",
        NOW,
        Code.KEY_NOT_VALID_AT_RECEIPT,
    ),
    "at the revocation instant": (
        "did:web:pilot.example:ru-exp-02#key-0",
        "assertion",
        REVOKED_AT,
        Code.KEY_REVOKED,
    ),
    "after revocation": ("did:web:pilot.example:ru-exp-02#key-0", "authentication", NOW, Code.KEY_REVOKED),
    "expired key": ("did:web:pilot.example:cert-02#key-0", "assertion", NOW, Code.KEY_NOT_VALID_AT_RECEIPT),
}


@pytest.mark.parametrize("name", sorted(KEY_CASES))
def test_key_refused(name: str) -> None:
    vm, purpose, at, code = KEY_CASES[name]
    with pytest.raises(VerificationError) as caught:
        REGISTRY.resolve_key(vm, purpose, at)
    assert caught.value.code == code


def test_revoked_key_still_valid_just_before_revocation() -> None:
    key = REGISTRY.resolve_key("did:web:pilot.example:ru-exp-02#key-0", "assertion", REVOKED_AT - timedelta(seconds=1))
    assert key.participant_id == "ru-exp-02"


def test_registry_lookups() -> None:
    assert isinstance(REGISTRY, TrustRegistry)
    assert REGISTRY.resolve_key(VM1, "authentication", NOW).role == "exporter"
    assert [k.verification_method for k in REGISTRY.keys_of("cn-port-01", "log")] == [
        "did:web:pilot.example:cn-port-01#key-2"
    ]
    assert REGISTRY.policy("cn-port-01") is not None and REGISTRY.policy("nowhere") is None
    assert len(REGISTRY.establishments) == 6


def test_lookups_return_the_validated_models() -> None:
    participant = REGISTRY.participant("ru-exp-01")
    assert isinstance(participant, Participant) and participant.role == "exporter"
    assert REGISTRY.participant_by_did(participant.did) == participant
    assert REGISTRY.participant("nobody") is None and REGISTRY.participant_by_did("did:web:pilot.example:x") is None
    policy = REGISTRY.policy("cn-port-01")
    assert isinstance(policy, PortPolicy) and policy.inspection.samplingRate == 0.0
    assert all(isinstance(e, Establishment) for e in REGISTRY.establishments)
    # The registry keeps the list as signed for re-serialising it.
    assert REGISTRY.document == SANDBOX.trust_list


#: A policy member misspelt, or a member of a wrong type, in an otherwise well-signed list.
POLICY_TYPOS = {
    "misspelt policy member": lambda p: p.__setitem__("permitedHsCodes", p.pop("permittedHsCodes")),
    "misspelt inspection member": lambda p: p["inspection"].__setitem__(
        "holdHSCodes", p["inspection"].pop("holdHsCodes")
    ),
    "unknown policy member": lambda p: p.__setitem__("maxLots", 3),
    "missing policy member": lambda p: p.pop("permittedDataCategories"),
    "unknown data category": lambda p: p["permittedDataCategories"].append("biometric"),
}


@pytest.mark.parametrize("name", sorted(POLICY_TYPOS))
def test_a_misspelt_policy_is_refused_when_the_list_is_loaded(name: str) -> None:
    document = _resigned(lambda d: POLICY_TYPOS[name](d["policies"]["cn-port-01"]))
    with pytest.raises(VerificationError) as caught:
        verify_trust_list(document, SANDBOX.anchor)
    assert caught.value.code == Code.TRUST_LIST_INVALID
    with pytest.raises(VerificationError):
        TrustRegistry.from_document(document)
