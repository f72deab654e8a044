"""eddsa-jcs-2022 Data Integrity proofs: the W3C Recommendation's vector, tampering, and malformed proofs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from schemas._data_integrity import (
    DataIntegrityProof,
    read_proof,
    sign_data_integrity,
    verify_data_integrity,
)
from schemas._keys import key_from_seed
from schemas._multikey import decode_multikey, decode_private_multikey
from schemas.codes import Code
from schemas.errors import VerificationError

W3C = Path(__file__).resolve().parent.parent / "data" / "w3c-eddsa-jcs-2022"


def _load(name: str) -> Any:
    return json.loads((W3C / name).read_text())


KEYPAIR = _load("keypair.json")
SECRET = decode_private_multikey(KEYPAIR["secretKeyMultibase"])
PUBLIC = decode_multikey(KEYPAIR["publicKeyMultibase"])
SIGNED = _load("signed.json")
UNSIGNED = _load("unsigned.json")
OPTIONS = _load("proof-options.json")


def test_w3c_signed_credential_verifies() -> None:
    proof = verify_data_integrity(SIGNED, PUBLIC)
    assert proof == DataIntegrityProof(
        type="DataIntegrityProof",
        cryptosuite="eddsa-jcs-2022",
        verification_method=OPTIONS["verificationMethod"],
        proof_purpose="assertionMethod",
        created="2023-02-24T23:36:38Z",
        proof_value=SIGNED["proof"]["proofValue"],
        raw=SIGNED["proof"],
    )


def test_resigning_the_w3c_credential_reproduces_the_published_proof() -> None:
    signed = sign_data_integrity(
        UNSIGNED,
        SECRET,
        OPTIONS["verificationMethod"],
        created=OPTIONS["created"],
        proof_purpose=OPTIONS["proofPurpose"],
    )
    assert signed["proof"]["proofValue"] == SIGNED["proof"]["proofValue"]
    assert signed["proof"] == {**OPTIONS, "proofValue": SIGNED["proof"]["proofValue"]}
    assert signed == SIGNED
    assert "proof" not in UNSIGNED  # the input is not modified


def _each_single_character_change(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every credential-body string with one character altered, one change per copy."""
    cases: list[tuple[str, dict[str, Any]]] = []

    def walk(value: Any, path: list[Any]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key != "proof":
                    walk(item, [*path, key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, [*path, index])
        elif isinstance(value, str):
            for position in range(len(value)):
                changed = copy.deepcopy(document)
                target = changed
                for step in path[:-1]:
                    target = target[step]
                char = value[position]
                target[path[-1]] = value[:position] + ("X" if char != "X" else "Y") + value[position + 1 :]
                cases.append((f"{'/'.join(map(str, path))}[{position}]", changed))

    walk(document, [])
    return cases


def test_changing_any_single_character_of_the_body_is_proof_invalid() -> None:
    cases = _each_single_character_change(SIGNED)
    assert len(cases) > 300
    for name, changed in cases:
        with pytest.raises(VerificationError) as info:
            verify_data_integrity(changed, PUBLIC)
        assert info.value.code is Code.PROOF_INVALID, name


def test_adding_or_removing_a_member_is_proof_invalid() -> None:
    added = {**SIGNED, "extra": 1}
    removed = {key: value for key, value in SIGNED.items() if key != "description"}
    for doc in (added, removed):
        with pytest.raises(VerificationError) as info:
            verify_data_integrity(doc, PUBLIC)
        assert info.value.code is Code.PROOF_INVALID
        assert info.value.problems[0].path == "/proof/proofValue"


def test_wrong_key_is_proof_invalid() -> None:
    with pytest.raises(VerificationError) as info:
        verify_data_integrity(SIGNED, key_from_seed(b"other").public_key())
    assert info.value.code is Code.PROOF_INVALID


def test_member_order_and_whitespace_do_not_matter() -> None:
    reordered = dict(reversed(list(SIGNED.items())))
    reordered["proof"] = dict(reversed(list(SIGNED["proof"].items())))
    verify_data_integrity(reordered, PUBLIC)


def test_sign_and_verify_round_trip_without_context_and_created() -> None:
    key = key_from_seed(b"round trip")
    doc = {"type": ["VerifiableCredential"], "credentialSubject": {"weight": 12.5, "name": "Durian"}}
    signed = sign_data_integrity(doc, key, "did:web:farm.example#key-1")
    assert "created" not in signed["proof"] and "@context" not in signed["proof"]
    proof = verify_data_integrity(signed, key.public_key())
    assert proof.created is None and proof.proof_purpose == "assertionMethod"


def test_context_copied_and_checked() -> None:
    key = key_from_seed(b"context")
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]}
    signed = sign_data_integrity(doc, key, "did:web:x#k", created="2026-01-01T00:00:00Z")
    assert signed["proof"]["@context"] == doc["@context"]
    tampered = {**signed, "@context": ["https://example.org/other"]}
    with pytest.raises(VerificationError) as info:
        verify_data_integrity(tampered, key.public_key())
    assert info.value.problems[0].path == "/proof/@context"


