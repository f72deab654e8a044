"""A credential's validation verdict is remembered by its digest, and a remembered verdict is the one judging
gives: the same model, problems and categories, for the same bytes and path only; the signature, the key and
the validity window are judged on every call all the same (``schemas.validated_records``)."""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

import schemas.validated_records as memo
from pilot.sandbox import DEFAULT_SEED, build_sandbox
from pilot.synthetic import Signer, build_world
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.issue import Securing
from schemas.records import facility_record_subject
from schemas.trust import TrustRegistry
from schemas.verify import check_credential
from tests.support import examples as ex

AT = datetime(2026, 6, 1, tzinfo=UTC)


@functools.cache
def _trust() -> TrustRegistry:
    return TrustRegistry.from_document(build_sandbox().trust_list)


def _farm_record(
    securing: Securing = "data-integrity", valid_until: datetime | None = None, **changes: Any
) -> dict[str, Any]:
    farm = copy.deepcopy(build_world(DEFAULT_SEED, "ru-exp-01").farms[0])
    farm.update(changes)
    signer = Signer(build_sandbox().keyrings, securing=securing)
    subject = facility_record_subject(farm)
    if valid_until is None:
        return signer.issue("ru-exp-01", "DigitalFacilityRecord", subject, credential_id="urn:uuid:memo-test")
    return signer.issue(
        "ru-exp-01", "DigitalFacilityRecord", subject, credential_id="urn:uuid:memo-test", valid_until=valid_until
    )


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A fresh memo, and the paths of the payloads actually judged (not answered from the memo)."""
    monkeypatch.setattr(memo, "_MEMO", memo._Memo(memo.MEMO_SIZE))
    calls: list[str] = []
    judge = memo._judge

    def counted(payload: Any, path: str) -> memo.ValidatedRecord:
        calls.append(path)
        return judge(payload, path)

    monkeypatch.setattr(memo, "_judge", counted)
    yield calls


@pytest.mark.parametrize("securing", ["data-integrity", "jose"])
def test_the_same_credential_is_validated_once_and_reported_the_same(securing: Securing, judged: list[str]) -> None:
    credential = _farm_record(securing)
    first = check_credential(credential, _trust(), AT, path="/credentials/0")
    again = check_credential(copy.deepcopy(credential), _trust(), AT, path="/credentials/0")
    assert judged == ["/credentials/0"]
    assert first.verified and again.verified
    assert again.model is first.model
    assert again.problems == first.problems
    assert again.categories == first.categories and again.categories
    assert again.categories is not first.categories  # each report its own list


def test_a_remembered_verdict_matches_judging_afresh(judged: list[str]) -> None:
    credential = _farm_record()
    check_credential(credential, _trust(), AT, path="/credentials/1")
    remembered = check_credential(credential, _trust(), AT, path="/credentials/1")
    memo._MEMO = memo._Memo(memo.MEMO_SIZE)
    afresh = check_credential(credential, _trust(), AT, path="/credentials/1")
    assert judged == ["/credentials/1", "/credentials/1"]
    assert afresh.model == remembered.model
    assert afresh.problems == remembered.problems
    assert afresh.categories == remembered.categories


def test_a_verdict_is_per_path_and_per_bytes(judged: list[str]) -> None:
    credential = _farm_record()
    check_credential(credential, _trust(), AT, path="/credentials/0")
    check_credential(credential, _trust(), AT, path="/credentials/2")
    other = _farm_record(name="Another farm")
    check_credential(other, _trust(), AT, path="/credentials/0")
    assert judged == ["/credentials/0", "/credentials/2", "/credentials/0"]
    assert memo._MEMO.get((credential_digest(credential), "/credentials/0")) is not None
    assert memo._MEMO.get((credential_digest(other), "/credentials/0")) is not None


def test_a_tampered_credential_is_refused_before_any_verdict_is_asked_for(judged: list[str]) -> None:
    credential = _farm_record()
    check_credential(credential, _trust(), AT, path="/credentials/0")
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["facility"]["name"] = "Changed after signing"
    report = check_credential(tampered, _trust(), AT, path="/credentials/0")
    assert [p.code for p in report.problems] == [Code.PROOF_INVALID]
    assert report.model is None
    assert judged == ["/credentials/0"]


def test_the_validity_window_is_judged_on_every_call(judged: list[str]) -> None:
    credential = _farm_record(valid_until=datetime(2026, 6, 20, tzinfo=UTC))
    soon = check_credential(credential, _trust(), AT)
    expired = check_credential(credential, _trust(), datetime(2026, 8, 1, tzinfo=UTC))
    assert judged == [""]
    assert [p.code for p in soon.problems] == [Code.CREDENTIAL_EXPIRING_SOON]
    assert soon.verified and not expired.verified
    assert expired.model is soon.model
    assert Code.CREDENTIAL_EXPIRED in {p.code for p in expired.problems}


def test_the_memo_holds_at_most_its_size(monkeypatch: pytest.MonkeyPatch) -> None:
    small = memo._Memo(2)
    monkeypatch.setattr(memo, "_MEMO", small)
    credential = _farm_record()
    for path in ("/a", "/b", "/c"):
        memo.validated_record(credential, path, credential_digest(credential))
    assert len(small) == 2
    assert small.get((credential_digest(credential), "/a")) is None  # the oldest went first
    assert small.get((credential_digest(credential), "/c")) is not None


def test_a_manifest_is_judged_every_time_and_never_remembered(judged: list[str]) -> None:
    manifest = ex.consignment_manifest()
    digest = credential_digest(manifest)
    first = memo.validated_record(manifest, "/manifest", digest)
    again = memo.validated_record(manifest, "/manifest", digest)
    assert judged == ["/manifest", "/manifest"]
    assert len(memo._MEMO) == 0
    assert first.model is not None and first.model == again.model
