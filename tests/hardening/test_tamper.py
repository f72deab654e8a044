"""The tamper corpus posted to an in-process port: nothing hostile is accepted, nothing gets a 5xx.

For each valid submission vector, in order: every ``Rejected`` and ``Refused`` case is posted while the
port holds no submission under that id (a test-only ``DELETE`` of the row between cases, so that each
case is decided on its own merits, not answered as a 409), then the original is posted (201), then every
``Neutral`` case (200, the original receipt byte for byte), then every ``Rejected`` and ``Equivalent``
case again, which must now be ``409 DUPLICATE_CONFLICT``. The counts by outcome are printed (``pytest -s``) and kept in
``docs/reliability.md``.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from port_node.tables import SUBMISSIONS
from tests.hardening.tamper_corpus import Case, Equivalent, Neutral, Refused, Rejected, build_corpus, load_vectors
from tests.port_node.port_harness import PortHarness, check_receipt, signer_for

pytestmark = [pytest.mark.anyio]

JSON = {"content-type": "application/json"}


def _forget(harness: PortHarness, exporter: str, submission_id: str) -> None:
    """Test only: drop the stored row so that the next case under this id is decided afresh."""
    with harness.port.store.engine.begin() as connection:
        connection.execute(
            sa.delete(SUBMISSIONS).where(
                SUBMISSIONS.c.exporter == exporter, SUBMISSIONS.c.submission_id == submission_id
            )
        )


def _problem_code(response: httpx.Response) -> str | None:
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        return str(response.json().get("code"))
    return None


class Tally:
    """Outcomes by case, and the failures found."""

    def __init__(self) -> None:
        self.outcomes: Counter[str] = Counter()
        self.failures: list[str] = []
        self.server_errors = 0
        self.wrongly_accepted = 0

    def fail(self, case: Case, what: str, response: httpx.Response) -> None:
        self.failures.append(f"{case.name}: {what} (HTTP {response.status_code} {response.text[:300]})")

    def check(self, case: Case, response: httpx.Response, original: bytes | None) -> None:
        status = response.status_code
        if status >= 500:
            self.server_errors += 1
            self.fail(case, "5xx", response)
            return
        expect = case.expect
        if isinstance(expect, Equivalent):
            decision = json.loads(response.content)["credentialSubject"]["decision"] if status == 201 else None
            if decision == "accepted":
                self.outcomes["equivalent (same signed content): accepted on its own"] += 1
            else:
                self.fail(case, "an equivalent submission was not accepted on its own", response)
            return
        if status in (200, 201) and not isinstance(expect, Neutral):
            receipt = json.loads(response.content)
            decision = receipt["credentialSubject"]["decision"]
            codes = {r["code"] for r in receipt["credentialSubject"]["reasons"] if r["severity"] == "error"}
            if decision == "accepted":
                self.wrongly_accepted += 1
                self.fail(case, "accepted", response)
                return
            if isinstance(expect, Rejected) and status == 201 and codes & expect.codes:
                self.outcomes["rejected in a receipt with an expected code"] += 1
                return
            self.fail(case, f"receipt {status} {decision} {sorted(codes)}, expected {expect}", response)
            return
        if isinstance(expect, Neutral):
            if status == 200 and response.content == original:
                self.outcomes["deduplicated to the original receipt"] += 1
            else:
                self.fail(case, "not deduplicated to the original receipt", response)
            return
        if isinstance(expect, Refused) and (status, _problem_code(response)) == (expect.status, expect.code):
            self.outcomes[f"refused {status} {expect.code}"] += 1
            return
        self.fail(case, f"expected {expect}, got {status} {_problem_code(response)}", response)

    def check_conflict(self, case: Case, response: httpx.Response) -> None:
        if response.status_code >= 500:
            self.server_errors += 1
        if (response.status_code, _problem_code(response)) == (409, "DUPLICATE_CONFLICT"):
            self.outcomes["resubmitted over the original: 409 DUPLICATE_CONFLICT"] += 1
        else:
            self.fail(case, "not a conflict over the original", response)

    def report(self) -> str:
        lines = [f"{count:6d}  {outcome}" for outcome, count in sorted(self.outcomes.items())]
        lines += [f"{self.server_errors:6d}  5xx", f"{self.wrongly_accepted:6d}  accepted wrongly"]
        return "\n".join(lines)


def _other_id(case: Case) -> bool:
    """The case names a submission other than its vector's (a changed ``submissionId``, another exporter)."""
    return case.name.endswith("/submissionId") or "request-signed-by-another-exporter" in case.name


async def _post(harness: PortHarness, case: Case) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=harness.app),
        base_url="http://port.test",
        auth=signer_for(case.signer or case.exporter),
    ) as client:
        return await client.post("/v1/submissions", content=case.body, headers=JSON)


async def run_corpus(harness: PortHarness, cases: list[Case]) -> Tally:
    """Post every case as the module docstring says; the tally of outcomes."""
    tally = Tally()
    by_vector: dict[str, list[Case]] = {}
    for case in cases:
        by_vector.setdefault(case.vector, []).append(case)
    for vector in load_vectors():
        own = by_vector.get(vector.name, [])
        for case in own:
            if isinstance(case.expect, Neutral):
                continue
            _forget(harness, case.exporter, case.submission_id)
            size = harness.port.log.size
            response = await _post(harness, case)
            tally.check(case, response, None)
            if isinstance(case.expect, Refused):
                assert harness.port.log.size == size, f"{case.name}: a refused request added a log entry"
        _forget(harness, vector.exporter, vector.submission_id)
        async with harness.client(vector.exporter) as client:
            created = await client.post("/v1/submissions", content=vector.compact(), headers=JSON)
        assert created.status_code == 201, created.text
        receipt: dict[str, Any] = check_receipt(created.content)
        assert receipt["credentialSubject"]["decision"] == "accepted"
        size = harness.port.log.size
        for case in own:
            if isinstance(case.expect, Neutral):
                tally.check(case, await _post(harness, case), created.content)
        assert harness.port.log.size == size, "a re-serialization added a log entry"
        for case in own:
            if isinstance(case.expect, Rejected | Equivalent) and not _other_id(case):
                tally.check_conflict(case, await _post(harness, case))
    return tally


@pytest.mark.db
async def test_tamper_corpus_is_refused_or_deduplicated(harness: PortHarness) -> None:
    """CI size: >= 500 cases from every valid submission vector; 0 accepted wrongly, 0 5xx."""
    cases = build_corpus()
    assert len(cases) >= 500
    tally = await run_corpus(harness, cases)
    print(f"\ntamper corpus: {len(cases)} cases\n{tally.report()}")
    assert tally.failures == [], "\n".join(tally.failures[:40])
    assert tally.server_errors == 0 and tally.wrongly_accepted == 0


@pytest.mark.slow
async def test_deep_tamper_corpus(harness: PortHarness) -> None:
    """Deep: every field of every vector changed, removed and extended; same assertions."""
    cases = build_corpus(deep=True)
    tally = await run_corpus(harness, cases)
    print(f"\ndeep tamper corpus: {len(cases)} cases\n{tally.report()}")
    assert tally.failures == [], "\n".join(tally.failures[:40])
    assert tally.server_errors == 0 and tally.wrongly_accepted == 0
