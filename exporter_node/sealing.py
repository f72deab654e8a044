"""Sealing a consignment's credentials to its destination port, as the port's policy asks (docs/design.md §§6, 8).

A destination port's policy takes each data category ``permitted``, ``sealed`` or refused
(``schemas.models.trust_list.PortPolicy.category_treatment``). Every credential of a submission that holds a
field of a ``sealed`` category travels sealed: the signed credential, untouched, encrypted as a compact JWE to
the port's current ``keyAgreement`` key (``TrustRegistry.sealing_key``) by ``schemas.sealing.seal``, in its
``EnvelopedVerifiableCredential`` form. The manifest pins the plaintext credential's digest, as for a clear
one: sealing changes no signature, and the port checks the pin once it has opened the credential.

- :func:`sealing_plan` says which credentials to seal and to which key; a port that seals a category these
  credentials hold but publishes no key usable now refuses the consignment (``SealingKeyUnavailableError``).
- :func:`apply_sealing` replaces those credentials by their sealed form; what it returns tells storage what
  was sealed (``SealedCredential``), so that the plaintext copies in the exporter's records can be discarded
  once the port has answered with a receipt (``exporter_node.storage.Storage.finish``).

The manifest is never sealed. A credential with a refused field is not sealed either: the pre-check refuses
it (``DATA_CATEGORY_NOT_PERMITTED``), as the port would.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exporter_node.errors import SealingKeyUnavailableError
from schemas.digest import credential_digest
from schemas.errors import PilotSchemaError
from schemas.jose import credential_payload
from schemas.models.base import field_categories
from schemas.models.trust_list import PortPolicy
from schemas.models.validate import validate_credential_payload
from schemas.sealing import seal, sealed_credential
from schemas.trust import AgreementKey, TrustRegistry

__all__ = ["SealedCredential", "SealingPlan", "apply_sealing", "sealed_categories_of", "sealing_plan"]


@dataclass(frozen=True)
class SealedCredential:
    """One credential of a submission sent sealed: where it is, which credential, and to which key."""

    #: Its index in the submission's ``credentials``.
    position: int
    #: The credential's ``id`` (its payload's, for an enveloped one).
    credential_id: str
    #: The plaintext credential's digest: the value the manifest pins.
    digest: str
    #: The port's ``keyAgreement`` key id it is sealed to.
    kid: str
    #: The sealed form, as it travels in the submission.
    envelope: dict[str, Any]


@dataclass(frozen=True)
class SealingPlan:
    """Which credentials of a submission to seal (``indexes``) and the key to seal them to (None: none)."""

    indexes: tuple[int, ...]
    key: AgreementKey | None


def sealed_categories_of(credential: Mapping[str, Any], policy: PortPolicy) -> list[str]:
    """The data categories of ``credential``'s fields that ``policy`` takes only sealed, in order of first field.

    A credential that does not decode or fit its record model has no classified fields here: the
    pre-check reports it (the port's assessment), and nothing is sealed on a guess.
    """
    try:
        payload = credential_payload(credential)
    except (PilotSchemaError, ValueError):
        return []
    model, _ = validate_credential_payload(payload)
    if model is None:
        return []
    found = (str(category) for _, category in field_categories(model))
    return list(dict.fromkeys(c for c in found if policy.category_treatment(c) == "sealed"))


def sealing_plan(
    credentials: Sequence[Mapping[str, Any]], trust: TrustRegistry, port_id: str, at: datetime
) -> SealingPlan:
    """The credentials of a submission to ``port_id`` that must travel sealed, and the port's key at ``at``.

    SealingKeyUnavailableError when some must be sealed and the trust list names no ``keyAgreement`` key
    of the port usable at ``at``.
    """
    policy = trust.policy(port_id)
    if policy is None or not policy.sealedDataCategories:
        return SealingPlan((), None)
    needing: dict[int, list[str]] = {}
    for index, credential in enumerate(credentials):
        categories = sealed_categories_of(credential, policy)
        if categories:
            needing[index] = categories
    if not needing:
        return SealingPlan((), None)
    key = trust.sealing_key(port_id, at)
    if key is None:
        categories = sorted({c for found in needing.values() for c in found})
        raise SealingKeyUnavailableError(port_id, categories, trust.sequence)
    return SealingPlan(tuple(needing), key)


def apply_sealing(
    credentials: Sequence[Mapping[str, Any]], plan: SealingPlan
) -> tuple[list[dict[str, Any]], list[SealedCredential]]:
    """``credentials`` with those of ``plan`` replaced by their sealed form, and what was sealed."""
    out = [dict(c) for c in credentials]
    if plan.key is None:
        return out, []
    sealed: list[SealedCredential] = []
    for index in plan.indexes:
        credential = out[index]
        envelope = sealed_credential(seal(credential, plan.key.public_key, plan.key.kid))
        sealed.append(
            SealedCredential(
                position=index,
                credential_id=str(credential_payload(credential)["id"]),
                digest=credential_digest(credential),
                kid=plan.key.kid,
                envelope=envelope,
            )
        )
        out[index] = envelope
    return out, sealed
