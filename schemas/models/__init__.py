"""The record models of the wire contract: credentials, submission, log entry, trust list, and their checks.

The models and their checks are re-exported here; each submodule holds one record family.
"""

from __future__ import annotations

from schemas._internal.scalars import (
    REC20_UNITS,
    B64Hash,
    CountryCode,
    Date,
    DateTime,
    Did,
    Digest,
    HsCode,
    Rec20Unit,
    ShortId,
    SubdivisionCode,
    SubmissionId,
    format_datetime,
)
from schemas.models.base import DATA_CATEGORIES, DataCategory, Role, cat_field, field_categories
from schemas.models.conformity import ConformityAttestation, DigitalConformityCredential
from schemas.models.credential import (
    PILOT_CONTEXT,
    PILOT_CONTEXTS,
    UNTP_CONTEXTS,
    VC_CONTEXT,
    CredentialBase,
    CredentialIssuer,
    Issuer,
    record_contexts,
    record_types,
)
from schemas.models.event import BIZ_STEPS, DISPOSITIONS, DigitalTraceabilityEvent, TraceabilityEvent
from schemas.models.facility import DigitalFacilityRecord, Facility, FacilityRecord
from schemas.models.geometry import Polygon, geometry_problems
from schemas.models.language import LanguageTag, LanguageValue, Names
from schemas.models.log import LogEntry
from schemas.models.manifest import ConsignmentManifest, ManifestSubject
from schemas.models.receipt import ReceiptSubject, SubmissionReceipt
from schemas.models.regions import REGION_BBOXES, region_bbox
from schemas.models.registry import AUTHORIZED_ROLES, CREDENTIAL_TYPES, credential_type_of
from schemas.models.submission import EnvelopedCredentialRef, Submission
from schemas.models.trust_list import (
    TRUST_LIST_CONTEXTS,
    AnchorKey,
    Establishment,
    Participant,
    PortPolicy,
    TrustAnchor,
    TrustedKey,
    TrustList,
)
from schemas.models.untp import AGRI_TOPICS, CONFORMITY_TOPICS, UNTP_TOPIC_OF, SecureLink, hs_classification
from schemas.models.validate import (
    problems_from_validation_error,
    semantic_problems,
    validate_credential_payload,
    validate_model,
)
from schemas.models.veterinary import VeterinaryAttestation, VeterinarySubject

__all__ = [
    "AGRI_TOPICS",
    "AUTHORIZED_ROLES",
    "BIZ_STEPS",
    "CONFORMITY_TOPICS",
    "CREDENTIAL_TYPES",
    "DATA_CATEGORIES",
    "DISPOSITIONS",
    "PILOT_CONTEXT",
    "PILOT_CONTEXTS",
    "REC20_UNITS",
    "REGION_BBOXES",
    "TRUST_LIST_CONTEXTS",
    "UNTP_CONTEXTS",
    "UNTP_TOPIC_OF",
    "VC_CONTEXT",
    "AnchorKey",
    "B64Hash",
    "ConformityAttestation",
    "ConsignmentManifest",
    "CountryCode",
    "CredentialBase",
    "CredentialIssuer",
    "DataCategory",
    "Date",
    "DateTime",
    "Did",
    "Digest",
    "DigitalConformityCredential",
    "DigitalFacilityRecord",
    "DigitalTraceabilityEvent",
    "EnvelopedCredentialRef",
    "Establishment",
    "Facility",
    "FacilityRecord",
    "HsCode",
    "Issuer",
    "LanguageTag",
    "LanguageValue",
    "LogEntry",
    "ManifestSubject",
    "Names",
    "Participant",
    "Polygon",
    "PortPolicy",
    "Rec20Unit",
    "ReceiptSubject",
    "Role",
    "SecureLink",
    "ShortId",
    "SubdivisionCode",
    "Submission",
    "SubmissionId",
    "SubmissionReceipt",
    "TraceabilityEvent",
    "TrustAnchor",
    "TrustList",
    "TrustedKey",
    "VeterinaryAttestation",
    "VeterinarySubject",
    "cat_field",
    "credential_type_of",
    "field_categories",
    "format_datetime",
    "geometry_problems",
    "hs_classification",
    "problems_from_validation_error",
    "record_contexts",
    "record_types",
    "region_bbox",
    "semantic_problems",
    "validate_credential_payload",
    "validate_model",
]