def test_pre_recommendation_draft_vector_does_not_verify() -> None:
    # The 2023 draft of the same vector (w3c/vc-di-eddsa TestVectors/eddsa-jcs-2022, before the proof
    # configuration copied the document's @context) signed this proofValue; the Recommendation's
    # §3.3.5 adds @context to the proof configuration, so that signature no longer verifies.
    draft_proof = {key: value for key, value in SIGNED["proof"].items() if key != "@context"}
    draft_proof["proofValue"] = (
        "z3P6rHMUaWG6e3Ac6xYFht8aEvoVXndgKTtEY8kzWYXzk8dKmAo2GJeZiJw4qoZ2PGp4ugdaHx3oQiLpeFBLDqP2M"
    )
    with pytest.raises(VerificationError) as info:
        verify_data_integrity({**UNSIGNED, "proof": draft_proof}, PUBLIC)
    assert info.value.code is Code.PROOF_INVALID


def test_proof_without_context_verifies_against_the_documents_context() -> None:
    # §3.3.5 step 5 applies on verification too: dropping the copied @context changes nothing.
    proof = {key: value for key, value in SIGNED["proof"].items() if key != "@context"}
    verify_data_integrity({**UNSIGNED, "proof": proof}, PUBLIC)


def test_sign_refuses_a_bad_created() -> None:
    with pytest.raises(VerificationError) as info:
        sign_data_integrity({"a": 1}, key_from_seed(b"c"), "did:x#k", created="2026-01-01")
    assert info.value.code is Code.SCHEMA_INVALID


def _with_proof(proof: Any) -> dict[str, Any]:
    return {**UNSIGNED, "proof": proof}


_GOOD = SIGNED["proof"]

MALFORMED: list[tuple[str, dict[str, Any], Code, str]] = [
    ("no-proof", UNSIGNED, Code.PROOF_MISSING, "/proof"),
    ("null-proof", _with_proof(None), Code.PROOF_MISSING, "/proof"),
    ("empty-proof-set", _with_proof([]), Code.PROOF_MISSING, "/proof"),
    ("two-proofs", _with_proof([_GOOD, _GOOD]), Code.PROOF_INVALID, "/proof"),
    ("proof-is-string", _with_proof("z123"), Code.PROOF_INVALID, "/proof"),
    (
        "other-type",
        _with_proof({**_GOOD, "type": "Ed25519Signature2020"}),
        Code.CRYPTOSUITE_UNSUPPORTED,
        "/proof/cryptosuite",
    ),
    (
        "rdfc-suite",
        _with_proof({**_GOOD, "cryptosuite": "eddsa-rdfc-2022"}),
        Code.CRYPTOSUITE_UNSUPPORTED,
        "/proof/cryptosuite",
    ),
    (
        "ecdsa-suite",
        _with_proof({**_GOOD, "cryptosuite": "ecdsa-jcs-2019"}),
        Code.CRYPTOSUITE_UNSUPPORTED,
        "/proof/cryptosuite",
    ),
    (
        "no-verification-method",
        _with_proof({k: v for k, v in _GOOD.items() if k != "verificationMethod"}),
        Code.PROOF_INVALID,
        "/proof/verificationMethod",
    ),
    (
        "no-proof-purpose",
        _with_proof({k: v for k, v in _GOOD.items() if k != "proofPurpose"}),
        Code.PROOF_INVALID,
        "/proof/proofPurpose",
    ),
    (
        "no-proof-value",
        _with_proof({k: v for k, v in _GOOD.items() if k != "proofValue"}),
        Code.PROOF_INVALID,
        "/proof/proofValue",
    ),
    ("proof-value-not-string", _with_proof({**_GOOD, "proofValue": 12}), Code.PROOF_INVALID, "/proof/proofValue"),
    (
        "proof-value-base64url",
        _with_proof({**_GOOD, "proofValue": "u" + "A" * 86}),
        Code.PROOF_INVALID,
        "/proof/proofValue",
    ),
    (
        "proof-value-bad-alphabet",
        _with_proof({**_GOOD, "proofValue": "z0OIl"}),
        Code.PROOF_INVALID,
        "/proof/proofValue",
    ),
    (
        "proof-value-short",
        _with_proof({**_GOOD, "proofValue": _GOOD["proofValue"][:-5]}),
        Code.PROOF_INVALID,
        "/proof/proofValue",
    ),
    ("created-not-datetime", _with_proof({**_GOOD, "created": "yesterday"}), Code.PROOF_INVALID, "/proof/created"),
    ("context-number", _with_proof({**_GOOD, "@context": 5}), Code.PROOF_INVALID, "/proof/@context"),
]


@pytest.mark.parametrize(("name", "doc", "code", "path"), MALFORMED, ids=[case[0] for case in MALFORMED])
def test_malformed_proofs(name: str, doc: dict[str, Any], code: Code, path: str) -> None:
    for function in (read_proof, lambda d: verify_data_integrity(d, PUBLIC)):
        with pytest.raises(VerificationError) as info:
            function(doc)
        assert info.value.code is code
        assert info.value.problems[0].path == path


def test_single_proof_in_a_list_is_accepted() -> None:
    assert verify_data_integrity({**SIGNED, "proof": [SIGNED["proof"]]}, PUBLIC).proof_value == _GOOD["proofValue"]


def test_non_canonicalizable_document_is_schema_invalid() -> None:
    doc = {**SIGNED, "big": 2**60}
    with pytest.raises(VerificationError) as info:
        verify_data_integrity(doc, PUBLIC)
    assert info.value.code is Code.SCHEMA_INVALID
