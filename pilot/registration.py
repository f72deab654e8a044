"""Trust-list change requests and their approval by ``pilot-gov`` (docs/design.md §5; docs/onboarding.md).

A request asks for one change: a new participant (``pilot onboard exporter``) or a new key for an existing
one (``pilot keys rotate``). It is signed with ``eddsa-jcs-2022`` by the NEW key it introduces, which
proves possession of that key. ``approve`` checks the request against the current, verified trust list,
applies it, increments ``sequence`` and signs the next list with ``pilot-gov``'s key; running nodes pick
the new file up without a restart (node_core.trust_holder).

A port's ``keyAgreement`` key (X25519) cannot sign, so a request that adds one is signed instead by an
``assertion`` key of the same port that the current list publishes and that is valid at approval time
(docs/keys.md).

Rules: a new participant's id and DID must be unused and its keys new; a key request must name an
existing participant and a new key id; only a port authority adds a ``keyAgreement`` key, which has no
other purpose. Rotating a signing key never shortens or removes the old one (its window stays: what it
signed stays verifiable). Rotating a ``keyAgreement`` key retires its predecessors: each of the port's
other ``keyAgreement`` keys still valid ``AGREEMENT_KEY_OVERLAP`` after the new key's ``validFrom`` has
its ``validUntil`` brought back to that moment, so consignments already sealed to the old key still
arrive, exporters then seal to the new one only, and the port's retention clock
(``sealedRetentionDays``) starts for the old key (docs/keys.md). There is no change that revokes a key.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.codes import Code
from schemas.data_integrity import read_proof, sign_data_integrity, verify_data_integrity
from schemas.errors import KeyFormatError, VerificationError
from schemas.models.base import Role
from schemas.models.trust_list import KEY_AGREEMENT
from schemas.multikey import decode_multikey, decode_x25519_multikey
from schemas.phrase import Phrase
from schemas.time import format_time, parse_time
from schemas.trust import TrustRegistry, sign_trust_list

REQUEST_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://pilot.example/ns/trust-list/v1"]
REQUEST_TYPE = "PilotTrustListChangeRequest"
#: How long a port's previous keyAgreement key stays usable after its successor's ``validFrom``: time for
#: consignments already sealed to it (queued in an exporter's outbox) to arrive.
AGREEMENT_KEY_OVERLAP = timedelta(days=7)


class RequestRefused(ValueError):
    """A change request that cannot be approved; the message says why (in English: ``phrase`` to translate it)."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


def sign_request(
    request: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime,
    *,
    proof_purpose: str = "authentication",
) -> dict[str, Any]:
    """The request signed by the key it introduces (proof of possession), or for a ``keyAgreement`` key by
    the port's current ``assertion`` key (``proof_purpose`` ``assertionMethod``)."""
    body = {"@context": REQUEST_CONTEXT, "type": REQUEST_TYPE, **{k: v for k, v in request.items() if k != "proof"}}
    return sign_data_integrity(
        body, private_key, verification_method, created=format_time(created), proof_purpose=proof_purpose
    )


