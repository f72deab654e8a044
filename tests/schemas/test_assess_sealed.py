"""A port's assessment of sealed credentials (docs/design.md §§4, 8): opened, verified like clear ones, held to policy.

The sandbox's ports: cn-port-03 takes ``laboratory`` only sealed (its current keyAgreement key is ``key-4``,
``key-5`` retired on 2026-06-30), cn-port-02 refuses it, cn-port-01 permits it in clear text. Every case is a
real signed consignment, its conformity credential carrying laboratory results, sealed as an exporter seals
(or as a careless or hostile one would), and asserts the decision, the codes and what may be stored.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pilot.sandbox import build_sandbox
from schemas.assess import Assessment, assess_submission
from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.errors import VerificationError
from schemas.sealing import is_sealed, read_sealed, seal, sealed_credential, sealed_header
from schemas.trust import TrustRegistry
from tests.support.sealed import (
    LAB_VALUE,
    agreement_kid,
    credential_index,
    lab_submission,
    port_agreement_keys,
    rewrite_sealed,
    sealed_at,
)

Doc = dict[str, Any]
AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SEALS = "cn-port-03"
EXPORTER = "ru-exp-01"
DCC = "DigitalConformityCredential"
#: Where the laboratory results are in the conformity credential.
LAB_POINTER = "/credentialSubject/assessment/0/laboratoryResults"


@functools.cache
def _trust() -> TrustRegistry:
    return TrustRegistry.from_document(build_sandbox().trust_list)


@functools.cache
def _clear(port: str = SEALS) -> Doc:
    return lab_submission(EXPORTER, f"sealed-{port}", port)


def _dcc(document: Doc) -> int:
    return credential_index(document, DCC)


def _sealed(port: str = SEALS, **options: Any) -> Doc:
    clear = _clear(port)
    return sealed_at(clear, _dcc(clear), port, **options)


def _assess(
    document: Any,
    port: str = SEALS,
    keys: dict[str, X25519PrivateKey] | None = None,
    trust: TrustRegistry | None = None,
    **options: Any,
) -> Assessment:
    return assess_submission(
        document,
        trust or _trust(),
        port_id=port,
        at=AT,
        exporter_id=EXPORTER,
        agreement_keys=port_agreement_keys(port) if keys is None else keys,
        **options,
    )


def _codes(assessment: Assessment) -> list[str]:
    return assessment.reason_codes


# -- what passes ------------------------------------------------------------------------------------------


def test_a_lab_credential_sealed_to_the_current_key_is_opened_verified_and_accepted() -> None:
    document = _sealed()
    assessment = _assess(document)
    assert assessment.decision == "accepted", [r.as_dict() for r in assessment.reasons]
    assert assessment.reasons == []
    report = assessment.credentials[_dcc(_clear())]
    assert report.sealed_to == agreement_kid(SEALS)
    assert report.verified and report.record_type == DCC
    # The report describes the credential inside: the digest the manifest pins, its categories.
    assert report.digest == credential_digest(_clear()["credentials"][_dcc(_clear())])
    assert any(pointer == LAB_POINTER for pointer, _ in report.categories or [])
    # The port may store what it received: the sealed form, the lab values nowhere in clear.
    assert assessment.may_store_content
    assert LAB_VALUE.encode() not in canonicalize(document)
    assert all(r.sealed_to is None for i, r in enumerate(assessment.credentials) if i != _dcc(_clear()))


def test_the_clear_path_does_not_change() -> None:
    """A clear submission without laboratory results to cn-port-03: same verdict with or without keys."""
    document = lab_submission(EXPORTER, "no-lab", SEALS, laboratory=False)
    with_keys, without = _assess(document), _assess(document, keys={})
    assert with_keys.decision == without.decision == "accepted"
    assert with_keys.reasons == without.reasons == []
    assert all(r.sealed_to is None for r in with_keys.credentials)


# -- the key a sealed credential names -------------------------------------------------------------------


def _revoked_key_trust() -> TrustRegistry:
    """The sandbox list with cn-port-03's current keyAgreement key revoked before AT (not signed: the index only)."""
    document = copy.deepcopy(build_sandbox().trust_list)
    for participant in document["participants"]:
        for key in participant["keys"]:
            if key["id"] == agreement_kid(SEALS):
                key["revokedAt"] = "2026-11-01T00:00:00Z"
    return TrustRegistry.from_document(document)


SealCase = tuple[Callable[[], Doc], Code, dict[str, Any]]

