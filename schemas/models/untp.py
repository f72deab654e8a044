"""UNTP 0.6.1 building blocks shared by the record types: parties, hash-pinned links, classifications, topics.

Each model is a strict profile of the UNTP core class of the same name: it requires what UNTP requires
(and sometimes more), and allows only members UNTP defines, so whatever passes ours passes UNTP's
JSON Schema. Pilot-specific members live on the record models as extension terms of the pilot context.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, get_args

from pydantic import StringConstraints, model_validator

from schemas._internal.scalars import Did, HsCode, Text, Uri
from schemas.models.base import DataCategory, Opt, PilotModel, cat_field, field_error
from schemas.models.language import Names

__all__ = [
    "AGRI_TOPICS",
    "CONFORMITY_TOPICS",
    "HS_SCHEME_ID",
    "HS_SCHEME_NAME",
    "UNTP_TOPIC_OF",
    "AgriTopic",
    "ConformityTopic",
    "HexDigest",
    "HsClassification",
    "Party",
    "SecureLink",
    "hs_classification",
    "secure_link_digest",
]

ConformityTopic = Literal[
    "environment.energy", "environment.emissions", "environment.water", "environment.waste",
    "environment.deforestation", "environment.biodiversity", "circularity.content", "circularity.design",
    "social.labour", "social.rights", "social.community", "social.safety",
]  # fmt: skip
#: UNTP 0.6.1 ``conformityTopic`` values.
CONFORMITY_TOPICS: tuple[str, ...] = get_args(ConformityTopic)

AgriTopic = Literal["deforestation_free", "antibiotic_use", "animal_welfare", "carbon_footprint"]
#: The pilot's conformity topics (extension term ``agriTopic``): finer than UNTP's list.
AGRI_TOPICS: tuple[str, ...] = get_args(AgriTopic)

#: The UNTP topic each pilot topic is reported under. UNTP 0.6.1 has no topic for antibiotic use or
#: animal welfare: the nearest is named, and the precise one travels in ``agriTopic``.
UNTP_TOPIC_OF: dict[str, str] = {
    "deforestation_free": "environment.deforestation",
    "carbon_footprint": "environment.emissions",
    "antibiotic_use": "social.safety",
    "animal_welfare": "social.rights",
}

HexDigest = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest as 64 lowercase hex digits (UNTP ``SecureLink.hashDigest`` with ``hashMethod`` SHA-256)."""

#: The identifier scheme of HS codes in ``processCategory``: the WCO Harmonized System, 2022 edition.
HS_SCHEME_ID = "https://pilot.example/codes/hs2022/"
HS_SCHEME_NAME = "Harmonized System 2022 (WCO)"


class Party(PilotModel):
    """A party (UNTP ``Party`` as referenced by a facility or an attestation): its DID and name.

    ``names`` (pilot extension): the name in each of its languages, ``name`` among them (``schemas.models.language``).
    """

    id: Did = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)
    names: Opt[Names] = cat_field(DataCategory.PUBLIC, None)


class SecureLink(PilotModel):
    """A hash-pinned link to another credential (UNTP ``SecureLink``).

    ``hashDigest`` is the hex SHA-256 of the linked credential as the pilot digests it (docs/design.md §4:
    the RFC 8785 bytes, proof included, or the ASCII of the JWS), so it equals the manifest's
    ``sha-256:`` digest without the prefix.
    """

    linkURL: Uri = cat_field(DataCategory.PUBLIC)
    linkName: Opt[Text] = cat_field(DataCategory.PUBLIC, None)
    linkType: Text = cat_field(DataCategory.PUBLIC)
    hashDigest: HexDigest = cat_field(DataCategory.PUBLIC)
    hashMethod: Literal["SHA-256"] = cat_field(DataCategory.PUBLIC)


def secure_link_digest(link: SecureLink | Mapping[str, object]) -> str:
    """The pilot digest (``sha-256:<hex>``) a SecureLink pins."""
    value = link.hashDigest if isinstance(link, SecureLink) else link.get("hashDigest")
    return f"sha-256:{value}"


class HsClassification(PilotModel):
    """A product classification by HS code (UNTP ``Classification``), e.g. a facility's process category."""

    type: list[Literal["Classification"]] = cat_field(DataCategory.PUBLIC, min_length=1, max_length=1)
    id: Uri = cat_field(DataCategory.PUBLIC)
    code: HsCode = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)
    schemeID: Literal["https://pilot.example/codes/hs2022/"] = cat_field(DataCategory.PUBLIC)
    schemeName: Text = cat_field(DataCategory.PUBLIC)

    @model_validator(mode="after")
    def _id_is_scheme_and_code(self) -> HsClassification:
        if self.id != HS_SCHEME_ID + self.code:
            raise field_error("id", f"expected id {HS_SCHEME_ID!r} followed by the code")
        return self


def hs_classification(code: str, name: str) -> dict[str, object]:
    """The ``processCategory`` entry of an HS code."""
    return {
        "type": ["Classification"],
        "id": HS_SCHEME_ID + code,
        "code": code,
        "name": name,
        "schemeID": HS_SCHEME_ID,
        "schemeName": HS_SCHEME_NAME,
    }
