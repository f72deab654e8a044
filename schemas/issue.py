"""Issuing records: wrap a credential subject in a W3C VC 2.0 envelope and secure it.

The single place where the pilot's records are signed, by exporters, certifiers, ``ru-vet``, ports and
the vector generator alike (STYLE habit 5). Securing is ``data-integrity`` (an embedded
``eddsa-jcs-2022`` proof, the default) or ``jose`` (a VC-JOSE ``EnvelopedVerifiableCredential``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.data_integrity import sign_data_integrity
from schemas.digest import credential_digest
from schemas.jose import sign_enveloped
from schemas.models.credential import UNTP_CONTEXTS, record_contexts, record_types
from schemas.time import format_time

Securing = Literal["data-integrity", "jose"]


def unsigned_credential(
    record_type: str,
    subject: Mapping[str, Any] | list[Any],
    *,
    credential_id: str,
    issuer_did: str,
    issuer_name: str,
    valid_from: datetime,
    valid_until: datetime | None = None,
    credential_status: Sequence[Mapping[str, str]] = (),
) -> dict[str, Any]:
    """The VC 2.0 envelope around ``subject``, without a proof (UNTP's envelope for UNTP types).

    ``credential_status``: the credential's Bitstring Status List entries (``schemas.status_list``).
    """
    issuer: dict[str, Any] = {"type": ["CredentialIssuer"]} if record_type in UNTP_CONTEXTS else {}
    issuer |= {"id": issuer_did, "name": issuer_name}
    credential: dict[str, Any] = {
        "@context": record_contexts(record_type),
        "id": credential_id,
        "type": record_types(record_type),
        "issuer": issuer,
        "validFrom": format_time(valid_from),
    }
    if valid_until is not None:
        credential["validUntil"] = format_time(valid_until)
    if credential_status:
        credential["credentialStatus"] = [dict(entry) for entry in credential_status]
    credential["credentialSubject"] = list(subject) if isinstance(subject, list) else dict(subject)
    return credential


def secure(
    credential: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    *,
    securing: Securing = "data-integrity",
    created: datetime | None = None,
) -> dict[str, Any]:
    """``credential`` signed in the chosen securing form."""
    if securing == "jose":
        return sign_enveloped(credential, private_key, verification_method)
    return sign_data_integrity(
        credential, private_key, verification_method, created=format_time(created) if created else None
    )


def credential_reference(credential: Mapping[str, Any], payload: Mapping[str, Any] | None = None) -> dict[str, str]:
    """How a manifest pins a credential: ``{id, type, digest}`` (the payload is the decoded one for JOSE)."""
    body = payload if payload is not None else credential
    types = [t for t in body.get("type", []) if t != "VerifiableCredential"]  # the record type, either order
    return {"id": str(body["id"]), "type": types[0] if types else "", "digest": credential_digest(credential)}
