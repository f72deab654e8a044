"""Trust-list change requests and their approval by ``pilot-gov`` (docs/design.md §5; docs/onboarding.md).

A request asks for one change: a new participant (``pilot onboard exporter``) or a new key for an existing
one (``pilot keys rotate``). It is signed with ``eddsa-jcs-2022`` by the NEW key it introduces, which
proves possession of that key. ``approve`` checks the request against the current, verified trust list,
applies it, increments ``sequence`` and signs the next list with ``pilot-gov``'s key; running nodes pick
the new file up without a restart (node_core.trust_holder).

Rules: a new participant's id and DID must be unused and its keys new; a key request must name an
existing participant and a new key id; rotation never shortens or removes an old key (its window stays).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.codes import Code
from schemas.data_integrity import read_proof, sign_data_integrity, verify_data_integrity
from schemas.errors import VerificationError
from schemas.multikey import decode_multikey
from schemas.time import format_time
from schemas.trust import TrustRegistry, sign_trust_list

REQUEST_CONTEXT = ["https://www.w3.org/ns/credentials/v2", "https://pilot.example/ns/trust-list/v1"]
REQUEST_TYPE = "PilotTrustListChangeRequest"


class RequestRefused(ValueError):
    """A change request that cannot be approved; the message says why."""


def sign_request(
    request: Mapping[str, Any], private_key: Ed25519PrivateKey, verification_method: str, created: datetime
) -> dict[str, Any]:
    """The request signed by the key it introduces (proof of possession)."""
    body = {"@context": REQUEST_CONTEXT, "type": REQUEST_TYPE, **{k: v for k, v in request.items() if k != "proof"}}
    return sign_data_integrity(
        body, private_key, verification_method, created=format_time(created), proof_purpose="authentication"
    )


def _introduced_keys(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    if request.get("change") == "add-participant":
        return list(request["participant"]["keys"])
    if request.get("change") == "add-key":
        return [dict(request["key"])]
    raise RequestRefused(f"unknown change {request.get('change')!r}: expected add-participant or add-key")


def check_possession(request: Mapping[str, Any]) -> None:
    """The request's proof must verify with one of the keys it introduces."""
    if request.get("type") != REQUEST_TYPE:
        raise RequestRefused(f"not a {REQUEST_TYPE}")
    try:
        proof = read_proof(request)
        keys = {k["id"]: k["publicKeyMultibase"] for k in _introduced_keys(request)}
        multibase = keys.get(proof.verification_method)
        if multibase is None:
            raise RequestRefused("the request is not signed by a key it introduces (no proof of possession)")
        verify_data_integrity(request, decode_multikey(multibase))
    except (VerificationError, KeyError, TypeError) as exc:
        raise RequestRefused(f"proof of possession does not verify: {exc}") from exc


def apply_request(current: TrustRegistry, request: Mapping[str, Any], *, issued: datetime) -> dict[str, Any]:
    """The next trust-list document (unsigned) with the request applied; RequestRefused otherwise."""
    check_possession(request)
    document = copy.deepcopy({k: v for k, v in current.document.items() if k != "proof"})
    participants: list[dict[str, Any]] = document["participants"]
    known_keys = {k["id"] for p in participants for k in p["keys"]}
    if request["change"] == "add-participant":
        new = dict(request["participant"])
        if any(p["id"] == new["id"] or p["did"] == new["did"] for p in participants):
            raise RequestRefused(f"participant {new['id']} is already in the trust list")
        if any(k["id"] in known_keys for k in new["keys"]):
            raise RequestRefused("a key id of the request is already in the trust list")
        participants.append(new)
        for establishment in request.get("establishments", []):
            if any(
                e["establishmentNumber"] == establishment["establishmentNumber"] for e in document["establishments"]
            ):
                raise RequestRefused(f"establishment {establishment['establishmentNumber']} is already registered")
            document["establishments"].append(dict(establishment))
    else:
        owner = next((p for p in participants if p["id"] == request["participant"]), None)
        if owner is None:
            raise RequestRefused(f"participant {request['participant']} is not in the trust list")
        key = dict(request["key"])
        if key["id"] in known_keys or not key["id"].startswith(owner["did"] + "#"):
            raise RequestRefused(f"key id {key['id']} is taken or not under {owner['did']}")
        owner["keys"].append(key)
    sequence = current.sequence + 1
    document["sequence"] = sequence
    document["id"] = f"urn:pilot:trust-list:{sequence}"
    document["issued"] = format_time(issued)
    return document


def approve(
    current: TrustRegistry, request: Mapping[str, Any], gov_key: Ed25519PrivateKey, gov_vm: str, *, issued: datetime
) -> dict[str, Any]:
    """The next trust list, signed by ``pilot-gov``, and checked to be a valid list itself."""
    document = apply_request(current, request, issued=issued)
    signed = sign_trust_list(document, gov_key, gov_vm, issued)
    try:
        TrustRegistry.from_document(signed)
    except VerificationError as exc:
        raise RequestRefused(f"the resulting trust list would be invalid: {exc}") from exc
    return signed


__all__ = ["Code", "RequestRefused", "apply_request", "approve", "check_possession", "sign_request"]
