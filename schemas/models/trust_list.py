"""The trust list and the trust anchor (docs/design.md §5): who takes part, with which keys, on what terms.

Only the document's shape and internal consistency are checked here (unique participant ids and DIDs,
key ids unique and under their participant's DID, ordered validity times); what the list means for a
signature is the trust logic's job.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from schemas._internal.scalars import (
    CountryCode,
    DateTime,
    Did,
    EstablishmentNumber,
    HsHeading,
    HsPrefix,
    ShortId,
    SubdivisionCode,
    Text,
    Uri,
    VerificationMethodId,
)
from schemas.models.base import (
    CategoryValue,
    DataCategory,
    Opt,
    PilotModel,
    Role,
    RoleValue,
    cat_field,
    field_error,
)
from schemas.models.language import Names

__all__ = [
    "KEY_AGREEMENT",
    "TRUST_LIST_CONTEXT",
    "TRUST_LIST_CONTEXTS",
    "AnchorKey",
    "Establishment",
    "InspectionRules",
    "Participant",
    "PortPolicy",
    "TrustAnchor",
    "TrustList",
    "TrustedKey",
]

TRUST_LIST_CONTEXT = "https://pilot.example/ns/trust-list/v1"
#: The ``@context`` of the trust list.
TRUST_LIST_CONTEXTS: tuple[str, str] = ("https://www.w3.org/ns/credentials/v2", TRUST_LIST_CONTEXT)

KeyId = Annotated[
    str,
    Field(pattern=r"^did:web:[A-Za-z0-9.-]+(%3[Aa][0-9]+)?(:[A-Za-z0-9._~%-]+)*#key-[0-9]+$", max_length=600),
]
Multibase = Annotated[str, Field(pattern=r"^z[1-9A-HJ-NP-Za-km-z]+$", max_length=128)]
KeyPurpose = Literal["assertion", "authentication", "log", "witness", "keyAgreement"]
#: The one purpose of a port's X25519 key (docs/design.md §5): credentials are sealed to it, never signed.
KEY_AGREEMENT = "keyAgreement"


class TrustedKey(PilotModel):
    """A participant's public key as a Multikey, with its purposes and validity.

    Ed25519 for every signing purpose; X25519 for ``keyAgreement``, which a key carries alone (one
    secret, one algorithm): a port's key that exporters seal credentials to (docs/design.md §§5, 8).
    """

    id: KeyId = cat_field(DataCategory.PUBLIC)
    type: Literal["Multikey"] = cat_field(DataCategory.PUBLIC)
    publicKeyMultibase: Multibase = cat_field(DataCategory.PUBLIC)
    purposes: Annotated[list[KeyPurpose], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)
    validFrom: DateTime = cat_field(DataCategory.PUBLIC)
    validUntil: DateTime = cat_field(DataCategory.PUBLIC)
    revokedAt: Opt[DateTime] = cat_field(DataCategory.PUBLIC, None)

    @model_validator(mode="after")
    def _consistent(self) -> TrustedKey:
        if len(set(self.purposes)) != len(self.purposes):
            raise field_error("purposes", f"purposes must not repeat, found {self.purposes}")
        if KEY_AGREEMENT in self.purposes and len(self.purposes) != 1:
            raise field_error("purposes", "a keyAgreement key has no other purpose")
        if self.validUntil <= self.validFrom:
            raise field_error("validUntil", "validUntil must be later than validFrom")
        return self


class Participant(PilotModel):
    """A member of the pilot network: short id, DID, role, name, country, keys.

    ``name`` is the name in the participant's own script; ``names``, when present, lists it in each of its
    languages, ``name`` among them (VC 2.0 language value objects, ``schemas.models.language``): a reader is
    shown the one in its language (``schemas.names``).
    """

    id: ShortId = cat_field(DataCategory.PUBLIC)
    did: Did = cat_field(DataCategory.PUBLIC)
    role: RoleValue = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)
    names: Opt[Names] = cat_field(DataCategory.PUBLIC, None)
    country: CountryCode = cat_field(DataCategory.PUBLIC)
    keys: Annotated[list[TrustedKey], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)

    @model_validator(mode="after")
    def _keys_under_did(self) -> Participant:
        for index, key in enumerate(self.keys):
            if not key.id.startswith(self.did + "#"):
                raise field_error(f"keys/{index}/id", f"key id {key.id!r} must start with {self.did + '#'!r}")
        return self


class Establishment(PilotModel):
    """An establishment on the importer-side register, approved for some HS headings."""

    establishmentNumber: EstablishmentNumber = cat_field(DataCategory.PUBLIC)
    name: Text = cat_field(DataCategory.PUBLIC)
    names: Opt[Names] = cat_field(DataCategory.PUBLIC, None)
    exporter: ShortId = cat_field(DataCategory.PUBLIC)
    region: SubdivisionCode = cat_field(DataCategory.PUBLIC)
    categories: Annotated[list[HsHeading], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)
    recommendedBy: Did = cat_field(DataCategory.PUBLIC)
    approvedFrom: DateTime = cat_field(DataCategory.PUBLIC)
    approvedUntil: Opt[DateTime] = cat_field(DataCategory.PUBLIC, None)

    @model_validator(mode="after")
    def _ordered(self) -> Establishment:
        if self.approvedUntil is not None and self.approvedUntil <= self.approvedFrom:
            raise field_error("approvedUntil", "approvedUntil must be later than approvedFrom")
        return self


class InspectionRules(PilotModel):
    """A port's deterministic inspection rules: a sampling rate and HS prefixes always held."""

    samplingRate: float = cat_field(DataCategory.PUBLIC, ge=0.0, le=1.0)
    holdHsCodes: list[HsPrefix] = cat_field(DataCategory.PUBLIC)