def _introduced_keys(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    if request.get("change") == "add-participant":
        return list(request["participant"]["keys"])
    if request.get("change") == "add-key":
        return [dict(request["key"])]
    raise RequestRefused(
        Phrase("unknown change {change}: expected add-participant or add-key", change=repr(request.get("change")))
    )


def adds_agreement_key(request: Mapping[str, Any]) -> bool:
    """True for an ``add-key`` request whose key is a ``keyAgreement`` key (RequestRefused if it mixes purposes)."""
    if request.get("change") != "add-key":
        return False
    try:
        purposes = list(request["key"]["purposes"])
    except (KeyError, TypeError) as exc:
        raise RequestRefused(Phrase("the request's key has no purposes")) from exc
    if KEY_AGREEMENT not in purposes:
        return False
    if purposes != [KEY_AGREEMENT]:
        raise RequestRefused(Phrase("a keyAgreement key has no other purpose"))
    return True


def check_possession(request: Mapping[str, Any]) -> None:
    """The request's proof must verify with one of the (signing) keys it introduces."""
    if request.get("type") != REQUEST_TYPE:
        raise RequestRefused(Phrase("not a {type}", type=REQUEST_TYPE))
    try:
        proof = read_proof(request)
        keys = {
            k["id"]: k["publicKeyMultibase"] for k in _introduced_keys(request) if KEY_AGREEMENT not in k["purposes"]
        }
        multibase = keys.get(proof.verification_method)
        if multibase is None:
            raise RequestRefused(Phrase("the request is not signed by a key it introduces (no proof of possession)"))
        verify_data_integrity(request, decode_multikey(multibase))
    except (VerificationError, KeyError, TypeError) as exc:
        raise RequestRefused(Phrase("proof of possession does not verify: {problem}", problem=str(exc))) from exc


def check_port_authority(current: TrustRegistry, request: Mapping[str, Any], at: datetime) -> None:
    """A request adding a ``keyAgreement`` key must come from a port, signed by its own ``assertion`` key,
    published in ``current`` and valid at ``at``, and carry an X25519 Multikey."""
    if request.get("type") != REQUEST_TYPE:
        raise RequestRefused(Phrase("not a {type}", type=REQUEST_TYPE))
    owner = current.participant(str(request.get("participant")))
    if owner is None:
        raise RequestRefused(Phrase("participant {id} is not in the trust list", id=request.get("participant")))
    if owner.role != Role.PORT_AUTHORITY:
        raise RequestRefused(Phrase("{id} is not a port authority: only ports publish keyAgreement keys", id=owner.id))
    try:
        decode_x25519_multikey(request["key"]["publicKeyMultibase"])
    except (KeyFormatError, KeyError, TypeError) as exc:
        raise RequestRefused(
            Phrase("the keyAgreement key is not an X25519 Multikey: {problem}", problem=str(exc))
        ) from exc
    try:
        proof = read_proof(request)
        signer = current.resolve_key(proof.verification_method, "assertion", at)
    except (VerificationError, KeyFormatError, KeyError, TypeError) as exc:
        raise RequestRefused(
            Phrase(
                "a keyAgreement key must be requested under a current assertion key of {id}: {problem}",
                id=owner.id,
                problem=str(exc),
            )
        ) from exc
    if signer.participant_id != owner.id:
        raise RequestRefused(
            Phrase("the request is signed by a key of {signer}, not of {id}", signer=signer.participant_id, id=owner.id)
        )
    try:
        verify_data_integrity(request, signer.public_key)
    except VerificationError as exc:
        raise RequestRefused(Phrase("the request's signature does not verify: {problem}", problem=str(exc))) from exc


def check_signature(current: TrustRegistry, request: Mapping[str, Any], at: datetime) -> None:
    """Who must have signed ``request``: the key it introduces, or for a ``keyAgreement`` key its port."""
    if not isinstance(request, Mapping):
        raise RequestRefused(Phrase("a change request is a JSON object"))
    if adds_agreement_key(request):
        check_port_authority(current, request, at)
    else:
        check_possession(request)


def apply_request(current: TrustRegistry, request: Mapping[str, Any], *, issued: datetime) -> dict[str, Any]:
    """The next trust-list document (unsigned) with the request applied; RequestRefused otherwise."""
    check_signature(current, request, issued)
    document = copy.deepcopy({k: v for k, v in current.document.items() if k != "proof"})
    participants: list[dict[str, Any]] = document["participants"]
    known_keys = {k["id"] for p in participants for k in p["keys"]}
    if request["change"] == "add-participant":
        new = dict(request["participant"])
        if any(p["id"] == new["id"] or p["did"] == new["did"] for p in participants):
            raise RequestRefused(Phrase("participant {id} is already in the trust list", id=new["id"]))
        if any(k["id"] in known_keys for k in new["keys"]):
            raise RequestRefused(Phrase("a key id of the request is already in the trust list"))
        participants.append(new)
        for establishment in request.get("establishments", []):
            if any(
                e["establishmentNumber"] == establishment["establishmentNumber"] for e in document["establishments"]
            ):
                raise RequestRefused(
                    Phrase("establishment {number} is already registered", number=establishment["establishmentNumber"])
                )
            document["establishments"].append(dict(establishment))
    else:
        owner = next((p for p in participants if p["id"] == request["participant"]), None)
        if owner is None:
            raise RequestRefused(Phrase("participant {id} is not in the trust list", id=request["participant"]))
        key = dict(request["key"])
        if key["id"] in known_keys or not key["id"].startswith(owner["did"] + "#"):
            raise RequestRefused(Phrase("key id {key} is taken or not under {did}", key=key["id"], did=owner["did"]))
        if key.get("purposes") == [KEY_AGREEMENT]:
            _retire_predecessors(owner["keys"], parse_time(key["validFrom"]) + AGREEMENT_KEY_OVERLAP)
        owner["keys"].append(key)
    sequence = current.sequence + 1
    document["sequence"] = sequence
    document["id"] = f"urn:pilot:trust-list:{sequence}"
    document["issued"] = format_time(issued)
    return document


def _retire_predecessors(keys: list[dict[str, Any]], until: datetime) -> None:
    """End, at ``until``, the window of every keyAgreement key in ``keys`` that would outlast it."""
    for old in keys:
        if old.get("purposes") != [KEY_AGREEMENT] or old.get("revokedAt") is not None:
            continue
        if parse_time(old["validFrom"]) < until < parse_time(old["validUntil"]):
            old["validUntil"] = format_time(until)


def approve(
    current: TrustRegistry, request: Mapping[str, Any], gov_key: Ed25519PrivateKey, gov_vm: str, *, issued: datetime
) -> dict[str, Any]:
    """The next trust list, signed by ``pilot-gov``, and checked to be a valid list itself."""
    document = apply_request(current, request, issued=issued)
    signed = sign_trust_list(document, gov_key, gov_vm, issued)
    try:
        TrustRegistry.from_document(signed)
    except VerificationError as exc:
        raise RequestRefused(Phrase("the resulting trust list would be invalid: {problem}", problem=str(exc))) from exc
    return signed


__all__ = [
    "AGREEMENT_KEY_OVERLAP",
    "Code",
    "RequestRefused",
    "adds_agreement_key",
    "apply_request",
    "approve",
    "check_port_authority",
    "check_possession",
    "check_signature",
    "sign_request",
]
