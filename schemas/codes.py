"""The stable codes of DESIGN section 7: reasons inside receipts, HTTP error codes, exporter-side codes.

A code is a contract: never reuse one for a different meaning; add new ones at the end of their group.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Every stable code the pilot emits."""

    # Reasons inside receipts (and file-level verification results).
    SCHEMA_INVALID = "SCHEMA_INVALID"
    PROOF_MISSING = "PROOF_MISSING"
    PROOF_INVALID = "PROOF_INVALID"
    CRYPTOSUITE_UNSUPPORTED = "CRYPTOSUITE_UNSUPPORTED"
    ISSUER_UNKNOWN = "ISSUER_UNKNOWN"
    ISSUER_ROLE_NOT_AUTHORIZED = "ISSUER_ROLE_NOT_AUTHORIZED"
    KEY_NOT_VALID_AT_RECEIPT = "KEY_NOT_VALID_AT_RECEIPT"
    KEY_REVOKED = "KEY_REVOKED"
    CREDENTIAL_EXPIRED = "CREDENTIAL_EXPIRED"
    CREDENTIAL_NOT_YET_VALID = "CREDENTIAL_NOT_YET_VALID"
    EVIDENCE_DIGEST_MISMATCH = "EVIDENCE_DIGEST_MISMATCH"
    REFERENCED_CREDENTIAL_MISSING = "REFERENCED_CREDENTIAL_MISSING"
    ESTABLISHMENT_NOT_APPROVED = "ESTABLISHMENT_NOT_APPROVED"
    HS_CODE_NOT_PERMITTED = "HS_CODE_NOT_PERMITTED"
    DATA_CATEGORY_NOT_PERMITTED = "DATA_CATEGORY_NOT_PERMITTED"
    GEOMETRY_INVALID = "GEOMETRY_INVALID"
    # Added: the manifest is signed by someone other than the exporter that submitted it, or its
    # ``exporter`` member names another exporter than its issuer.
    MANIFEST_EXPORTER_MISMATCH = "MANIFEST_EXPORTER_MISMATCH"
    # Added (warning): a credential expires within 30 days of receipt.
    CREDENTIAL_EXPIRING_SOON = "CREDENTIAL_EXPIRING_SOON"
    # Added: the manifest names another port as destination.
    DESTINATION_MISMATCH = "DESTINATION_MISMATCH"
    # Added (issue 12): a record only an exporter issues (facility record, traceability event) was issued
    # by another participant than the exporter that submitted it.
    ISSUER_NOT_SUBMITTER = "ISSUER_NOT_SUBMITTER"
    # Added (issue 12): the register binds a lot's establishment to another exporter than the submitter.
    ESTABLISHMENT_NOT_BOUND_TO_EXPORTER = "ESTABLISHMENT_NOT_BOUND_TO_EXPORTER"
    # Added (issue 12): a lot's HS code is not the one the traceability events producing it record.
    HS_CODE_MISMATCH = "HS_CODE_MISMATCH"
    # Added (issue 12, warning): the receipt omits reasons beyond its cap; the decision was made on all.
    REASONS_OMITTED = "REASONS_OMITTED"

    # HTTP errors.
    JSON_MALFORMED = "JSON_MALFORMED"
    REQUEST_SIGNATURE_INVALID = "REQUEST_SIGNATURE_INVALID"
    REQUEST_REPLAYED = "REQUEST_REPLAYED"
    FORBIDDEN = "FORBIDDEN"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CONFLICT = "DUPLICATE_CONFLICT"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    RATE_LIMITED = "RATE_LIMITED"
    LOG_UNAVAILABLE = "LOG_UNAVAILABLE"
    TRUST_LIST_STALE = "TRUST_LIST_STALE"
    # Added: a well-formed request whose values are unusable (bad query parameter, unknown port id...).
    REQUEST_INVALID = "REQUEST_INVALID"
    # Added: a missing or wrong operator bearer token.
    UNAUTHORIZED = "UNAUTHORIZED"
    # Added: the route exists but not with this method.
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    # Added: a fault of the node itself (never for bad input); the body carries no internals.
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # Added: the request body did not arrive whole within the node's body deadline.
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    # Added: a body of a media type the route does not take (a JSON route needs application/json).
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"

    # Exporter-side.
    RECEIPT_INVALID = "RECEIPT_INVALID"
    CHECKPOINT_INCONSISTENT = "CHECKPOINT_INCONSISTENT"
    # Added: the port stayed unreachable or busy (429/5xx/transport errors) until the give-up time passed.
    DELIVERY_GAVE_UP = "DELIVERY_GAVE_UP"

    # Trust list and signed notes (file-level checks).
    TRUST_LIST_INVALID = "TRUST_LIST_INVALID"
    CHECKPOINT_INVALID = "CHECKPOINT_INVALID"
    MERKLE_PROOF_INVALID = "MERKLE_PROOF_INVALID"

    # Shared-schema conformance (pilot conformance validate, with a reference directory).
    # A credential of a UNTP type fails the UN/CEFACT UNTP 0.6.1 JSON Schema of its type.
    UNTP_SCHEMA_INVALID = "UNTP_SCHEMA_INVALID"
    # A credential fails the W3C VC 2.0 JSON Schema.
    VC_SCHEMA_INVALID = "VC_SCHEMA_INVALID"
    # JSON-LD expansion (safe mode) drops a member or leaves a type relative: the term is not defined.
    JSONLD_TERM_UNDEFINED = "JSONLD_TERM_UNDEFINED"
    # A @context cannot be resolved offline (not ours, not in the reference directory) or is malformed.
    JSONLD_CONTEXT_UNAVAILABLE = "JSONLD_CONTEXT_UNAVAILABLE"
    # An EPCIS 2.0 event or document fails the GS1 EPCIS 2.0 JSON Schema.
    EPCIS_SCHEMA_INVALID = "EPCIS_SCHEMA_INVALID"


