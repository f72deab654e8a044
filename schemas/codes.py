"""The stable codes of docs/design.md §7: reasons inside receipts, HTTP error codes, exporter-side codes.

A code is a contract: never reuse one for a different meaning; add new ones at the end of their group.
"""

from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """Every stable code the pilot emits."""

    # -- Reasons inside receipts (and file-level verification results) --
    # A document does not match its schema (as an HTTP error: input an exporter refuses).
    SCHEMA_INVALID = "SCHEMA_INVALID"
    # A credential carries no usable proof: none at all, or a JWS without ``kid``.
    PROOF_MISSING = "PROOF_MISSING"
    # A proof or JWS is malformed or its signature does not verify.
    PROOF_INVALID = "PROOF_INVALID"
    # A proof type, cryptosuite or JWS algorithm the pilot does not accept.
    CRYPTOSUITE_UNSUPPORTED = "CRYPTOSUITE_UNSUPPORTED"
    # The signing key is not in the trust list.
    ISSUER_UNKNOWN = "ISSUER_UNKNOWN"
    # The issuer's role may not issue this record type.
    ISSUER_ROLE_NOT_AUTHORIZED = "ISSUER_ROLE_NOT_AUTHORIZED"
    # The key lacks the purpose, or is outside its validity window at the judged time.
    KEY_NOT_VALID_AT_RECEIPT = "KEY_NOT_VALID_AT_RECEIPT"
    # The key's ``revokedAt`` is at or before the judged time.
    KEY_REVOKED = "KEY_REVOKED"
    # The judged time is past the credential's ``validUntil``.
    CREDENTIAL_EXPIRED = "CREDENTIAL_EXPIRED"
    # The judged time is before the credential's ``validFrom``.
    CREDENTIAL_NOT_YET_VALID = "CREDENTIAL_NOT_YET_VALID"
    # Pinned evidence, or a credential the manifest pins, has another digest.
    EVIDENCE_DIGEST_MISMATCH = "EVIDENCE_DIGEST_MISMATCH"
    # The manifest pins a credential the submission does not carry.
    REFERENCED_CREDENTIAL_MISSING = "REFERENCED_CREDENTIAL_MISSING"
    # A lot's establishment is not on the register for its HS heading at receive time.
    ESTABLISHMENT_NOT_APPROVED = "ESTABLISHMENT_NOT_APPROVED"
    # A lot's HS code is not among the destination port's permitted prefixes.
    HS_CODE_NOT_PERMITTED = "HS_CODE_NOT_PERMITTED"
    # A field is in a data category the destination port may not receive.
    DATA_CATEGORY_NOT_PERMITTED = "DATA_CATEGORY_NOT_PERMITTED"
    # A farm polygon is malformed, self-intersecting, without area, or outside its region.
    GEOMETRY_INVALID = "GEOMETRY_INVALID"
    # The manifest is signed by someone other than the exporter that submitted it, or its ``exporter``
    # member names another exporter than its issuer.
    MANIFEST_EXPORTER_MISMATCH = "MANIFEST_EXPORTER_MISMATCH"
    # Warning: a credential expires within 30 days of receipt; it does not change the decision.
    CREDENTIAL_EXPIRING_SOON = "CREDENTIAL_EXPIRING_SOON"
    # The manifest names another port as its destination.
    DESTINATION_MISMATCH = "DESTINATION_MISMATCH"
    # A record only an exporter issues (facility record, traceability event) was issued by another
    # participant than the exporter that submitted it: nobody ships under another exporter's records.
    ISSUER_NOT_SUBMITTER = "ISSUER_NOT_SUBMITTER"
    # The register binds a lot's establishment to another exporter than the submitter.
    ESTABLISHMENT_NOT_BOUND_TO_EXPORTER = "ESTABLISHMENT_NOT_BOUND_TO_EXPORTER"
    # A lot's HS code is not the one recorded by the traceability events that produced the lot.
    HS_CODE_MISMATCH = "HS_CODE_MISMATCH"
    # Warning: the receipt leaves out reasons beyond its cap (50); the decision was made on all of them.
    REASONS_OMITTED = "REASONS_OMITTED"
    # A credential's bit is set in its issuer's revocation status list (docs/design.md §12).
    CREDENTIAL_REVOKED = "CREDENTIAL_REVOKED"
    # A credential's bit is set in its issuer's suspension status list; reinstatement clears it.
    CREDENTIAL_SUSPENDED = "CREDENTIAL_SUSPENDED"
    # Warning that holds the submission for inspection: a credential's status could not be established
    # (its status list could not be fetched, is stale, fails its proof, or is not its issuer's).
    STATUS_UNAVAILABLE = "STATUS_UNAVAILABLE"
    # Sealed credentials (docs/design.md §§4, 8): the port opens them (``schemas.verify.check_sealed_credential``,
    # ``schemas.sealing``) and holds their content to its policy (``schemas.rules``).
    # A sealed credential (docs/design.md §4, ``schemas.sealing``) that cannot be opened: not a compact
    # JWE, a header parameter outside the profile (``zip``, a key or key URL, ``crit``, no ``kid``...),
    # a ciphertext that does not decrypt and authenticate with the key its ``kid`` names (tampered, or
    # sealed to another key), or a plaintext that is not one strict-JSON credential.
    SEALED_INVALID = "SEALED_INVALID"
    # A sealed credential whose JWE ``alg`` is not ``ECDH-ES+A256KW`` or whose ``enc`` is not ``A256GCM``.
    SEALED_ALGORITHM_UNSUPPORTED = "SEALED_ALGORITHM_UNSUPPORTED"
    # A sealed credential whose ``kid`` names no key-agreement key the port holds.
    SEALED_KEY_UNKNOWN = "SEALED_KEY_UNKNOWN"
    # A sealed credential whose ``kid`` names a keyAgreement key of this port that is retired (outside
    # its validity window, or revoked) at receive time: exporters seal to the current key only.
    SEALED_KEY_RETIRED = "SEALED_KEY_RETIRED"
    # A field of a data category the destination port takes only sealed (``sealedDataCategories``)
    # arrived in a credential that was not sealed to it.
    DATA_CATEGORY_SEALING_REQUIRED = "DATA_CATEGORY_SEALING_REQUIRED"
    # A sealed credential holds no field of a category the destination port takes only sealed: clear
    # text was expected (the port does not hold content it cannot show without opening it).
    SEALING_NOT_EXPECTED = "SEALING_NOT_EXPECTED"

    # -- HTTP errors --
    # Not strict JSON: invalid UTF-8, NaN, a duplicate key, a huge integer, nesting too deep.
    JSON_MALFORMED = "JSON_MALFORMED"
    # The RFC 9421 signature is missing, malformed, for another origin, or does not verify.
    REQUEST_SIGNATURE_INVALID = "REQUEST_SIGNATURE_INVALID"
    # A valid request signature whose nonce was already used.
    REQUEST_REPLAYED = "REQUEST_REPLAYED"
    # Authenticated, but not allowed (a participant that is not an exporter submitting).
    FORBIDDEN = "FORBIDDEN"
    # Nothing there, or nothing this caller may see.
    NOT_FOUND = "NOT_FOUND"
    # The id is already taken by different content.
    DUPLICATE_CONFLICT = "DUPLICATE_CONFLICT"
    # The body is over the size limit (decided before it is read whole).
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    # More requests in flight than the node's cap; answered at once.
    RATE_LIMITED = "RATE_LIMITED"
    # The port cannot append to its log now (database unavailable, or the log refuses to sign).
    LOG_UNAVAILABLE = "LOG_UNAVAILABLE"
    # No usable trust list: older than one accepted, or past its ``nextUpdate``.
    TRUST_LIST_STALE = "TRUST_LIST_STALE"
    # A well-formed request whose values are unusable (bad query parameter, unknown port id...).
    REQUEST_INVALID = "REQUEST_INVALID"
    # A missing or wrong operator bearer token.
    UNAUTHORIZED = "UNAUTHORIZED"
    # The route exists, but not with this method.
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    # A fault of the node itself (never for bad input); the body carries no internals.
    INTERNAL_ERROR = "INTERNAL_ERROR"
    # The request body did not arrive whole within the node's body deadline.
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    # A body of a media type the route does not take (a JSON route needs application/json).
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    # A status list credential a registry will not keep: malformed, its proof fails, not its issuer's.
    STATUS_LIST_INVALID = "STATUS_LIST_INVALID"
    # A status list credential whose ``sequence`` is not above the one the registry holds.
    STATUS_LIST_OUT_OF_ORDER = "STATUS_LIST_OUT_OF_ORDER"
    # An exporter cannot build a consignment: its destination takes a data category the consignment holds
    # only sealed, and the trust list names no keyAgreement key of that port usable now.
    SEALING_KEY_UNAVAILABLE = "SEALING_KEY_UNAVAILABLE"
    # An exporter cannot build a consignment: it needs a credential whose plaintext the exporter discarded
    # after sending it sealed (it keeps only the sealed form); import it again from its issuer.
    CREDENTIAL_PLAINTEXT_DISCARDED = "CREDENTIAL_PLAINTEXT_DISCARDED"
    # The operator asked a port to open a stored credential that is not sealed (it is in clear text).
    CREDENTIAL_NOT_SEALED = "CREDENTIAL_NOT_SEALED"
    # The operator asked a port to open a stored sealed credential whose key-agreement key the port has
    # destroyed (``pilot keys destroy``, or retention expiry): its content can no longer be read.
    SEALED_KEY_DESTROYED = "SEALED_KEY_DESTROYED"

    # -- Exporter-side --
    # A port's receipt does not verify (signature, subject, entry, inclusion, checkpoint).
    RECEIPT_INVALID = "RECEIPT_INVALID"
    # A port's checkpoint contradicts one seen from it before: its log forked or rolled back.
    CHECKPOINT_INCONSISTENT = "CHECKPOINT_INCONSISTENT"
    # The port stayed unreachable or busy (429/5xx/transport errors) until the give-up time passed.
    DELIVERY_GAVE_UP = "DELIVERY_GAVE_UP"

    # -- Trust list and signed notes (file-level checks) --
    # A trust list or anchor that is malformed or not signed by an anchor key.
    TRUST_LIST_INVALID = "TRUST_LIST_INVALID"
    # A signed note that is malformed or whose signature does not verify.
    CHECKPOINT_INVALID = "CHECKPOINT_INVALID"
    # An inclusion or consistency proof that does not verify.
    MERKLE_PROOF_INVALID = "MERKLE_PROOF_INVALID"

    # -- Shared-schema conformance (pilot conformance validate, with a reference directory) --
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


#: HTTP status for each code that can be an HTTP error (docs/design.md §7).
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
    Code.STATUS_LIST_INVALID: 422,
    Code.STATUS_LIST_OUT_OF_ORDER: 409,
    Code.SEALING_KEY_UNAVAILABLE: 422,
    Code.CREDENTIAL_PLAINTEXT_DISCARDED: 422,
    Code.CREDENTIAL_NOT_SEALED: 409,
    Code.SEALED_KEY_DESTROYED: 410,
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
        Code.CREDENTIAL_REVOKED,
        Code.CREDENTIAL_SUSPENDED,
        Code.STATUS_UNAVAILABLE,
        Code.SEALED_INVALID,
        Code.SEALED_ALGORITHM_UNSUPPORTED,
        Code.SEALED_KEY_UNKNOWN,
        Code.SEALED_KEY_RETIRED,
        Code.DATA_CATEGORY_SEALING_REQUIRED,
        Code.SEALING_NOT_EXPECTED,
    }
)
