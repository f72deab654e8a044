"""The cryptographic floor: the Ed25519 work of the same submissions, timed alone, as submissions per second.

For each submission: one verification per Data Integrity proof the intake checks (the manifest's and each
credential's: four for the benchmark's submissions), and the two signatures a port makes (the receipt's
``eddsa-jcs-2022`` proof over 64 bytes, and the checkpoint note). The bytes each verification checks are
made before the clock starts, as vc-di-eddsa §3.3.6 defines them (``SHA-256(JCS(proof configuration)) ||
SHA-256(JCS(document))``), and each is verified once then, so a floor over the wrong bytes cannot be measured.
Keys are the trust list's (by verification method), parsed before too. The clock runs over the calls into
``cryptography`` only; the figure is the best of ``rounds`` passes (a floor: the least disturbed pass). The
request signature of an HTTP submission (RFC 9421, one more verification) is not in the floor: the in-process
path has none.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pilot.bench.figure import Figure
from schemas.canonical import canonicalize
from schemas.identifiers import log_origin
from schemas.multikey import decode_multibase_base58btc
from schemas.phrase import Phrase
from schemas.signed_note import Checkpoint
from schemas.trust import TrustRegistry

__all__ = ["CryptoWork", "FloorMismatchError", "crypto_work", "measure_floor"]

#: The two signatures of one submission: the receipt's proof (64 bytes signed) and the checkpoint note.
SIGNATURES_PER_SUBMISSION = 2


class FloorMismatchError(RuntimeError):
    """A proof does not verify over the bytes the floor made for it: the floor would time the wrong work."""


@dataclass(frozen=True)
class Verification:
    """One Ed25519 verification: the key, the signature and the exact bytes signed."""

    public_key: Ed25519PublicKey
    signature: bytes
    message: bytes


@dataclass(frozen=True)
class CryptoWork:
    """The cryptography of one submission: its verifications and the messages the port signs for it."""

    verifications: tuple[Verification, ...]
    signed: tuple[bytes, ...]


def _signed_documents(submission: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The documents with a proof the intake verifies: the manifest, then each credential (clear ones)."""
    documents = [submission["manifest"], *submission.get("credentials", [])]
    return [d for d in documents if isinstance(d, Mapping) and isinstance(d.get("proof"), Mapping)]


def _proof_message(document: Mapping[str, Any]) -> bytes:
    """vc-di-eddsa §3.3.6: the 64 bytes an ``eddsa-jcs-2022`` proof signs (the proof carries the @context)."""
    proof = document["proof"]
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {key: value for key, value in proof.items() if key != "proofValue"}
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    return hashlib.sha256(canonicalize(config)).digest() + hashlib.sha256(canonicalize(unsecured)).digest()


def crypto_work(submission: Mapping[str, Any], trust: TrustRegistry, index: int) -> CryptoWork:
    """The cryptography of ``submission`` (its ``index`` in the run sizes the checkpoint); each proof checked."""
    verifications = []
    for document in _signed_documents(submission):
        proof = document["proof"]
        key = trust.keys[proof["verificationMethod"]].public_key
        verification = Verification(key, decode_multibase_base58btc(proof["proofValue"]), _proof_message(document))
        try:
            verification.public_key.verify(verification.signature, verification.message)
        except InvalidSignature as exc:
            raise FloorMismatchError(f"the proof of {document.get('id')!r} does not verify") from exc
        verifications.append(verification)
    digest = hashlib.sha256(canonicalize(dict(submission))).digest()
    receipt = hashlib.sha256(b"receipt proof configuration").digest() + digest
    checkpoint = Checkpoint(log_origin("cn-port-01"), index + 1, digest).body().encode()
    return CryptoWork(tuple(verifications), (receipt, checkpoint))


def _one_pass(works: Sequence[CryptoWork], key: Ed25519PrivateKey) -> float:
    started = time.perf_counter()
    for work in works:
        for verification in work.verifications:
            verification.public_key.verify(verification.signature, verification.message)
        for message in work.signed:
            key.sign(message)
    return time.perf_counter() - started


def measure_floor(submissions: Sequence[Mapping[str, Any]], trust: TrustRegistry, *, rounds: int = 3) -> Figure:
    """The floor for ``submissions``: submissions per second doing their cryptography only (best of ``rounds``)."""
    works = [crypto_work(s, trust, n) for n, s in enumerate(submissions)]
    key = Ed25519PrivateKey.generate()  # a port key: signing costs the same with any Ed25519 key
    elapsed = min(_one_pass(works, key) for _ in range(max(1, rounds)))
    verifications = sum(len(w.verifications) for w in works)
    rate = len(works) / elapsed
    return Figure(
        "floor",
        Phrase("cryptographic floor"),
        rate=rate,
        baseline="",
        note=Phrase(
            "{verifications:.3g} verifications and {signatures} signatures per submission, {ms:.3f} ms each",
            verifications=verifications / len(works),
            signatures=SIGNATURES_PER_SUBMISSION,
            ms=1000 / rate,
        ),
        extra={
            "submissions": len(works),
            "verifications": verifications,
            "signatures": SIGNATURES_PER_SUBMISSION * len(works),
            "ms_per_submission": 1000 / rate,
        },
    )