class PortPolicy(PilotModel):
    """What a port accepts: HS prefixes, data categories, and its inspection rules.

    Each data category is ``permitted`` (in ``permittedDataCategories``: may travel and rest in clear
    text), ``sealed`` (in ``sealedDataCategories``: may be received only inside a credential sealed to
    the port's ``keyAgreement`` key, and rests sealed) or refused (in neither). A list without
    ``sealedDataCategories`` means what it meant before sealing existed. ``sealedRetentionDays``: how
    long after a ``keyAgreement`` key's window ends the port keeps it to open what was sealed to it;
    then the key is destroyed and that content is unreadable (docs/keys.md).
    """

    permittedHsCodes: list[HsPrefix] = cat_field(DataCategory.PUBLIC)
    permittedDataCategories: list[CategoryValue] = cat_field(DataCategory.PUBLIC)
    sealedDataCategories: Opt[list[CategoryValue]] = cat_field(DataCategory.PUBLIC, None)
    sealedRetentionDays: Opt[int] = cat_field(DataCategory.PUBLIC, None, ge=1, le=36500)
    inspection: InspectionRules = cat_field(DataCategory.PUBLIC)

    @model_validator(mode="after")
    def _disjoint(self) -> PortPolicy:
        both = sorted(set(self.permittedDataCategories) & set(self.sealedDataCategories or []))
        if both:
            raise field_error(
                "sealedDataCategories", f"a category is either permitted or sealed, not both: {', '.join(both)}"
            )
        return self

    def category_treatment(self, category: DataCategory | str) -> Literal["permitted", "sealed", "refused"]:
        """How this port takes a field of ``category``: in clear text, only sealed, or not at all."""
        value = str(category)
        if value in {str(c) for c in self.permittedDataCategories}:
            return "permitted"
        if value in {str(c) for c in self.sealedDataCategories or []}:
            return "sealed"
        return "refused"


