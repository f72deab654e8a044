"""eddsa-jcs-2022 Data Integrity proofs: the W3C vector, tampering, and malformed proofs.

The known answers are w3c/vc-di-eddsa ``TestVectors/eddsa-jcs-2022`` (SOURCES.md in the reference
directory), read from ``<reference dir>/eddsa/`` at test time, never copied. The upstream key pair is not
used: the public key is the vector's own ``did:key`` verificationMethod. Every other test signs a local
credential with a local key, so it runs without the reference directory.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.data_integrity import (
    DataIntegrityProof,
    read_proof,
    sign_data_integrity,
    verify_data_integrity,
)
from schemas.errors import VerificationError
from schemas.keys import key_from_seed
from schemas.multikey import decode_multibase_base58btc, decode_multikey, encode_multibase_base58btc

# A local credential and key for everything that is not a known answer.
KEY = key_from_seed(b"data integrity tests")
PUBLIC = KEY.public_key()
VERIFICATION_METHOD = "did:web:farm.example#key-1"
UNSIGNED: dict[str, Any] = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://pilot.example/ns/agri-export/v1"],
    "id": "urn:uuid:0b0e3c52-5a7b-4a57-9d0c-6f1f2c1d2e3f",
    "type": ["VerifiableCredential", "ExampleCredential"],  # proof mechanics only: no record type
    "name": "Farm record",
    "description": "A local credential for the Data Integrity tests.",
    "issuer": "did:web:farm.example",
    "validFrom": "2026-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:web:farm.example:farm-1", "name": "Durian orchard", "herdSize": 12},
}
CREATED = "2026-01-02T03:04:05Z"
SIGNED = sign_data_integrity(UNSIGNED, KEY, VERIFICATION_METHOD, created=CREATED)


def _upstream_text(path: Path) -> bytes:
    """An upstream text file's bytes, without a single trailing newline if the file has one.

    The canonical forms (RFC 8785 output) never end with a newline; a repository may add one.
    """
    data = path.read_bytes()
    return data[:-1] if data.endswith(b"\n") else data


@pytest.fixture(scope="module")
def w3c(reference_dir: Path) -> dict[str, Any]:
    """The eddsa-jcs-2022 vector: parsed JSON files, canonical texts, and the did:key public key."""
    directory = reference_dir / "eddsa"
    signed = json.loads((directory / "signedJCS.json").read_bytes())
    return {
        "dir": directory,
        "unsigned": json.loads((directory / "unsigned.json").read_bytes()),
        "proof_config": json.loads((directory / "proofConfigJCS.json").read_bytes()),
        "signed": signed,
        "canon_doc": _upstream_text(directory / "canonDocJCS.txt"),
        "canon_proof": _upstream_text(directory / "proofCanonJCS.txt"),
        "public": did_key_public_key(signed["proof"]["verificationMethod"]),
    }


def did_key_public_key(verification_method: str) -> Ed25519PublicKey:
    """The Ed25519 key of a ``did:key:<multikey>#<multikey>`` verificationMethod (did:key v0.7 §3.1)."""
    did, _, fragment = verification_method.partition("#")
    assert did.startswith("did:key:z6Mk"), verification_method
    assert fragment == did.removeprefix("did:key:"), "the fragment of a did:key method is its own multikey"
    return decode_multikey(fragment)


@pytest.mark.reference
def test_w3c_canonical_document(w3c: dict[str, Any]) -> None:
    assert canonicalize(w3c["unsigned"]) == w3c["canon_doc"]
    unsecured = {key: value for key, value in w3c["signed"].items() if key != "proof"}
    assert canonicalize(unsecured) == w3c["canon_doc"]


@pytest.mark.reference
def test_w3c_canonical_proof_configuration(w3c: dict[str, Any]) -> None:
    assert canonicalize(w3c["proof_config"]) == w3c["canon_proof"]
    config = {key: value for key, value in w3c["signed"]["proof"].items() if key != "proofValue"}
    assert config == w3c["proof_config"]


@pytest.mark.reference
def test_w3c_signed_credential_verifies(w3c: dict[str, Any]) -> None:
    signed = w3c["signed"]
    proof = verify_data_integrity(signed, w3c["public"])
    assert proof == DataIntegrityProof(
        type="DataIntegrityProof",
        cryptosuite="eddsa-jcs-2022",
        verification_method=w3c["proof_config"]["verificationMethod"],
        proof_purpose="assertionMethod",
        created="2023-02-24T23:36:38Z",
        proof_value=signed["proof"]["proofValue"],
        raw=signed["proof"],
    )