SEALED_FAULTS: dict[str, SealCase] = {
    "sealed to cn-port-03's retired key-5 (the port still holds it)": (
        lambda: _sealed(label="key-5"),
        Code.SEALED_KEY_RETIRED,
        {},
    ),
    "sealed to cn-port-03's key-4, revoked before receipt": (
        _sealed,
        Code.SEALED_KEY_RETIRED,
        {"trust": _revoked_key_trust()},
    ),
    "wrong recipient: sealed to cn-port-01's key-4, sent to cn-port-03 (which holds both keys)": (
        lambda: sealed_at(_clear(), _dcc(_clear()), "cn-port-01"),
        Code.SEALED_KEY_UNKNOWN,
        {"keys": {**port_agreement_keys(SEALS), **port_agreement_keys("cn-port-01")}},
    ),
    "names cn-port-03's key-4 but encrypted to cn-port-01's": (
        lambda: _sealed(encrypt_to=agreement_kid("cn-port-01")),
        Code.SEALED_INVALID,
        {},
    ),
    "a kid that is no key of the trust list": (
        lambda: sealed_at(_clear(), _dcc(_clear()), SEALS, label="key-99", encrypt_to=agreement_kid(SEALS)),
        Code.SEALED_KEY_UNKNOWN,
        {},
    ),
    "a kid that names a signing key of the port": (
        lambda: sealed_at(_clear(), _dcc(_clear()), SEALS, label="key-1", encrypt_to=agreement_kid(SEALS)),
        Code.SEALED_KEY_UNKNOWN,
        {},
    ),
    "the port holds no private key for its current key (destroyed)": (
        _sealed,
        Code.SEALED_KEY_UNKNOWN,
        {"keys": {}},
    ),
    "tampered ciphertext": (
        lambda: rewrite_sealed(_sealed(), _dcc(_clear()), 3, lambda b: b[:10] + bytes([b[10] ^ 1]) + b[11:]),
        Code.SEALED_INVALID,
        {},
    ),
    "tampered authentication tag": (
        lambda: rewrite_sealed(_sealed(), _dcc(_clear()), 4, lambda b: bytes([b[0] ^ 0x80]) + b[1:]),
        Code.SEALED_INVALID,
        {},
    ),
    "another key-wrapping algorithm in the header": (
        lambda: rewrite_sealed(
            _sealed(), _dcc(_clear()), 0, lambda b: b.replace(b'"ECDH-ES+A256KW"', b'"ECDH-ES+A128KW"')
        ),
        Code.SEALED_ALGORITHM_UNSUPPORTED,
        {},
    ),
    "not a compact JWE at all": (
        lambda: _with_credential(_clear(), _dcc(_clear()), sealed_credential("not.a.jwe")),
        Code.SEALED_INVALID,
        {},
    ),
}


def _with_credential(document: Doc, index: int, credential: Doc) -> Doc:
    changed = copy.deepcopy(document)
    changed["credentials"][index] = credential
    return changed


@pytest.mark.parametrize("name", sorted(SEALED_FAULTS))
def test_a_sealed_credential_that_cannot_be_opened_rejects_and_is_not_stored(name: str) -> None:
    build, code, options = SEALED_FAULTS[name]
    document = build()
    assessment = _assess(document, **options)
    assert assessment.decision == "rejected"
    index = _dcc(_clear())
    assert [(r.code, r.path) for r in assessment.reasons] == [(code, f"/credentials/{index}/id")]
    report = assessment.credentials[index]
    assert report.unopened and report.sealed_to is None and report.categories is None
    # Nothing of it is known, so nothing of the submission is kept: the digest and the reasons only.
    assert not assessment.may_store_content
    # The manifest's reference to it is not called missing: it may be inside.
    assert Code.REFERENCED_CREDENTIAL_MISSING not in _codes(assessment)


def test_reasons_never_quote_the_kid_or_the_plaintext() -> None:
    for build, _, options in SEALED_FAULTS.values():
        reasons = json.dumps([r.as_dict() for r in _assess(build(), **options).reasons])
        assert "key-99" not in reasons and LAB_VALUE not in reasons


# -- what the policy says about sealing -------------------------------------------------------------------


def test_laboratory_results_in_clear_text_to_a_port_that_seals_them() -> None:
    assessment = _assess(_clear())
    index = _dcc(_clear())
    assert [(r.code, r.path) for r in assessment.reasons] == [
        (Code.DATA_CATEGORY_SEALING_REQUIRED, f"/credentials/{index}{LAB_POINTER}")
    ]
    assert assessment.decision == "rejected"
    assert not assessment.may_store_content  # the plaintext is never kept


