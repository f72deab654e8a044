"""W3C Bitstring Status List v1.0: a credential's status entries and the issuer's status list credential.

docs/design.md §12. Every credential the pilot issues may carry ``credentialStatus``: one
``BitstringStatusListEntry`` per purpose (``revocation``, and ``suspension`` for conformity credentials
and veterinary attestations), each naming the issuer's status list credential and the credential's index
in it. The status list credential (``BitstringStatusListCredential``) is signed by the same issuer with a
key of purpose ``assertion``; its subject (``BitstringStatusList``) holds the GZIP-compressed,
multibase-base64url bitstring (``encodedList``), one bit per index, and a ``ttl`` in milliseconds. The
pilot adds ``sequence``: a version number that rises with every list the issuer publishes, so that a
registry refuses an older one and a receipt can name the version it relied on.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from schemas._internal.scalars import Uri
from schemas.models.base import DataCategory, PilotModel, cat_field, check_type, field_error
from schemas.models.credential import CredentialBase, StatusListEntry, StatusPurpose

__all__ = [
    "BitstringStatusList",
    "BitstringStatusListCredential",
    "StatusListEntry",
    "StatusPurpose",
]


class BitstringStatusList(PilotModel):
    """The subject of a status list credential: the compressed bitstring of one purpose."""

    id: Uri = cat_field(DataCategory.PUBLIC)
    type: Literal["BitstringStatusList"] = cat_field(DataCategory.PUBLIC)
    statusPurpose: StatusPurpose = cat_field(DataCategory.PUBLIC)
    encodedList: str = cat_field(DataCategory.PUBLIC, min_length=2, max_length=2_000_000, pattern=r"^u[A-Za-z0-9_-]+$")
    ttl: int = cat_field(DataCategory.PUBLIC, ge=1000, le=31_536_000_000)


class BitstringStatusListCredential(CredentialBase):
    """An issuer's signed status list of one purpose, version ``sequence``."""

    record_type = "BitstringStatusListCredential"
    sequence: int = cat_field(DataCategory.PUBLIC, ge=1, le=2**53 - 1)
    credentialSubject: BitstringStatusList = cat_field(DataCategory.PUBLIC)

    @model_validator(mode="after")
    def _check_list(self) -> BitstringStatusListCredential:
        check_type(self.type, ["VerifiableCredential", "BitstringStatusListCredential"])
        if self.validUntil is None:
            raise field_error("validUntil", "a status list credential must say until when it may be relied on")
        if not self.credentialSubject.id.startswith(self.id):
            raise field_error("credentialSubject/id", "the list's id must be the credential's id or under it")
        return self
