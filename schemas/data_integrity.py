"""W3C Data Integrity embedded proofs with the ``eddsa-jcs-2022`` cryptosuite: sign, read, verify.

Implements vc-di-eddsa v1.0 (W3C Recommendation, 2025) §3.3 "eddsa-jcs-2022":

* proof configuration (§3.3.5): the proof options without ``proofValue``; when the document has an
  ``@context`` it is copied into the proof configuration;
* transformation (§3.3.4): RFC 8785 (JCS) of the document without its ``proof``;
* hashing (§3.3.6): ``SHA-256(JCS(proof configuration)) || SHA-256(JCS(document))``, 64 bytes;
* proof serialization (§3.3.7): Ed25519 (RFC 8032) over those 64 bytes, ``proofValue`` = ``z`` +
  base58btc(signature).

:func:`read_proof` checks shape only; :func:`verify_data_integrity` checks the signature. The bytes
that are signed come from one function, :func:`_hash_data`, used by signer and verifier alike.
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.errors import CanonicalizationError, KeyFormatError, VerificationError
from schemas.multikey import decode_multibase_base58btc, encode_multibase_base58btc

__all__ = [
    "CRYPTOSUITE",
    "PROOF_TYPE",
    "DataIntegrityProof",
    "read_proof",
    "sign_data_integrity",
    "verify_data_integrity",
]

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
_SIGNATURE_LENGTH = 64
# XML Schema 1.1 dateTimeStamp (vc-data-integrity §2.1 "created"); a time zone is required.
_DATETIME = re.compile(r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


@dataclass(frozen=True)
class DataIntegrityProof:
    """A well-formed ``eddsa-jcs-2022`` proof, as read from a document (signature not yet checked)."""

    type: str
    cryptosuite: str
    verification_method: str
    proof_purpose: str
    created: str | None
    proof_value: str
    raw: dict[str, Any]


def _invalid(path: str, message: str) -> VerificationError:
    return VerificationError.single(Code.PROOF_INVALID, path, message)


def _context_list(context: Any) -> list[Any]:
    return context if isinstance(context, list) else [context]


def _hash_data(unsecured_document: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
    """vc-di-eddsa §3.3.6: SHA-256 of the canonical proof configuration, then of the document."""
    try:
        config_hash = hashlib.sha256(canonicalize(dict(proof_config))).digest()
        document_hash = hashlib.sha256(canonicalize(dict(unsecured_document))).digest()
    except CanonicalizationError as exc:
        raise VerificationError.single(
            Code.SCHEMA_INVALID, "", f"document cannot be canonicalized (RFC 8785): {type(exc).__name__}"
        ) from exc
    return config_hash + document_hash


def sign_data_integrity(
    document: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    *,
    created: str | None = None,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-jcs-2022`` proof (vc-di-eddsa §3.3.1).

    ``created`` is an XML Schema dateTimeStamp such as ``2026-01-01T00:00:00Z`` (omitted when None).
    An existing ``proof`` member is replaced, not chained.
    """
    if created is not None and _DATETIME.fullmatch(created) is None:
        raise VerificationError.single(
            Code.SCHEMA_INVALID, "/proof/created", f"not an XML Schema dateTimeStamp: {created!r}"
        )
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    proof_config: dict[str, Any] = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE}
    if created is not None:
        proof_config["created"] = created
    proof_config["verificationMethod"] = verification_method
    proof_config["proofPurpose"] = proof_purpose
    if "@context" in unsecured:
        # §3.3.5 step 5: the proof configuration carries the document's @context.
        proof_config["@context"] = copy.deepcopy(unsecured["@context"])
    signature = private_key.sign(_hash_data(unsecured, proof_config))
    return {**unsecured, "proof": {**proof_config, "proofValue": encode_multibase_base58btc(signature)}}


def _required_string(proof: Mapping[str, Any], name: str) -> str:
    value = proof.get(name)
    if not isinstance(value, str) or not value:
        raise _invalid(f"/proof/{name}", f"proof {name} is missing or not a non-empty string")
    return value


def read_proof(document: Mapping[str, Any]) -> DataIntegrityProof:
    """The single ``eddsa-jcs-2022`` proof of ``document``, shape-checked; no cryptography."""
    if not isinstance(document, Mapping):
        raise VerificationError.single(Code.SCHEMA_INVALID, "", "a secured document must be a JSON object")
    proof: Any = document.get("proof")
    if proof is None or proof == []:
        raise VerificationError.single(Code.PROOF_MISSING, "/proof", "the document has no proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            raise _invalid("/proof", f"expected one proof, found a set of {len(proof)}")
        proof = proof[0]
    if not isinstance(proof, Mapping):
        raise _invalid("/proof", "proof must be a JSON object")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise VerificationError.single(
            Code.CRYPTOSUITE_UNSUPPORTED,
            "/proof/cryptosuite",
            f"unsupported proof type or cryptosuite; only {PROOF_TYPE} with {CRYPTOSUITE} is accepted",
        )
    verification_method = _required_string(proof, "verificationMethod")
    proof_purpose = _required_string(proof, "proofPurpose")
    proof_value = _required_string(proof, "proofValue")
    try:
        signature = decode_multibase_base58btc(proof_value)
    except KeyFormatError as exc:
        raise _invalid("/proof/proofValue", "proofValue is not multibase base58btc") from exc
    if len(signature) != _SIGNATURE_LENGTH:
        raise _invalid("/proof/proofValue", f"signature is {len(signature)} bytes, expected 64")
    created = proof.get("created")
    if created is not None and (not isinstance(created, str) or _DATETIME.fullmatch(created) is None):
        raise _invalid("/proof/created", "created is not an XML Schema dateTimeStamp")
    context = proof.get("@context")
    if context is not None and not isinstance(context, str | list | dict):
        raise _invalid("/proof/@context", "proof @context must be a string, an object or an array")
    return DataIntegrityProof(
        type=PROOF_TYPE,
        cryptosuite=CRYPTOSUITE,
        verification_method=verification_method,
        proof_purpose=proof_purpose,
        created=created,
        proof_value=proof_value,
        raw=dict(proof),
    )


def verify_data_integrity(document: Mapping[str, Any], public_key: Ed25519PublicKey) -> DataIntegrityProof:
    """Check the ``eddsa-jcs-2022`` proof of ``document`` with ``public_key`` (vc-di-eddsa §3.3.2)."""
    proof = read_proof(document)
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    proof_options = {key: value for key, value in proof.raw.items() if key != "proofValue"}
    if "@context" in proof_options:
        # §3.3.2 step 4: the document's @context must start with the proof's, in the same order;
        # the document is then hashed with the proof's @context.
        expected = _context_list(proof_options["@context"])
        actual = _context_list(unsecured.get("@context"))
        if actual[: len(expected)] != expected:
            raise _invalid("/proof/@context", "the document's @context does not start with the proof's")
        unsecured["@context"] = proof_options["@context"]
    proof_config = dict(proof_options)
    if "@context" in unsecured:
        # §3.3.5 step 5, as when signing: a proof made without the document's @context fails here.
        proof_config["@context"] = unsecured["@context"]
    signature = decode_multibase_base58btc(proof.proof_value)
    try:
        public_key.verify(signature, _hash_data(unsecured, proof_config))
    except InvalidSignature as exc:
        raise _invalid("/proof/proofValue", "the eddsa-jcs-2022 signature does not verify") from exc
    return proof