def test_a_sealed_credential_without_laboratory_results_is_not_expected() -> None:
    clear = _clear()
    facility = credential_index(clear, "DigitalFacilityRecord")
    assessment = _assess(sealed_at(clear, facility, SEALS))
    assert [(r.code, r.path) for r in assessment.reasons] == [
        (Code.DATA_CATEGORY_SEALING_REQUIRED, f"/credentials/{_dcc(clear)}{LAB_POINTER}"),
        (Code.SEALING_NOT_EXPECTED, f"/credentials/{facility}"),
    ]
    assert assessment.credentials[facility].verified  # it opened and verified; the policy refuses it sealed


def test_sealing_to_a_port_that_permits_laboratory_in_clear_is_not_expected() -> None:
    assessment = _assess(_sealed("cn-port-01"), "cn-port-01")
    assert _codes(assessment) == [Code.SEALING_NOT_EXPECTED]
    assert assessment.decision == "rejected"


def test_a_port_that_refuses_laboratory_refuses_it_sealed_too() -> None:
    assessment = _assess(_sealed("cn-port-02"), "cn-port-02")
    assert _codes(assessment) == [Code.DATA_CATEGORY_NOT_PERMITTED, Code.SEALING_NOT_EXPECTED]
    assert not assessment.may_store_content


def test_the_credential_inside_is_verified_exactly_as_a_clear_one() -> None:
    """A lab result changed after signing, then sealed: opens fine, and its proof fails."""
    clear = copy.deepcopy(_clear())
    index = _dcc(clear)
    clear["credentials"][index]["credentialSubject"]["assessment"][0]["laboratoryResults"][0]["result"] = "changed"
    assessment = _assess(sealed_at(clear, index, SEALS))
    report = assessment.credentials[index]
    assert report.sealed_to == agreement_kid(SEALS) and not report.signature_verified
    assert Code.PROOF_INVALID in _codes(assessment)
    assert Code.EVIDENCE_DIGEST_MISMATCH in _codes(assessment)  # the manifest pins the signed plaintext
    assert Code.DATA_CATEGORY_SEALING_REQUIRED not in _codes(assessment)


def test_the_manifest_is_never_sealed() -> None:
    clear = _clear()
    document = copy.deepcopy(clear)
    document["manifest"] = sealed_credential(
        seal(clear["manifest"], _trust().agreement_keys[agreement_kid(SEALS)].public_key, agreement_kid(SEALS))
    )
    assessment = _assess(document)
    assert (Code.SEALING_NOT_EXPECTED, "/manifest") in [(r.code, r.path) for r in assessment.reasons]
    assert assessment.decision == "rejected" and not assessment.may_store_content


# -- an exporter's pre-check on plaintext (sealed_indexes) ------------------------------------------------


def test_a_pre_check_judges_the_credentials_it_will_seal_as_sealed() -> None:
    clear = _clear()
    index = _dcc(clear)
    assessment = _assess(clear, keys={}, sealed_indexes=[index])
    assert assessment.decision == "accepted" and assessment.reasons == []
    assert assessment.credentials[index].sealed_to == agreement_kid(SEALS)
    assert not any(is_sealed(c) for c in clear["credentials"])


def test_a_pre_check_that_would_seal_the_wrong_credential_says_so() -> None:
    clear = _clear()
    facility = credential_index(clear, "DigitalFacilityRecord")
    codes = _codes(_assess(clear, keys={}, sealed_indexes=[facility]))
    assert codes == [Code.DATA_CATEGORY_SEALING_REQUIRED, Code.SEALING_NOT_EXPECTED]


def test_a_pre_check_for_a_port_without_a_current_sealing_key_cannot_seal() -> None:
    """cn-port-03's list without key-4 (only the retired key-5): nothing can be sealed to it."""
    trust = _trust()
    without = {kid: key for kid, key in trust.agreement_keys.items() if kid != agreement_kid(SEALS)}
    no_key = replace(trust, agreement_keys=without)
    assert no_key.sealing_key(SEALS, AT) is None
    clear = _clear()
    assessment = _assess(clear, keys={}, trust=no_key, sealed_indexes=[_dcc(clear)])
    assert _codes(assessment) == [Code.DATA_CATEGORY_SEALING_REQUIRED]


def test_the_kid_is_read_from_the_protected_header_before_any_key() -> None:
    sealed = _sealed()["credentials"][_dcc(_clear())]
    header = sealed_header(read_sealed(sealed))
    assert header["kid"] == agreement_kid(SEALS) and header["alg"] == "ECDH-ES+A256KW"
    rewritten = rewrite_sealed(_sealed(), _dcc(_clear()), 0, lambda b: b.replace(b'"A256GCM"', b'"A128GCM"'))
    with pytest.raises(VerificationError) as caught:
        sealed_header(read_sealed(rewritten["credentials"][_dcc(_clear())]), path="/x")
    assert caught.value.code == Code.SEALED_ALGORITHM_UNSUPPORTED and caught.value.problems[0].path == "/x"
