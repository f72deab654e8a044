"""The ``sha-256:<lowercase hex>`` digests that pin credentials, evidence and submissions (docs/design.md §4).

A digest is taken over the RFC 8785 bytes of an embedded-proof credential (proof included), or over
the ASCII of the compact JWS of an enveloped one (VC-JOSE-COSE §3.1.1, the ``data:`` URL form).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.errors import VerificationError

__all__ = [
    "DIGEST_PREFIX",
    "canonical_digest",
    "credential_digest",
    "credential_digest_and_bytes",
    "parse_digest",
    "sha256_digest",
]

DIGEST_PREFIX = "sha-256:"
_DIGEST = re.compile(r"sha-256:[0-9a-f]{64}")
_JWS_DATA_URL = "data:application/vc+jwt,"


def sha256_digest(data: bytes) -> str:
    """``"sha-256:" + lowercase hex`` of SHA-256 over ``data``."""
    return DIGEST_PREFIX + hashlib.sha256(data).hexdigest()


def parse_digest(text: str) -> bytes:
    """The 32 digest bytes of a ``sha-256:<64 lowercase hex>`` string; SCHEMA_INVALID otherwise."""
    if not isinstance(text, str) or _DIGEST.fullmatch(text) is None:
        raise VerificationError.single(
            Code.SCHEMA_INVALID, "", f"not a digest of the form sha-256:<64 lowercase hex>: {text!r:.80}"
        )
    return bytes.fromhex(text[len(DIGEST_PREFIX) :])


def canonical_digest(value: Any) -> str:
    """Digest over the RFC 8785 canonical bytes of ``value``."""
    return sha256_digest(canonicalize(value))


def credential_digest(credential: Mapping[str, Any]) -> str:
    """Digest of a credential: over the JWS ASCII when enveloped, else over its JCS bytes with proof."""
    return credential_digest_and_bytes(credential)[0]


def credential_digest_and_bytes(credential: Mapping[str, Any]) -> tuple[str, bytes | None]:
    """``credential_digest`` and the RFC 8785 bytes it was taken over (None for an enveloped credential).

    A verifier reuses the bytes for the signature (``verify_data_integrity``'s ``canonical``), so that a
    credential is canonicalized once.
    """
    ident = credential.get("id")
    if (
        credential.get("type") == "EnvelopedVerifiableCredential"
        and isinstance(ident, str)
        and ident.startswith(_JWS_DATA_URL)
    ):
        jws = ident[len(_JWS_DATA_URL) :]
        try:
            return sha256_digest(jws.encode("ascii")), None
        except UnicodeEncodeError as exc:
            raise VerificationError.single(
                Code.SCHEMA_INVALID, "/id", "an enveloped credential's JWS must be ASCII"
            ) from exc
    content = canonicalize(dict(credential))
    return sha256_digest(content), content
