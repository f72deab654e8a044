"""The published vectors are the real shared schema: UNTP 0.6.1, W3C VC 2.0, JSON-LD safe mode (docs/design.md §4).

Every credential of every valid vector passes the official UN/CEFACT UNTP 0.6.1 JSON Schema of its type,
the W3C VC 2.0 JSON Schema, and JSON-LD expansion with no dropped member (contexts from files only); the
invalid vectors for the shared-schema failure modes fail exactly those checks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pilot.conformance.shared_schema import check_document
from schemas.jose import is_enveloped, read_enveloped
from schemas.models.registry import credential_type_of
from tests.support.files import VECTORS

pytestmark = pytest.mark.reference

UNTP_TYPES = {"DigitalFacilityRecord", "DigitalTraceabilityEvent", "DigitalConformityCredential"}


def _credentials(document: dict[str, object]) -> list[object]:
    if "manifest" in document:
        return [document["manifest"], *document["credentials"]]  # type: ignore[list-item]
    return [document]


def _payload(credential: object) -> dict[str, object]:
    assert isinstance(credential, dict)
    return dict(read_enveloped(credential).payload) if is_enveloped(credential) else credential


VALID = sorted(VECTORS.glob("valid/*.json"))


@pytest.mark.parametrize("path", VALID, ids=[p.name for p in VALID])
def test_every_valid_vector_passes_untp_vc_and_jsonld(path: Path, reference_dir: Path) -> None:
    document = json.loads(path.read_bytes())
    findings = check_document(document, reference_dir)
    assert [f.problem.as_dict() for f in findings] == []


def test_the_valid_vectors_hold_every_untp_type(reference_dir: Path) -> None:
    counts: dict[str, int] = {}
    for path in VALID:
        for credential in _credentials(json.loads(path.read_bytes())):
            record_type = credential_type_of(_payload(credential)) or "?"
            counts[record_type] = counts.get(record_type, 0) + 1
    assert set(counts) >= UNTP_TYPES, counts
    assert sum(counts[t] for t in UNTP_TYPES) >= 30, counts


@pytest.mark.parametrize(
    ("name", "code", "pointer"),
    [
        ("credential-schema-untp-member-missing", "UNTP_SCHEMA_INVALID", "/credentialSubject/facility"),
        ("credential-schema-untp-context-version", "UNTP_SCHEMA_INVALID", "/@context"),
        ("credential-schema-undefined-term", "JSONLD_TERM_UNDEFINED", "/credentialSubject/facility/favouriteColour"),
    ],
)
def test_shared_schema_invalid_vectors_fail_the_shared_checks(
    name: str, code: str, pointer: str, reference_dir: Path
) -> None:
    document = json.loads((VECTORS / "invalid" / f"{name}.json").read_bytes())
    found = [(f.problem.code, f.problem.path) for f in check_document(document, reference_dir)]
    assert any(c == code and p.startswith(pointer) for c, p in found), found
