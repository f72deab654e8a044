"""A freshly signed status list is usable by a verifier whose clock is a little behind the issuer's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pilot.sandbox import build_sandbox
from schemas.errors import VerificationError
from schemas.issue import secure
from schemas.status_list import CLOCK_SKEW, status_list_credential, verify_status_list
from schemas.trust import TrustRegistry

SIGNED_AT = datetime(2026, 11, 30, 12, 0, 0, 700_000, tzinfo=UTC)


def _signed() -> tuple[dict[str, object], TrustRegistry]:
    sandbox = build_sandbox()
    key = sandbox.keyrings["cert-01"][0]
    credential = status_list_credential(
        issuer_id="cert-01",
        issuer_name="Certification Body One (fictional)",
        list_name="revocation-1",
        purpose="revocation",
        sequence=2,
        set_indexes=[4],
        valid_from=SIGNED_AT,
        valid_until=SIGNED_AT + timedelta(days=30),
    )
    signed = secure(credential, key.private_key, key.verification_method, created=SIGNED_AT)
    return signed, TrustRegistry.from_document(sandbox.trust_list)


@pytest.mark.parametrize("behind", [timedelta(microseconds=700_000), timedelta(seconds=5), CLOCK_SKEW])
def test_a_list_signed_moments_ahead_of_the_verifiers_clock_is_usable(behind: timedelta) -> None:
    signed, trust = _signed()
    found = verify_status_list(signed, trust, SIGNED_AT - behind)
    assert found.sequence == 2 and found.is_set(4)
    assert found.usable_at(SIGNED_AT - behind)


def test_a_list_from_further_in_the_future_is_not() -> None:
    signed, trust = _signed()
    with pytest.raises(VerificationError) as caught:
        verify_status_list(signed, trust, SIGNED_AT - CLOCK_SKEW - timedelta(seconds=1))
    assert caught.value.problems[0].code == "CREDENTIAL_NOT_YET_VALID"
