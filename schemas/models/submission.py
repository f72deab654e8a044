"""The submission an exporter posts to a port: a manifest and its credentials (outer shape only).

The credentials stay raw dicts here: the verifier validates each against its own record model, so one
bad credential yields a precise path such as ``/credentials/2/credentialSubject/hsCode``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from schemas._internal.scalars import SubmissionId
from schemas.models.base import DataCategory, PilotModel, cat_field

__all__ = ["MAX_CREDENTIALS", "EnvelopedCredentialRef", "Submission"]

#: At most this many credentials travel with one submission.
MAX_CREDENTIALS = 200

_CREDENTIAL_OBJECT = {
    "type": "object",
    "description": "A credential: an embedded-proof VC, or an EnvelopedVerifiableCredential (VC-JOSE-COSE)",
}


class EnvelopedCredentialRef(PilotModel):
    """A VC-JOSE-COSE enveloped credential as it travels inside JSON: the compact JWS in a data: URL."""

    context: Literal["https://www.w3.org/ns/credentials/v2"] = cat_field(DataCategory.PUBLIC, alias="@context")
    type: Literal["EnvelopedVerifiableCredential"] = cat_field(DataCategory.PUBLIC)
    id: str = cat_field(
        DataCategory.PUBLIC,
        pattern=r"^data:application/vc\+jwt,[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$",
    )


class Submission(PilotModel):
    """One submission: its id, the manifest credential, and the credentials the manifest references."""

    submissionId: SubmissionId = cat_field(DataCategory.PUBLIC)
    manifest: dict[str, Any] = cat_field(DataCategory.PUBLIC, json_schema_extra=dict(_CREDENTIAL_OBJECT))
    credentials: Annotated[
        list[Annotated[dict[str, Any], Field(json_schema_extra=dict(_CREDENTIAL_OBJECT))]],
        Field(max_length=MAX_CREDENTIALS),
    ] = cat_field(DataCategory.PUBLIC)
