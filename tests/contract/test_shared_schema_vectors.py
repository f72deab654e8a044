"""The published vectors are the real shared schema: UNTP 0.6.1, W3C VC 2.0, JSON-LD safe mode (docs/design.md §4).

Every credential of every valid vector (the sealed one opened with the port's keys) passes the official
UN/CEFACT UNTP 0.6.1 JSON Schema of its type, the W3C VC 2.0 JSON Schema, and JSON-LD expansion with no
dropped member (contexts from files only); the invalid vectors for the shared-schema failure modes fail
exactly those checks. The pilot's models are a strict profile of UNTP: every variation of a real record that
our model accepts, UNTP's schema accepts too.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from pilot.conformance.shared_schema import UNTP_TYPES as UNTP_PART_OF
from pilot.conformance.shared_schema import check_document
from pilot.documents import read_agreement_keys
from schemas.jose import is_enveloped, read_enveloped
from schemas.models.registry import credential_type_of
from schemas.models.validate import validate_credential_payload
from schemas.sealing import is_sealed, open_sealed_credential
from tests.support.files import VECTORS

pytestmark = pytest.mark.reference

UNTP_TYPES = {"DigitalFacilityRecord", "DigitalTraceabilityEvent", "DigitalConformityCredential"}


def _credentials(document: dict[str, Any]) -> list[Any]:
    if "manifest" in document:
        return [document["manifest"], *document["credentials"]]
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


def test_the_valid_sealed_vector_passes_once_opened_with_the_ports_keys(reference_dir: Path) -> None:
    document = json.loads((VECTORS / "sealed" / "valid" / "submission-sealed-laboratory.json").read_bytes())
    keys = read_agreement_keys(VECTORS / "keys" / "cn-port-03.pem")
    sealed = [c for c in document["credentials"] if is_sealed(c)]
    opened = [open_sealed_credential(c, keys).credential for c in sealed]
    assert [credential_type_of(c) for c in opened] == ["DigitalConformityCredential"]
    assert [f.problem.as_dict() for f in check_document(document, reference_dir, keys)] == []


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


# --- a strict profile: whatever passes ours passes UNTP's ----------------------------------------------------


def _variations(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """(path, replacement) for every member of ``value``: deleted (replacement ``_DELETE``), or given a value of
    another kind or form (empty, not a URI, not a date, another case, another sign, a list for an object...)."""
    items: list[tuple[str | int, Any]] = (
        list(value.items()) if isinstance(value, dict) else list(enumerate(value)) if isinstance(value, list) else []
    )
    for key, item in items:
        here = (*path, key)
        others: tuple[Any, ...] = ()
        if isinstance(item, bool):
            others = ("true", not item)
        elif isinstance(item, int | float):
            others = (str(item), -1, 0, 1e300)
        elif isinstance(item, str):
            others = ("", "not a uri", 7, "2026-13-45", item.upper(), item + " ")
        elif isinstance(item, list):
            others = ([], {}, *item[:1])
        elif isinstance(item, dict):
            others = ("urn:x:y", {}, [item])
        yield here, _DELETE
        yield from ((here, other) for other in others)
        yield from _variations(item, here)


_DELETE = object()


def _varied(document: dict[str, Any], path: tuple[str | int, ...], replacement: Any) -> dict[str, Any]:
    varied = copy.deepcopy(document)
    holder: Any = varied
    for key in path[:-1]:
        holder = holder[key]
    if replacement is _DELETE:
        del holder[path[-1]]
    else:
        holder[path[-1]] = replacement
    return varied


def _clear_untp_records() -> dict[str, dict[str, Any]]:
    """The first clear credential of each UNTP type among the valid vectors."""
    found: dict[str, dict[str, Any]] = {}
    for path in VALID:
        document = json.loads(path.read_bytes())
        for credential in document.get("credentials", [document]):
            record_type = credential_type_of(credential)
            if record_type in UNTP_PART_OF and not is_enveloped(credential):
                found.setdefault(record_type, credential)
    return found


@pytest.mark.parametrize("record_type", sorted(UNTP_PART_OF))
def test_every_variation_our_model_accepts_passes_the_untp_schema(record_type: str, reference_dir: Path) -> None:
    record = _clear_untp_records()[record_type]
    schema = json.loads((reference_dir / "untp-0.6.1" / f"untp-{UNTP_PART_OF[record_type]}-schema.json").read_bytes())
    untp = jsonschema_rs.validator_for(schema, validate_formats=True)
    assert validate_credential_payload(record)[1] == [] and untp.is_valid(record)
    ours_accept = untp_refuses = 0
    outside_untp: list[str] = []
    for path, replacement in _variations(record):
        varied = _varied(record, path, replacement)
        untp_valid = untp.is_valid(varied)
        untp_refuses += not untp_valid
        if validate_credential_payload(varied)[1] == []:
            ours_accept += 1
            if not untp_valid:
                outside_untp.append(f"{'/'.join(map(str, path))}: {next(untp.iter_errors(varied)).message}")
    assert outside_untp == []
    # Not vacuous: both verdicts occur (measured: hundreds of each per record type).
    assert ours_accept >= 50 and untp_refuses >= 50, (ours_accept, untp_refuses)