class TrustList(PilotModel):
    """The signed list of participants, keys, approved establishments and port policies."""

    context: list[Uri] = cat_field(
        DataCategory.PUBLIC,
        alias="@context",
        min_length=1,
        json_schema_extra={"prefixItems": [{"const": TRUST_LIST_CONTEXTS[0]}]},
    )
    type: Literal["PilotTrustList"] = cat_field(DataCategory.PUBLIC)
    id: str = cat_field(DataCategory.PUBLIC, pattern=r"^urn:pilot:trust-list:[1-9][0-9]*$")
    issuer: Did = cat_field(DataCategory.PUBLIC)
    sequence: int = cat_field(DataCategory.PUBLIC, ge=1)
    issued: DateTime = cat_field(DataCategory.PUBLIC)
    nextUpdate: DateTime = cat_field(DataCategory.PUBLIC)
    participants: list[Participant] = cat_field(DataCategory.PUBLIC)
    establishments: list[Establishment] = cat_field(DataCategory.PUBLIC)
    policies: dict[ShortId, PortPolicy] = cat_field(DataCategory.PUBLIC)
    proof: Opt[dict[str, Any]] = cat_field(DataCategory.PUBLIC, None)

    @model_validator(mode="after")
    def _consistent(self) -> TrustList:
        if self.context[0] != TRUST_LIST_CONTEXTS[0]:
            raise field_error("@context/0", f"the first @context must be {TRUST_LIST_CONTEXTS[0]!r}")
        if self.id != f"urn:pilot:trust-list:{self.sequence}":
            raise field_error("id", f"id must be 'urn:pilot:trust-list:{self.sequence}' (the sequence)")
        if self.nextUpdate <= self.issued:
            raise field_error("nextUpdate", "nextUpdate must be later than issued")
        seen_ids: set[str] = set()
        seen_dids: set[str] = set()
        seen_keys: set[str] = set()
        for p_index, participant in enumerate(self.participants):
            if participant.id in seen_ids:
                raise field_error(f"participants/{p_index}/id", f"participant id {participant.id!r} repeats")
            if participant.did in seen_dids:
                raise field_error(f"participants/{p_index}/did", f"participant DID {participant.did!r} repeats")
            seen_ids.add(participant.id)
            seen_dids.add(participant.did)
            for k_index, key in enumerate(participant.keys):
                if key.id in seen_keys:
                    raise field_error(f"participants/{p_index}/keys/{k_index}/id", f"key id {key.id!r} repeats")
                seen_keys.add(key.id)
                if KEY_AGREEMENT in key.purposes and participant.role != Role.PORT_AUTHORITY:
                    raise field_error(
                        f"participants/{p_index}/keys/{k_index}/purposes",
                        "only a port authority publishes keyAgreement keys",
                    )
        for port_id, policy in self.policies.items():
            if policy.sealedDataCategories:
                holder = next((p for p in self.participants if p.id == port_id), None)
                if holder is None or not any(KEY_AGREEMENT in k.purposes for k in holder.keys):
                    raise field_error(
                        f"policies/{port_id}/sealedDataCategories",
                        f"{port_id} seals data categories but publishes no keyAgreement key",
                    )
        return self


class AnchorKey(PilotModel):
    """A pinned trust-list operator key."""

    id: VerificationMethodId = cat_field(DataCategory.PUBLIC)
    publicKeyMultibase: Multibase = cat_field(DataCategory.PUBLIC)


class TrustAnchor(PilotModel):
    """``trust-anchor.json``: the trust-list operator's DID and keys, pinned out of band."""

    trustListOperator: Did = cat_field(DataCategory.PUBLIC)
    keys: Annotated[list[AnchorKey], Field(min_length=1)] = cat_field(DataCategory.PUBLIC)

    @model_validator(mode="after")
    def _keys_under_did(self) -> TrustAnchor:
        for index, key in enumerate(self.keys):
            if not key.id.startswith(self.trustListOperator + "#"):
                raise field_error(f"keys/{index}/id", f"key id {key.id!r} must start with the operator's DID + '#'")
        return self
