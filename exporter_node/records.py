"""Building and signing the exporter's own records: facility records, traceability events, manifests.

Subjects are built by ``schemas.records`` (UNTP facility record, UNTP/EPCIS 2.0 events, the pilot's
manifest); signing goes through ``schemas.issue.secure``, the one place records are signed, in the
securing form the node is configured for. Credential ids are fresh ``urn:uuid:`` URIs.

Every record gets ``credentialStatus`` entries from ``status`` (docs/design.md §12): the node's
``exporter_node.status_issuer.StatusIssuer``, which allocates the credential's index in the exporter's
generation-1 lists from its database before the record is signed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from exporter_node.identity import NodeIdentity
from schemas.issue import Securing, credential_reference, secure, unsigned_credential
from schemas.jose import credential_payload
from schemas.trust import TrustRegistry

__all__ = ["RecordIssuer", "StatusAllocator", "new_urn", "reference_of"]


def new_urn() -> str:
    """A fresh ``urn:uuid:`` id."""
    return f"urn:uuid:{uuid.uuid4()}"


def reference_of(credential: Mapping[str, Any]) -> dict[str, str]:
    """How a manifest pins ``credential``: ``{id, type, digest}``."""
    return credential_reference(credential, credential_payload(credential))


class StatusAllocator(Protocol):
    """Gives a record about to be signed its ``credentialStatus`` entries, allocating its index."""

    def entries(self, credential_id: str, record_type: str, at: datetime) -> list[dict[str, str]]:
        """The entries of ``credential_id`` (a ``record_type`` issued at ``at``); the same ones if asked again."""
        ...


@dataclass(frozen=True)
class RecordIssuer:
    """Signs records as this exporter, with its newest published assertion key.

    Without ``status`` records carry no ``credentialStatus`` (a record nobody can take back): only
    tools that sign throwaway records leave it out; the node always passes its ``StatusIssuer``.
    """

    identity: NodeIdentity
    securing: Securing = "data-integrity"
    status: StatusAllocator | None = None

    def issue(
        self,
        record_type: str,
        subject: Mapping[str, Any] | list[Any],
        *,
        trust: TrustRegistry,
        at: datetime,
        valid_until: datetime | None = None,
    ) -> dict[str, Any]:
        """A signed ``record_type`` credential about ``subject``, valid from ``at`` (second precision)."""
        at = at.replace(microsecond=0)
        key = self.identity.key_for("assertion", trust, at)
        credential_id = new_urn()
        credential = unsigned_credential(
            record_type,
            subject,
            credential_id=credential_id,
            issuer_did=self.identity.did,
            issuer_name=self.identity.name(trust),
            valid_from=at,
            valid_until=valid_until,
            credential_status=self.status.entries(credential_id, record_type, at) if self.status else (),
        )
        return secure(credential, key.private_key, key.verification_method, securing=self.securing, created=at)
