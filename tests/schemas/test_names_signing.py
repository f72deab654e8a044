"""Names in Cyrillic, Hanzi and decomposed (combining) form survive signing, canonicalization and verification
untouched: RFC 8785 does not normalise, and neither does anything of ours (docs/records.md)."""

from __future__ import annotations

import copy
import functools
import json
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from pilot.participants import language_values
from pilot.sandbox import DEFAULT_SEED, build_sandbox
from pilot.synthetic import Signer, build_world
from schemas.canonical import canonicalize
from schemas.digest import credential_digest
from schemas.issue import Securing
from schemas.jose import b64url, b64url_decode, read_enveloped
from schemas.records import facility_record_subject
from schemas.trust import TrustRegistry
from schemas.verify import check_credential

VECTORS = Path(__file__).resolve().parents[2] / "schemas" / "vectors"
AT = datetime(2026, 6, 1, tzinfo=UTC)
NFD = "Бере\u0308зка"
#: A farm with every kind of name the pilot meets: Cyrillic with a decomposed ё, Hanzi, pinyin with tone
#: marks, a CJK character outside the BMP (a surrogate pair in UTF-16), and right-to-left Arabic.
NAMES = (
    ("ru", f"Ферма «{NFD}»"),
    ("ru-Latn", "Ferma Bere\u0308zka"),
    ("zh", "白桦农场𠀋"),
    ("zh-Latn-pinyin", "Báihuà Nóngchǎng"),
    ("ar", "مزرعة البتولا"),
)


@functools.cache
def _trust() -> TrustRegistry:
    return TrustRegistry.from_document(build_sandbox().trust_list)


def _farm() -> dict[str, Any]:
    farm = copy.deepcopy(build_world(DEFAULT_SEED, "ru-exp-01").farms[0])
    farm["name"] = NAMES[0][1]
    farm["names"] = language_values(NAMES)
    farm["names"][-1]["@direction"] = "rtl"
    return farm


def _signed(securing: Securing) -> dict[str, Any]:
    signer = Signer(build_sandbox().keyrings, securing=securing)
    return signer.issue(
        "ru-exp-01", "DigitalFacilityRecord", facility_record_subject(_farm()), credential_id="urn:uuid:names-test"
    )


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    return value


@pytest.mark.parametrize("securing", ["data-integrity", "jose"])
def test_names_are_signed_and_verified_as_they_are(securing: Securing) -> None:
    credential = _signed(securing)
    report = check_credential(credential, _trust(), AT)
    assert report.verified, report.problems
    assert report.payload is not None
    facility = report.payload["credentialSubject"]["facility"]
    assert facility["name"] == NAMES[0][1]
    assert [(n["@language"], n["@value"]) for n in facility["names"]] == list(NAMES)
    assert facility["names"][-1]["@direction"] == "rtl"
    if securing == "jose":
        assert read_enveloped(credential).payload["credentialSubject"]["facility"]["names"] == facility["names"]


def _nfc_enveloped(credential: dict[str, Any]) -> dict[str, Any]:
    """The enveloped credential with its JWS payload normalised to NFC and the signature left as it was."""
    header, payload, signature = credential["id"].removeprefix("data:application/vc+jwt,").split(".")
    decoded = json.loads(b64url_decode(payload))
    assert _nfc(decoded) != decoded  # the payload does hold decomposed text
    normalised = b64url(json.dumps(_nfc(decoded), ensure_ascii=False, separators=(",", ":")).encode())
    return {**credential, "id": f"data:application/vc+jwt,{header}.{normalised}.{signature}"}


@pytest.mark.parametrize("securing", ["data-integrity", "jose"])
def test_normalising_a_signed_name_breaks_the_signature(securing: Securing) -> None:
    """Whoever normalises (NFC) a signed name changes the signed bytes: the proof no longer verifies."""
    credential = _signed(securing)
    normalised = _nfc(credential) if securing == "data-integrity" else _nfc_enveloped(credential)
    assert normalised != credential
    report = check_credential(normalised, _trust(), AT)
    assert not report.verified
    assert "PROOF_INVALID" in {str(p.code) for p in report.errors}
    assert credential_digest(normalised) != credential_digest(credential)


def test_the_canonical_bytes_keep_every_code_point() -> None:
    credential = _signed("data-integrity")
    data = canonicalize(credential)
    assert data == rfc8785.dumps(credential)
    assert "е\u0308".encode() in data and "ё".encode() not in data  # decomposed stays decomposed
    assert "白桦农场𠀋".encode() in data and b"\\u" not in data  # UTF-8, never escaped (RFC 8785 §3.2.2.2)
    assert json.loads(data) == credential


@given(st.text(st.characters(codec="utf-8"), min_size=1, max_size=40))
def test_any_name_canonicalizes_as_rfc_8785_does_and_comes_back_whole(text: str) -> None:
    document: dict[str, Any] = {
        "name": text,
        "names": [{"@value": text, "@language": "ru"}, {"@value": text[::-1], "@language": "zh"}],
    }
    data = canonicalize(document)
    assert data == rfc8785.dumps(document)
    assert json.loads(data) == document


def test_the_published_vectors_carry_decomposed_cyrillic_and_hanzi() -> None:
    """Outside implementers meet these names in the vectors (their verifiers must not normalise either)."""
    record = (VECTORS / "valid" / "credential-facility-record.json").read_bytes()
    assert "Бере\u0308зка".encode() in record
    facility = json.loads(record)["credentialSubject"]["facility"]
    assert [n["@language"] for n in facility["names"]] == ["ru", "ru-Latn"]
    assert check_credential(json.loads(record), _trust(), AT).verified
    trust_list = (VECTORS / "trust-list.json").read_text()
    assert "满洲里铁路口岸管理局（虚构）" in trust_list and "zh-Latn-pinyin" in trust_list