@pytest.mark.reference
def test_w3c_signature_is_over_the_published_canonical_forms(w3c: dict[str, Any]) -> None:
    # vc-di-eddsa §3.3.6: hashData = SHA-256(canonical proof config) || SHA-256(canonical document).
    hash_data = hashlib.sha256(w3c["canon_proof"]).digest() + hashlib.sha256(w3c["canon_doc"]).digest()
    signature = read_proof(w3c["signed"]).proof_value
    w3c["public"].verify(decode_multibase_base58btc(signature), hash_data)  # raises if not


@pytest.mark.reference
def test_our_signer_builds_the_published_proof_configuration(w3c: dict[str, Any]) -> None:
    config = w3c["proof_config"]
    signed = sign_data_integrity(
        w3c["unsigned"],
        KEY,
        config["verificationMethod"],
        created=config["created"],
        proof_purpose=config["proofPurpose"],
    )
    assert {key: value for key, value in signed["proof"].items() if key != "proofValue"} == config
    assert canonicalize({key: value for key, value in signed.items() if key != "proof"}) == w3c["canon_doc"]
    assert "proof" not in w3c["unsigned"]  # the input is not modified


@pytest.mark.reference
def test_w3c_one_byte_change_is_proof_invalid(w3c: dict[str, Any]) -> None:
    raw = (w3c["dir"] / "signedJCS.json").read_bytes()
    position = raw.index(b"The School of Examples")
    changed = json.loads(raw[:position] + b"t" + raw[position + 1 :])
    with pytest.raises(VerificationError) as info:
        verify_data_integrity(changed, w3c["public"])
    assert info.value.code is Code.PROOF_INVALID
    assert info.value.problems[0].path == "/proof/proofValue"


@pytest.mark.reference
def test_w3c_vector_any_single_character_change_is_proof_invalid(w3c: dict[str, Any]) -> None:
    cases = _each_single_character_change(w3c["signed"])
    assert len(cases) > 300
    for name, changed in cases:
        with pytest.raises(VerificationError) as info:
            verify_data_integrity(changed, w3c["public"])
        assert info.value.code is Code.PROOF_INVALID, name


@pytest.mark.reference
def test_w3c_proof_without_context_verifies_against_the_documents_context(w3c: dict[str, Any]) -> None:
    # §3.3.5 step 5 applies on verification too: dropping the copied @context changes nothing.
    proof = {key: value for key, value in w3c["signed"]["proof"].items() if key != "@context"}
    verify_data_integrity({**w3c["unsigned"], "proof": proof}, w3c["public"])


@pytest.mark.reference
def test_w3c_wrong_key_is_proof_invalid(w3c: dict[str, Any]) -> None:
    with pytest.raises(VerificationError) as info:
        verify_data_integrity(w3c["signed"], PUBLIC)
    assert info.value.code is Code.PROOF_INVALID


def test_local_signed_credential_verifies() -> None:
    proof = verify_data_integrity(SIGNED, PUBLIC)
    assert proof.verification_method == VERIFICATION_METHOD and proof.created == CREATED
    assert SIGNED["proof"]["@context"] == UNSIGNED["@context"]
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
    assert len(cases) > 200
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


def test_signature_over_a_proof_configuration_without_context_does_not_verify() -> None:
    # The 2023 drafts signed a proof configuration without the document's @context; the Recommendation's
    # §3.3.5 adds it, so such a signature must not verify.
    draft_config = {key: value for key, value in SIGNED["proof"].items() if key not in ("proofValue", "@context")}
    hash_data = hashlib.sha256(canonicalize(draft_config)).digest() + hashlib.sha256(canonicalize(UNSIGNED)).digest()
    draft_proof = {**draft_config, "proofValue": encode_multibase_base58btc(KEY.sign(hash_data))}
    with pytest.raises(VerificationError) as info:
        verify_data_integrity({**UNSIGNED, "proof": draft_proof}, PUBLIC)
    assert info.value.code is Code.PROOF_INVALID


def test_proof_without_context_verifies_against_the_documents_context() -> None:
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
