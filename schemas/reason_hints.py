"""What an exporter can do about a reason or a failed delivery: one hint per stable code, written once.

A receipt's reason says what is wrong (``code``, ``path``, ``message``); its hint says what to change before
sending again. The exporter's dashboard shows the hint beside each reason of a rejected consignment and beside
the code of a failed delivery. Every code a receipt may carry (``RECEIPT_REASON_CODES``), every exporter-side
code and the sealing codes have one (``tests/schemas/test_reason_hints.py``); so do the HTTP codes a port may
answer a delivery with finally. Hints are static text: they never quote the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from schemas.codes import Code

__all__ = ["HINTS", "hint_for"]

_RESEND = "then send a new consignment"

#: The hint for each code that has one.
HINTS: Mapping[str, str] = MappingProxyType(
    {
        # -- reasons in receipts --
        Code.SCHEMA_INVALID: "Correct the document at the reason's path so that it fits its schema "
        f"(docs/records.md), {_RESEND}.",
        Code.PROOF_MISSING: "Send each credential as its issuer signed it: with its Data Integrity proof, or as a "
        "VC-JOSE envelope whose header names its key (kid).",
        Code.PROOF_INVALID: "The credential was changed after it was signed: import the original again from its "
        f"issuer (or register the farm again for its facility record), {_RESEND}.",
        Code.CRYPTOSUITE_UNSUPPORTED: "Ask the issuer to sign with eddsa-jcs-2022 or a VC-JOSE envelope with EdDSA "
        "(Ed25519), the only forms the pilot accepts.",
        Code.ISSUER_UNKNOWN: "The signing key is not in the trust list: ask the issuer to sign with a key the trust "
        "list names, or wait for the trust list that adds it.",
        Code.ISSUER_ROLE_NOT_AUTHORIZED: "Get this record from a participant whose role may issue it: conformity "
        "certificates from a certifier, veterinary attestations from the veterinary authority.",
        Code.KEY_NOT_VALID_AT_RECEIPT: "The signing key was outside its validity window or lacks the purpose: have "
        f"the credential signed again with a current key, {_RESEND}.",
        Code.KEY_REVOKED: "The signing key is revoked: have the credential signed again with a current key (for your "
        f"own records, rotate your key with `pilot keys rotate`), {_RESEND}.",
        Code.CREDENTIAL_EXPIRED: f"Ask the issuer for a renewed credential and import it, {_RESEND}.",
        Code.CREDENTIAL_NOT_YET_VALID: "The credential is not valid yet: wait until its validFrom, or ask the issuer "
        "to correct it, then send again.",
        Code.EVIDENCE_DIGEST_MISMATCH: "A pinned credential differs from the one the manifest pins: build the "
        "consignment again so that its manifest pins the credentials it carries.",
        Code.REFERENCED_CREDENTIAL_MISSING: "Include every credential the manifest pins: build the consignment with "
        "POST /v1/consignments, which gathers them.",
        Code.ESTABLISHMENT_NOT_APPROVED: "Ship from an establishment on the importer's register for this HS heading, "
        "or have the establishment registered first.",
        Code.HS_CODE_NOT_PERMITTED: "This port does not take this HS code: send the goods to a port whose policy "
        "permits it (`pilot trust show` lists the policies).",
        Code.DATA_CATEGORY_NOT_PERMITTED: "Leave out the field at the reason's path (its data category is one this "
        "port may not receive, docs/design.md §8), or send to a port that permits it.",
        Code.GEOMETRY_INVALID: "Correct the farm's polygon: a closed ring of [longitude, latitude] points, not "
        "crossing itself, with an area, inside the farm's region; then register the farm again.",
        Code.MANIFEST_EXPORTER_MISMATCH: "Sign the manifest with your own key and name yourself as its exporter.",
        Code.CREDENTIAL_EXPIRING_SOON: "Nothing to change for this consignment; renew the credential with its issuer "
        "before it expires.",
        Code.DESTINATION_MISMATCH: "Send the consignment to the port its manifest names, or build a new one for this "
        "port.",
        Code.ISSUER_NOT_SUBMITTER: "Send only facility records and traceability events you issued yourself.",
        Code.ESTABLISHMENT_NOT_BOUND_TO_EXPORTER: "The register ties this establishment to another exporter: ship "
        "from one of your own establishments.",
        Code.HS_CODE_MISMATCH: "Give each lot the HS code its traceability events recorded.",
        Code.REASONS_OMITTED: "Only the first 50 reasons are listed: correct these and send again to see the rest.",
        Code.CREDENTIAL_REVOKED: f"The issuer revoked the credential: import a new one from its issuer, {_RESEND}.",
        Code.CREDENTIAL_SUSPENDED: "The issuer suspended the credential: ask it to reinstate the credential or issue "
        f"a new one, {_RESEND}.",
        Code.STATUS_UNAVAILABLE: "The port could not establish a credential's status (its issuer's status list was "
        "unreachable or stale): the port inspects the consignment; send again once the registry answers.",
        Code.SEALED_INVALID: "The sealed credential could not be opened: build the consignment again with "
        "POST /v1/consignments, which seals it to the port's current key.",
        Code.SEALED_ALGORITHM_UNSUPPORTED: "Seal with ECDH-ES+A256KW over X25519 and A256GCM: build the consignment "
        "with POST /v1/consignments, which does.",
        Code.SEALED_KEY_UNKNOWN: "Seal to the port's keyAgreement key in the current trust list: update the trust "
        "list, then build the consignment again.",
        Code.SEALED_KEY_RETIRED: "The port's key that the credential was sealed to is retired: build the consignment "
        "again, sealed to the port's current key.",
        Code.DATA_CATEGORY_SEALING_REQUIRED: "This port takes this data category only sealed: build the consignment "
        "with POST /v1/consignments, which seals it to the port's key.",
        Code.SEALING_NOT_EXPECTED: "Send this credential in clear text: it holds nothing this port takes only sealed.",
        # -- exporter side --
        Code.RECEIPT_INVALID: "The port's receipt did not verify, so the delivery does not count: tell the port "
        "authority, with the consignment id.",
        Code.CHECKPOINT_INCONSISTENT: "The port's log contradicts what it showed before (a fork or a rollback): "
        "report it to the port authority and the trust list operator; do not rely on its receipts.",
        Code.DELIVERY_GAVE_UP: "The port stayed unreachable or busy: check that it is up (`pilot status`), then "
        "send the consignment again.",
        # -- final HTTP answers to a delivery --
        Code.REQUEST_SIGNATURE_INVALID: "The port could not verify this node's request signature: check that the "
        "node's key is the one the trust list holds for you, and that its clock is right.",
        Code.FORBIDDEN: "Only exporters in the trust list may submit: check your participant's role there.",
        Code.DUPLICATE_CONFLICT: "The port already holds a different submission under this consignment id: send "
        "it under a new id.",
        Code.PAYLOAD_TOO_LARGE: "The submission is over the port's size limit: split the lots into smaller "
        "consignments.",
        Code.TRUST_LIST_STALE: "The trust list is out of date: publish or fetch the current one, then send again.",
    }
)


def hint_for(code: str | None) -> str | None:
    """The hint for ``code``, or None when it has none."""
    return HINTS.get(code) if code is not None else None