#: HTTP status for each code that can be an HTTP error (DESIGN section 7).
HTTP_STATUS: dict[Code, int] = {
    Code.JSON_MALFORMED: 400,
    Code.REQUEST_INVALID: 400,
    Code.SCHEMA_INVALID: 400,
    Code.REQUEST_SIGNATURE_INVALID: 401,
    Code.REQUEST_REPLAYED: 401,
    Code.UNAUTHORIZED: 401,
    Code.FORBIDDEN: 403,
    Code.METHOD_NOT_ALLOWED: 405,
    Code.NOT_FOUND: 404,
    Code.DUPLICATE_CONFLICT: 409,
    Code.PAYLOAD_TOO_LARGE: 413,
    Code.RATE_LIMITED: 429,
    Code.LOG_UNAVAILABLE: 503,
    Code.TRUST_LIST_STALE: 503,
    Code.INTERNAL_ERROR: 500,
    Code.REQUEST_TIMEOUT: 408,
    Code.UNSUPPORTED_MEDIA_TYPE: 415,
}

#: Reason codes a port may put in a receipt.
RECEIPT_REASON_CODES: frozenset[Code] = frozenset(
    {
        Code.SCHEMA_INVALID,
        Code.PROOF_MISSING,
        Code.PROOF_INVALID,
        Code.CRYPTOSUITE_UNSUPPORTED,
        Code.ISSUER_UNKNOWN,
        Code.ISSUER_ROLE_NOT_AUTHORIZED,
        Code.KEY_NOT_VALID_AT_RECEIPT,
        Code.KEY_REVOKED,
        Code.CREDENTIAL_EXPIRED,
        Code.CREDENTIAL_NOT_YET_VALID,
        Code.EVIDENCE_DIGEST_MISMATCH,
        Code.REFERENCED_CREDENTIAL_MISSING,
        Code.ESTABLISHMENT_NOT_APPROVED,
        Code.HS_CODE_NOT_PERMITTED,
        Code.DATA_CATEGORY_NOT_PERMITTED,
        Code.GEOMETRY_INVALID,
        Code.MANIFEST_EXPORTER_MISMATCH,
        Code.CREDENTIAL_EXPIRING_SOON,
        Code.DESTINATION_MISMATCH,
        Code.ISSUER_NOT_SUBMITTER,
        Code.ESTABLISHMENT_NOT_BOUND_TO_EXPORTER,
        Code.HS_CODE_MISMATCH,
        Code.REASONS_OMITTED,
    }
)
