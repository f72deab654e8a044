"""The pilot's wire contract, importable alone: a third party verifies any record, receipt or proof with it.

Pure: no web framework, database or network. The main entry points are re-exported here; the modules
beside this one (``schemas.receipt``, ``schemas.rules``, ``schemas.models``, ...) are public too, and
what is only the package's own business lives under ``schemas._internal`` (no other package imports it;
``tests/contract/test_layers.py`` checks). Main entry points:

- ``check_credential`` / ``verify_credential``: one credential (embedded eddsa-jcs-2022 proof or VC-JOSE
  envelope) against a ``TrustRegistry`` at a time;
- ``assess_submission``: a whole submission as a port judges it (decision and every reason);
- ``verify_receipt``: a port's signed receipt, its log entry, checkpoint and inclusion proof;
- ``load_trust_list`` / ``verify_trust_list``: the signed trust list against the pinned anchor;
- ``verify_inclusion`` / ``verify_consistency`` / ``verify_checkpoint`` / ``verify_cosignature``:
  RFC 9162 proofs and C2SP signed notes;
- ``epcis_events`` / ``epcis_document``: traceability events (UNTP DTE) as GS1 EPCIS 2.0 events and documents;
- ``expansion_problems``: JSON-LD expansion offline (safe mode) with the pilot's contexts (``CONTEXTS_DIR``)
  and the W3C/UNTP ones from a reference directory;
- ``seal`` / ``open_sealed`` / ``open_sealed_credential``: sealed credentials (a compact JWE to a port's
  X25519 ``keyAgreement`` key, ``is_sealed`` tells one in a submission), X25519 Multikey;
- ``canonicalize`` (RFC 8785), ``parse_json`` (strict), digests, Multikey, signing helpers.
"""

from schemas.assess import Assessment, assess_submission
from schemas.canonical import canonicalize, canonicalize_reference
from schemas.codes import Code
from schemas.data_integrity import DataIntegrityProof, read_proof, sign_data_integrity, verify_data_integrity
from schemas.digest import canonical_digest, credential_digest, parse_digest, sha256_digest
from schemas.epcis import (
    CBV_BIZ_STEPS,
    CBV_BIZ_TRANSACTION_TYPES,
    CBV_DISPOSITIONS,
    CBV_SOURCE_DEST_TYPES,
    dte_credentials,
    epcis_document,
    epcis_events,
)
from schemas.errors import (
    CanonicalizationError,
    JsonMalformedError,
    KeyFormatError,
    PilotSchemaError,
    Reason,
    VerificationError,
)
from schemas.identifiers import log_origin
from schemas.issue import credential_reference, secure, unsigned_credential
from schemas.jose import EnvelopedCredential, is_enveloped, read_enveloped, sign_enveloped, verify_enveloped
from schemas.jsonio import parse_json
from schemas.jsonld import (
    CONTEXTS_DIR,
    ContextUnavailableError,
    OfflineDocumentLoader,
    context_index,
    document_loader,
    expansion_problems,
    reference_dir,
)
from schemas.keyring import KeyEntry, dump_keyring, load_keyring, select_key
from schemas.keys import key_from_seed, private_key_from_pem, private_key_to_pem, x25519_key_from_seed
from schemas.merkle import (
    MerkleTree,
    leaf_hash,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from schemas.models.base import DataCategory, Role, field_categories
from schemas.models.registry import AUTHORIZED_ROLES, CREDENTIAL_TYPES, credential_type_of
from schemas.multikey import decode_multikey, decode_x25519_multikey, encode_multikey, encode_x25519_multikey
from schemas.receipt import (
    RECEIPT_CHECKS,
    VerifiedReceipt,
    build_receipt,
    log_entry_of,
    verify_log_checkpoint,
    verify_receipt,
)
from schemas.rules import PORT_RULES
from schemas.sealing import (
    OpenedCredential,
    is_sealed,
    open_sealed,
    open_sealed_credential,
    read_sealed,
    seal,
    sealed_credential,
)
from schemas.signed_note import (
    Checkpoint,
    SignedNote,
    cosign_checkpoint,
    parse_signed_note,
    sign_checkpoint,
    verify_checkpoint,
    verify_cosignature,
)
from schemas.time import format_time, parse_time
from schemas.trust import ResolvedKey, TrustRegistry, load_trust_list, sign_trust_list, verify_trust_list
from schemas.verify import CredentialReport, check_credential, verify_credential

__all__ = [
    "AUTHORIZED_ROLES",
    "CBV_BIZ_STEPS",
    "CBV_BIZ_TRANSACTION_TYPES",
    "CBV_DISPOSITIONS",
    "CBV_SOURCE_DEST_TYPES",
    "CONTEXTS_DIR",
    "CREDENTIAL_TYPES",
    "PORT_RULES",
    "RECEIPT_CHECKS",
    "Assessment",
    "CanonicalizationError",
    "Checkpoint",
    "Code",
    "ContextUnavailableError",
    "CredentialReport",
    "DataCategory",
    "DataIntegrityProof",
    "EnvelopedCredential",
    "JsonMalformedError",
    "KeyEntry",
    "KeyFormatError",
    "MerkleTree",
    "OfflineDocumentLoader",
    "OpenedCredential",
    "PilotSchemaError",
    "Reason",
    "ResolvedKey",
    "Role",
    "SignedNote",
    "TrustRegistry",
    "VerificationError",
    "VerifiedReceipt",
    "assess_submission",
    "build_receipt",
    "canonical_digest",
    "canonicalize",
    "canonicalize_reference",
    "check_credential",
    "context_index",
    "cosign_checkpoint",
    "credential_digest",
    "credential_reference",
    "credential_type_of",
    "decode_multikey",
    "decode_x25519_multikey",
    "document_loader",
    "dte_credentials",
    "dump_keyring",
    "encode_multikey",
    "encode_x25519_multikey",
    "epcis_document",
    "epcis_events",
    "expansion_problems",
    "field_categories",
    "format_time",
    "is_enveloped",
    "is_sealed",
    "key_from_seed",
    "leaf_hash",
    "load_keyring",
    "load_trust_list",
    "log_entry_of",
    "log_origin",
    "open_sealed",
    "open_sealed_credential",
    "parse_digest",
    "parse_json",
    "parse_signed_note",
    "parse_time",
    "private_key_from_pem",
    "private_key_to_pem",
    "read_enveloped",
    "read_proof",
    "read_sealed",
    "reference_dir",
    "root_from_inclusion_proof",
    "seal",
    "sealed_credential",
    "secure",
    "select_key",
    "sha256_digest",
    "sign_checkpoint",
    "sign_data_integrity",
    "sign_enveloped",
    "sign_trust_list",
    "unsigned_credential",
    "verify_checkpoint",
    "verify_consistency",
    "verify_cosignature",
    "verify_credential",
    "verify_data_integrity",
    "verify_enveloped",
    "verify_inclusion",
    "verify_log_checkpoint",
    "verify_receipt",
    "verify_trust_list",
    "x25519_key_from_seed",
]
