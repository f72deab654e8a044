"""docs/reliability.md, attacks 1, 2, 7, 8, at the assessment itself: the attacks of the outside review, as named cases.

- data categories are checked whatever the verification outcome, and content that cannot be
  classified is not kept; reasons never quote input values; a receipt carries a bounded list of reasons;
- every business rule is tied to the authenticated submitter and to the issuers;
- inspection sampling uses a key the exporter does not have.

Each case asserts the decision and the codes, so it fails on the code before the attack fixes (which accepted
the attacks, or stored what it may not), and passes now.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from pilot.participants import EXPORTERS, exporter
from pilot.sandbox import DEFAULT_SEED, build_sandbox, plant_number
from pilot.synthetic import ConsignmentParts, Signer, build_world, plan_consignment, sign_consignment, stable_id
from schemas.assess import Assessment, assess_submission
from schemas.identifiers import did_of
from schemas.issue import secure
from schemas.keys import key_from_seed
from schemas.records import facility_record_subject
from schemas.trust import TrustRegistry
from tests.support.json_paths import JsonPath, get, leaves

Doc = dict[str, Any]
AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PORT = "cn-port-01"
#: What an exporter's staff typed where it does not belong (the review's example).
PERSONAL = "Ivan Ivanov, private mobile +7 916 555-01-02"


@functools.cache
def _trust() -> TrustRegistry:
    return TrustRegistry.from_document(build_sandbox().trust_list)


@functools.cache
def _signer() -> Signer:
    return Signer(build_sandbox().keyrings)


def _parts(exporter_id: str, name: str, port: str = PORT) -> ConsignmentParts:
    world = build_world(DEFAULT_SEED, exporter_id)
    return plan_consignment(DEFAULT_SEED, world, f"att-{exporter_id}-{name}", port, "rail")


def _sign(parts: ConsignmentParts) -> Doc:
    submission: Doc = sign_consignment(DEFAULT_SEED, parts, _signer()).submission
    return submission


def _assess(document: Any, exporter_id: str | None = "ru-exp-01", port: str = PORT, **kwargs: Any) -> Assessment:
    return assess_submission(document, _trust(), port_id=port, at=AT, exporter_id=exporter_id, **kwargs)


def _personal_facility_record(exporter_id: str = "ru-exp-01") -> Doc:
    farm = dict(build_world(DEFAULT_SEED, exporter_id).farms[0])
    farm["operatorContact"] = {"name": "Ivan Ivanov", "phone": "+7 916 555-01-02"}
    credential: Doc = _signer().issue(
        exporter_id, "DigitalFacilityRecord", facility_record_subject(farm), credential_id=stable_id("att", "personal")
    )
    return credential


# -- item 1: data categories whatever the verification outcome ------------------------------------------


def _tampered(credential: Doc) -> Doc:
    credential["credentialSubject"]["facility"]["name"] += " (renamed)"
    return credential


def _unsigned(credential: Doc) -> Doc:
    del credential["proof"]
    return credential


def _unknown_key(credential: Doc) -> Doc:
    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    stranger = key_from_seed(b"not in the trust list")
    return secure(unsigned, stranger, did_of("ru-exp-01") + "#key-9")


def _proof_smuggles(credential: Doc) -> Doc:
    credential["proof"]["operatorContact"] = {"name": "Ivan Ivanov", "phone": "+7 916 555-01-02"}
    return credential


#: name -> (how the personal facility record is spoiled, the real reason, categories checked?)
CATEGORY_CASES: dict[str, tuple[Callable[[Doc], Doc], str, bool]] = {
    "tampered": (_tampered, "PROOF_INVALID", True),
    "unsigned": (_unsigned, "PROOF_MISSING", True),
    "unknown key": (_unknown_key, "ISSUER_UNKNOWN", True),
    # Not classifiable: the proof carries members no schema classifies.
    "personal data in the proof": (_proof_smuggles, "PROOF_INVALID", False),
}


@pytest.mark.parametrize("name", sorted(CATEGORY_CASES))
def test_a_refused_category_is_found_whatever_the_proof_outcome(name: str) -> None:
    spoil, real_reason, classified = CATEGORY_CASES[name]
    document = _sign(_parts("ru-exp-01", "categories"))
    document["credentials"].append(spoil(_personal_facility_record()))
    assessment = _assess(document)
    assert assessment.decision == "rejected"
    assert real_reason in assessment.reason_codes  # the decision still carries the real reasons
    assert ("DATA_CATEGORY_NOT_PERMITTED" in assessment.reason_codes) == classified
    assert not assessment.may_store_content, "content with a refused or unclassifiable field must not be kept"


def _unknown_member(credential: Doc) -> Doc:
    credential["credentialSubject"]["facility"]["contactOfTheOwner"] = PERSONAL
    return credential


def _unknown_type(credential: Doc) -> Doc:
    credential["type"] = ["FarmerProfile", "VerifiableCredential"]
    return credential


@pytest.mark.parametrize("spoil", [_unknown_member, _unknown_type], ids=["unknown member", "unknown type"])
def test_a_field_that_cannot_be_classified_is_not_kept(spoil: Callable[[Doc], Doc]) -> None:
    document = _sign(_parts("ru-exp-01", "unclassified"))
    farm = build_world(DEFAULT_SEED, "ru-exp-01").farms[0]
    record = _signer().issue(
        "ru-exp-01", "DigitalFacilityRecord", facility_record_subject(farm), credential_id=stable_id("att", "u")
    )
    document["credentials"].append(spoil(record))  # unsigned edit: the proof fails too
    assessment = _assess(document)
    assert assessment.decision == "rejected"
    assert "PROOF_INVALID" in assessment.reason_codes
    assert "DATA_CATEGORY_NOT_PERMITTED" not in assessment.reason_codes  # only real reasons
    assert not assessment.may_store_content


def test_a_valid_submission_may_be_kept() -> None:
    assessment = _assess(_sign(_parts("ru-exp-01", "keepable")))
    assert assessment.decision == "accepted", assessment.reasons
    assert assessment.may_store_content


# -- item 1: reasons never quote input values ---------------------------------------------------------------


def _string_leaves(document: Any) -> Iterator[JsonPath]:
    """Paths of every string or number (not boolean) in ``document``, depth first."""
    for path in leaves(document):
        value = get(document, path)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            yield path


def _set(document: Any, path: JsonPath, value: Any) -> None:
    get(document, path[:-1])[path[-1]] = value


def _signed_with(exporter_id: str, record: Doc, path: tuple[Any, ...], value: Any) -> Doc:
    """``record`` (a signed credential) with ``value`` at ``path``, signed again by its issuer."""
    unsigned = {k: v for k, v in copy.deepcopy(record).items() if k != "proof"}
    _set(unsigned, path, value)
    entry = _signer().key(exporter_id)
    return secure(unsigned, entry.private_key, entry.verification_method)


def _leaks(assessment: Assessment, needles: list[str]) -> list[dict[str, str]]:
    return [
        reason.as_dict()
        for reason in assessment.reasons
        if any(needle in reason.message or needle in reason.path for needle in needles)
    ]


def test_no_reason_quotes_a_value_put_anywhere_in_a_signed_credential() -> None:
    """Every string or number of a facility record, a traceability event and the manifest, in turn, replaced
    by personal data (re-signed by the exporter, so the schema is what fails): no reason quotes it."""
    base = _sign(_parts("ru-exp-01", "quotes"))
    needles = [PERSONAL, "Ivan", "79165550102"]
    leaks: list[Any] = []
    for index in (0, 3):  # a farm's facility record, the traceability event
        record = base["credentials"][index]
        for path in _string_leaves({k: v for k, v in record.items() if k != "proof"}):
            for value in (PERSONAL, 79165550102):
                document = copy.deepcopy(base)
                document["credentials"][index] = _signed_with("ru-exp-01", record, path, value)
                leaks += [(index, path, leak) for leak in _leaks(_assess(document), needles)]
    manifest_paths = list(_string_leaves({k: v for k, v in base["manifest"].items() if k != "proof"}))
    for path in manifest_paths:
        document = copy.deepcopy(base)
        document["manifest"] = _signed_with("ru-exp-01", base["manifest"], path, PERSONAL)
        leaks += [("manifest", path, leak) for leak in _leaks(_assess(document), needles)]
    assert leaks == []


def test_no_reason_quotes_an_unsigned_value_or_member_name() -> None:
    base = _sign(_parts("ru-exp-01", "quotes-unsigned"))
    needles = [PERSONAL, "Ivan"]
    mutations: list[Callable[[Doc], Any]] = [
        lambda d: d.update(submissionId=PERSONAL),
        lambda d: d.update({PERSONAL: 1}),
        lambda d: d["manifest"].update({PERSONAL: PERSONAL}),
        lambda d: d["manifest"]["proof"].update(type=PERSONAL),
        lambda d: d["manifest"]["proof"].update(created=PERSONAL),
        lambda d: d["manifest"]["proof"].update(verificationMethod=PERSONAL),
        lambda d: d["manifest"]["proof"].update(proofValue="z" + PERSONAL),
        lambda d: d["credentials"][0]["proof"].update(verificationMethod=did_of("ru-exp-01") + "#" + PERSONAL),
        lambda d: d["credentials"].append({"type": PERSONAL}),
        lambda d: d["credentials"].append({"@context": "https://www.w3.org/ns/credentials/v2",
                                           "type": "EnvelopedVerifiableCredential", "id": PERSONAL}),
    ]  # fmt: skip
    cases: list[Doc] = []
    for mutate in mutations:
        document = copy.deepcopy(base)
        mutate(document)
        cases.append(document)
    leaks = [leak for document in cases for leak in _leaks(_assess(document), needles)]
    assert leaks == []


# -- items 1 and 7: a bounded list of reasons --------------------------------------------------------------


def test_a_receipt_carries_a_bounded_list_of_reasons() -> None:
    """110,000 unknown members (the review's 1 MiB body): the decision stands, the receipt list is capped."""
    document = _sign(_parts("ru-exp-01", "amplify"))
    for n in range(110_000):
        document[f"m{n}"] = 0
    assessment = _assess(document)
    assert assessment.decision == "rejected"
    assert len(assessment.reasons) == 110_000
    receipt = assessment.receipt_reasons
    assert len(receipt) == 51
    assert str(receipt[-1].code) == "REASONS_OMITTED" and "109950 more reasons" in receipt[-1].message
    assert set(assessment.receipt_reason_codes) == {*assessment.reason_codes, "REASONS_OMITTED"}
    assert len(json.dumps([r.as_dict() for r in receipt])) < 16_000


def test_every_distinct_code_survives_the_cap() -> None:
    """200 schema problems first, then a tampered credential and a refused field: all three codes stay."""
    base = _sign(_parts("ru-exp-01", "codes-kept"))
    record = base["credentials"][0]
    noisy = _signed_with("ru-exp-01", record, ("credentialSubject", "facility", "m0"), 0)
    for n in range(1, 200):
        noisy["credentialSubject"]["facility"][f"m{n}"] = 0
    noisy = _signed_with("ru-exp-01", noisy, ("credentialSubject", "facility", "m0"), 0)
    document = copy.deepcopy(base)
    document["credentials"] = [noisy, *base["credentials"][1:], _tampered(_personal_facility_record())]
    assessment = _assess(document)
    codes = assessment.receipt_reason_codes
    assert {"SCHEMA_INVALID", "PROOF_INVALID", "DATA_CATEGORY_NOT_PERMITTED", "REASONS_OMITTED"} <= set(codes)
    assert set(codes) == {*assessment.reason_codes, "REASONS_OMITTED"}
    assert len(assessment.receipt_reasons) == 51


def test_a_member_name_that_is_not_an_identifier_never_reaches_a_path() -> None:
    base = _sign(_parts("ru-exp-01", "long-name"))
    record = base["credentials"][0]
    long_name = "x" * 100_000
    document = copy.deepcopy(base)
    document["credentials"][0] = _signed_with(
        "ru-exp-01", record, ("credentialSubject", "facility", long_name), PERSONAL
    )
    reasons = _assess(document).receipt_reasons
    unknown = [r for r in reasons if r.path.startswith("/credentials/0/credentialSubject/facility")]
    assert unknown and all(len(r.path) < 100 and len(r.message) < 200 for r in reasons)
    assert "100000 characters" in unknown[0].message


# -- item 2: business rules tied to the submitter and the issuers ------------------------------------------

BEEF = exporter("ru-exp-02").hs_code


def _beef_under_another_plant() -> tuple[str, Doc]:
    """ru-exp-01 ships beef under RU-ALT-0201, which the register binds to ru-exp-02 (events say beef too)."""
    parts = _parts("ru-exp-01", "alt-plant")
    parts.lots[0].update(hsCode=BEEF, establishmentNumber=plant_number("ru-exp-02"))
    for event in parts.events:
        event["hsCode"] = BEEF
    return "ru-exp-01", _sign(parts)


def _all_records_of_another_exporter() -> tuple[str, Doc]:
    """ru-exp-02's signed records, under a manifest ru-exp-01 signs (naming itself) and sends."""
    signed = sign_consignment(DEFAULT_SEED, _parts("ru-exp-02", "borrowed"), _signer())
    subject = signed.manifest_subject()
    subject["exporter"] = did_of("ru-exp-01")
    manifest = _signer().issue(
        "ru-exp-01", "ConsignmentManifest", subject, credential_id=stable_id("att", "borrowed-manifest")
    )
    return "ru-exp-01", {
        "submissionId": subject["consignmentId"],
        "manifest": manifest,
        "credentials": signed.credentials,
    }


def _lot_hs_code_not_traced() -> tuple[str, Doc]:
    """The lot says 0207 11 (whole chickens), the events producing it record 0207 14 (cuts)."""
    parts = _parts("ru-exp-01", "hs-mismatch")
    code = parts.lots[0]["hsCode"]
    parts.lots[0]["hsCode"] = code[:4] + ("11" if code[4:] != "11" else "12")
    return "ru-exp-01", _sign(parts)


def _manifest_names_another_exporter() -> tuple[str, Doc]:
    """A manifest signed and sent by ru-exp-01 whose subject names ru-exp-02 as exporter."""
    signed = sign_consignment(DEFAULT_SEED, _parts("ru-exp-01", "named-other"), _signer())
    subject = signed.manifest_subject()
    subject["exporter"] = did_of("ru-exp-02")
    manifest = _signer().issue("ru-exp-01", "ConsignmentManifest", subject, credential_id=stable_id("att", "named"))
    return "ru-exp-01", {
        "submissionId": subject["consignmentId"],
        "manifest": manifest,
        "credentials": signed.credentials,
    }


#: name -> (build, codes the port gives, codes ``pilot conformance validate`` gives without a submitter)
BINDING_CASES: dict[str, tuple[Callable[[], tuple[str, Doc]], set[str], set[str]]] = {
    "beef under another exporter's establishment": (
        _beef_under_another_plant,
        {"ESTABLISHMENT_NOT_BOUND_TO_EXPORTER"},
        {"ESTABLISHMENT_NOT_BOUND_TO_EXPORTER"},
    ),
    "every record another exporter's": (
        _all_records_of_another_exporter,
        {"ISSUER_NOT_SUBMITTER", "ESTABLISHMENT_NOT_BOUND_TO_EXPORTER"},
        {"ISSUER_NOT_SUBMITTER", "ESTABLISHMENT_NOT_BOUND_TO_EXPORTER"},
    ),
    "lot HS code differs from its events": (_lot_hs_code_not_traced, {"HS_CODE_MISMATCH"}, {"HS_CODE_MISMATCH"}),
    "manifest names another exporter": (
        _manifest_names_another_exporter,
        {"MANIFEST_EXPORTER_MISMATCH"},
        {"MANIFEST_EXPORTER_MISMATCH"},
    ),
}


@pytest.mark.parametrize("name", sorted(BINDING_CASES))
def test_business_rules_are_tied_to_the_submitter_and_issuers(name: str) -> None:
    build, at_port, offline = BINDING_CASES[name]
    submitter, document = build()
    assessment = _assess(document, submitter)
    assert assessment.decision == "rejected"
    assert set(assessment.reason_codes) == at_port, [r.as_dict() for r in assessment.reasons]
    # Offline (no submitter known) the manifest's issuer stands in for the submitter.
    assert set(_assess(document, None).reason_codes) == offline


def test_offline_the_submitter_bound_rule_alone_is_skipped() -> None:
    """ru-exp-01's own consignment, sent by ru-exp-02: the port refuses it; offline it is fine."""
    document = _sign(_parts("ru-exp-01", "who-sent"))
    assert "MANIFEST_EXPORTER_MISMATCH" in _assess(document, "ru-exp-02").reason_codes
    assert _assess(document, None).decision == "accepted"


@pytest.mark.parametrize("exporter_id", [e.short_id for e in EXPORTERS])
@pytest.mark.parametrize("port", ["cn-port-01", "cn-port-02", "cn-port-03"])
def test_every_exporters_own_consignment_still_passes(exporter_id: str, port: str) -> None:
    assessment = _assess(_sign(_parts(exporter_id, "own", port)), exporter_id, port)
    assert assessment.decision in ("accepted", "held_for_inspection"), [r.as_dict() for r in assessment.reasons]
    assert assessment.reasons == []


# -- item 8: inspection sampling the exporter cannot predict --------------------------------------------

SAMPLING_PORT = "cn-port-03"  # samplingRate 0.2, no held HS codes


def _public_digest_sample(digest: str) -> float:
    """The rule before the attack fixes: the first 32 bits of the public submission digest."""
    return int(digest.removeprefix("sha-256:")[:8], 16) / 2**32


def _candidates(count: int) -> list[Doc]:
    return [_sign(_parts("ru-exp-01", f"pick-{n}", SAMPLING_PORT)) for n in range(count)]


@functools.cache
def _escapers() -> list[Doc]:
    """What the exporter of the review did: keep the ids the public rule would never hold (30 of them)."""
    picked = []
    for document in _candidates(60):
        if _public_digest_sample(_assess(document, port=SAMPLING_PORT).submission_digest) >= 0.2:
            picked.append(document)
    return picked[:30]


def test_picking_ids_by_the_public_digest_no_longer_escapes_sampling() -> None:
    from schemas.sampling import day_key

    port_secret = hashlib.sha256(b"cn-port-03 secret of the test").digest()
    key = day_key(port_secret, AT.date())
    decisions = [_assess(d, port=SAMPLING_PORT, sampling_key=key).decision for d in _escapers()]
    assert len(decisions) == 30
    held = decisions.count("held_for_inspection")
    assert held >= 1, "every hand-picked submission escaped sampling"
    assert decisions.count("accepted") + held == 30


def test_the_decision_follows_the_keyed_sample_and_the_rate() -> None:
    from schemas.sampling import day_key, is_sampled, sample_value

    port_secret = b"\x07" * 32
    key = day_key(port_secret, AT.date())
    for document in _candidates(12):
        assessment = _assess(document, port=SAMPLING_PORT, sampling_key=key)
        sampled = is_sampled(key, assessment.submission_digest, 0.2)
        assert assessment.sampled is sampled
        assert assessment.decision == ("held_for_inspection" if sampled else "accepted")
    # The sample is uniform: about a fifth of many digests fall under a rate of 0.2.
    digests = [f"sha-256:{hashlib.sha256(str(n).encode()).hexdigest()}" for n in range(5000)]
    share = sum(sample_value(key, d) < 0.2 for d in digests) / len(digests)
    assert 0.18 < share < 0.22
    # Another day, another key: other submissions are held.
    other = day_key(port_secret, datetime(2026, 11, 24, tzinfo=UTC).date())
    assert [is_sampled(key, d, 0.2) for d in digests[:200]] != [is_sampled(other, d, 0.2) for d in digests[:200]]


def test_without_the_key_an_offline_verdict_never_holds_for_sampling() -> None:
    for document in _candidates(12):
        assessment = _assess(document, port=SAMPLING_PORT)
        assert assessment.decision == "accepted"
        assert assessment.sampled is None  # it cannot tell, and says so


def test_an_auditor_finds_a_skipped_inspection_with_the_published_key() -> None:
    from schemas.sampling import audit_sampling, day_key, is_sampled

    key = day_key(b"\x09" * 32, AT.date())
    entries = []
    for document in _candidates(15):
        assessment = _assess(document, port=SAMPLING_PORT, sampling_key=key)
        entries.append(
            {"submissionDigest": assessment.submission_digest, "decision": assessment.decision,
             "receivedAt": "2026-11-23T12:00:00Z"}
        )  # fmt: skip
    assert audit_sampling(entries, {AT.date(): key}, 0.2).consistent
    held = [e for e in entries if is_sampled(key, e["submissionDigest"], 0.2)]
    assert held, "no submission of the sample was held; choose another key"
    held[0]["decision"] = "accepted"  # a port that skipped the inspection it owed
    audit = audit_sampling(entries, {AT.date(): key}, 0.2)
    assert not audit.consistent and audit.accepted_but_sampled == [held[0]]
    assert audit_sampling(entries, {}, 0.2).days_without_key == {AT.date()}


# -- the assessment's own contract: typed objects, the digest computed once ----------------------------------


@pytest.mark.parametrize("index", range(6))
def test_a_verified_credential_of_another_type_is_no_manifest(index: int) -> None:
    """Each of a consignment's credentials put where the manifest goes: refused at /manifest/type, never a crash.

    A traceability event (whose subject is a list) used to raise AttributeError in the reference check.
    """
    document = _sign(_parts("ru-exp-01", "not-a-manifest"))
    document["manifest"] = document["credentials"][index]
    assessment = _assess(document)
    assert assessment.decision == "rejected"
    assert ("SCHEMA_INVALID", "/manifest/type") in [(str(p.code), p.path) for p in assessment.reasons]


def test_the_assessment_keeps_the_validated_submission() -> None:
    document = _sign(_parts("ru-exp-01", "kept"))
    assessment = _assess(document)
    assert assessment.decision == "accepted"
    assert assessment.submission is not None and assessment.submission.submissionId == document["submissionId"]
    assert _assess({"submissionId": "x"}).submission is None


def test_a_digest_the_caller_computed_is_not_computed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    document = _sign(_parts("ru-exp-01", "digest-once"))
    expected = _assess(document)

    def refuse(value: Any) -> str:
        raise AssertionError("the submission was canonicalized again")

    monkeypatch.setattr("schemas.assess.canonical_digest", refuse)
    again = _assess(document, submission_digest=expected.submission_digest)
    assert (again.submission_digest, again.submission_id) == (expected.submission_digest, expected.submission_id)
    assert (again.decision, again.reasons) == (expected.decision, expected.reasons)
