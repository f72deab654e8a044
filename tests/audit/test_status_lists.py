"""``pilot audit export|verify`` and status lists: the versions a decision relied on, bundled and re-checked offline.

docs/design.md §12, issue 14 part 5. Every bundle here is made from real parts (``tests/audit/evidence.py``):
credentials signed with the sandbox keys, a receipt signed and logged by the port stand-in that checked
their status, the evidence gathered by ``pilot.audit.collect``. A receipt that disagrees with its own
status lists comes from a stand-in whose assessor is made to lie, the way a faulty port would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pilot.audit.bundle import MAX_MEMBERS, MAX_STATUS_LISTS, status_member
from pilot.audit.errors import EvidenceError
from pilot.audit.nodes import REGISTRY, AuditNetwork
from pilot.audit.trail import Step, build_trail
from pilot.audit.verify import Check, verify_bundle
from pilot.cli import app
from pilot.conformance.material import VECTORS_DIR
from pilot.conformance.port_standin import PortFaults, StandinPort
from pilot.fixture_status import REVOKED_INDEX, SUSPENDED_INDEX
from pilot.sandbox import EPOCH, NEXT_UPDATE
from schemas.assess import Assessment, assess_submission
from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.errors import Reason
from schemas.issue import secure
from schemas.jsonio import parse_json
from schemas.status_list import StaticStatusLists, status_list_credential, status_list_url
from tests.audit.evidence import ANCHOR, PORT, Evidence, Served, StatusAt, fixture_lists, make_evidence, material

ROW = "status lists"
CERTIFICATE = "DigitalConformityCredential"
CERT_REVOCATION = status_list_url("cert-01", "revocation-0")
CERT_SUSPENSION = status_list_url("cert-01", "suspension-0")


def _checks(bundle: bytes) -> dict[str, Check]:
    return {check.name: check for check in verify_bundle(bundle, ANCHOR)}


def _row(bundle: bytes) -> Check:
    return _checks(bundle)[ROW]


def _failed(checks: dict[str, Check]) -> list[str]:
    return [f"{c.name}: {c.detail}" for c in checks.values() if not c.ok]


def _member(url: str, sequence: int = 1) -> str:
    member = status_member(url, sequence)
    assert member is not None
    return member


def _certificate_path(evidence: Evidence) -> str:
    """The JSON pointer of the conformity certificate in the submission."""
    (index,) = [i for i, c in enumerate(evidence.submission["credentials"]) if CERTIFICATE in c["type"]]
    return f"/credentials/{index}"


def _lying(change: Callable[[Assessment], None]) -> Callable[[StandinPort], None]:
    """Make the stand-in's assessor decide as usual, then change the assessment (a faulty port)."""

    def install(port: StandinPort) -> None:
        def assess(document: Any, trust: Any, **options: Any) -> Assessment:
            assessment = assess_submission(document, trust, **options)
            change(assessment)
            return assessment

        port.intake.assess = assess

    return install


def _drop_status_reasons(assessment: Assessment) -> None:
    """Fail open: forget every status reason and accept."""
    statuses = {Code.CREDENTIAL_REVOKED, Code.CREDENTIAL_SUSPENDED, Code.STATUS_UNAVAILABLE}
    assessment.reasons = [r for r in assessment.reasons if r.code not in statuses]
    assessment.decision = "accepted"


def _cert_list(*, sequence: int, revoked: tuple[int, ...]) -> dict[str, Any]:
    """cert-01's revocation list version ``sequence`` with ``revoked`` set, signed by cert-01."""
    key = material().key("cert-01")
    credential = status_list_credential(
        issuer_id="cert-01",
        issuer_name="cert-01",
        list_name="revocation-0",
        purpose="revocation",
        sequence=sequence,
        set_indexes=revoked,
        valid_from=EPOCH,
        valid_until=NEXT_UPDATE,
    )
    return secure(credential, key.private_key, key.verification_method, created=EPOCH)


@pytest.fixture(scope="module")
def good() -> Evidence:
    """An accepted consignment whose every credential's status was checked against the fixture lists."""
    return make_evidence()


# -- export --------------------------------------------------------------------------------------------


def test_export_bundles_exactly_the_versions_the_receipt_names_as_served(good: Evidence) -> None:
    references = good.subject["statusLists"]
    assert good.subject["decision"] == "accepted"
    assert {r["id"] for r in references} >= {
        CERT_REVOCATION,
        CERT_SUSPENSION,
        status_list_url("ru-vet", "revocation-0"),
    }
    members = sorted(name for name in good.files if name.startswith("status/"))
    assert members == sorted(_member(r["id"], r["sequence"]) for r in references)
    for reference in references:
        assert (
            good.files[_member(reference["id"], reference["sequence"])]
            == good.served[(reference["id"], reference["sequence"])]
        )  # the registry's bytes, untouched (not canonical JSON: verification does not need it)


def test_export_fails_when_the_registry_lacks_a_version_or_is_unknown() -> None:
    lists = fixture_lists()
    (cert,) = [c for c in lists if c["id"] == CERT_REVOCATION]
    newer = _cert_list(sequence=2, revoked=())
    with pytest.raises(EvidenceError, match=r"does not hold version 2 of .*cert-01/revocation-0"):
        make_evidence(lists=lists, lookup=StaticStatusLists([*lists, newer]))  # the port saw v2, the registry has not
    network = AuditNetwork(VECTORS_DIR, {PORT: "http://cn-port-01.test"})
    with network, pytest.raises(EvidenceError, match=f"no URL known for {REGISTRY}"):
        network.status_list_version(str(cert["id"]), 1)
    with network, pytest.raises(EvidenceError, match="not a pilot status list"):
        network.status_list_version("https://elsewhere.example/list", 1)


def test_export_refuses_a_receipt_naming_more_lists_than_a_bundle_holds() -> None:
    def name_too_many(assessment: Assessment) -> None:
        first = assessment.status_lists[0]
        assessment.status_lists += [{**first, "sequence": n} for n in range(2, MAX_STATUS_LISTS + 2)]

    with pytest.raises(EvidenceError, match=r"names \d+ status lists, more than a bundle holds"):
        make_evidence(consignment="c-too-many", standin=_lying(name_too_many))


# -- verify: a good bundle, and changes to its status files ----------------------------------------------


def test_a_good_bundle_verifies_and_says_what_was_re_checked(good: Evidence) -> None:
    checks = _checks(good.bundle())
    assert _failed(checks) == []
    count = len(good.subject["statusLists"])
    assert f"{count} status list versions verified at receivedAt" in checks[ROW].detail
    assert "0 revoked or suspended, 0 unavailable" in checks[ROW].detail


def _re_signed_with_bit(data: bytes) -> bytes:
    """The same version (sequence) signed again by its issuer, with one more bit set."""
    credential = parse_json(data)
    assert credential["id"] == CERT_REVOCATION
    return canonicalize(_cert_list(sequence=credential["sequence"], revoked=(REVOKED_INDEX, 77)))


def _edited(data: bytes) -> bytes:
    """Bytes changed without the issuer: another ttl, signature left as it was."""
    credential = parse_json(data)
    credential["credentialSubject"]["ttl"] += 1
    return json.dumps(credential).encode()


def _sequence_renamed(data: bytes) -> bytes:
    credential = parse_json(data)
    credential["sequence"] = 7
    return json.dumps(credential).encode()


CHANGES: dict[str, tuple[Callable[[bytes], bytes | None], str]] = {
    "edited, signature left": (_edited, "has digest sha-256:"),
    "re-signed by the issuer with another bit": (_re_signed_with_bit, "but the receipt relied on"),
    "sequence changed": (_sequence_renamed, "but the receipt relied on"),
    "removed": (lambda _: None, "is missing from the bundle"),
    "not JSON": (lambda _: b"{not json", "is not a status list credential"),
}


@pytest.mark.parametrize("case", sorted(CHANGES))
def test_a_changed_or_missing_status_file_fails_naming_it(good: Evidence, case: str) -> None:
    change, message = CHANGES[case]
    member = _member(CERT_REVOCATION)
    checks = _checks(good.bundle(**{member: change(good.files[member])}))
    assert checks["manifest digests"].ok  # the manifest was made anew: only the status check can tell
    assert not checks[ROW].ok
    assert member in checks[ROW].detail and message in checks[ROW].detail, checks[ROW].detail
    assert [name for name, c in checks.items() if not c.ok] == [ROW]
    assert "covers this entry" not in checks[ROW].detail  # no re-check over the versions that are left


def test_pilot_audit_verify_reports_the_status_lists_row(good: Evidence, tmp_path: Path) -> None:
    anchor = VECTORS_DIR / "trust-anchor.json"
    bundle = tmp_path / "bundle.zip"
    bundle.write_bytes(good.bundle())
    result = CliRunner().invoke(app, ["audit", "verify", str(bundle), "--trust-anchor", str(anchor), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = [c for c in json.loads(result.stdout)["checks"] if c["name"] == ROW]
    assert row["ok"] and "status list versions verified" in row["detail"]
    member = _member(CERT_SUSPENSION)
    bundle.write_bytes(good.bundle(**{member: None}))
    result = CliRunner().invoke(app, ["audit", "verify", str(bundle), "--trust-anchor", str(anchor), "--json"])
    assert result.exit_code == 1, result.output
    failed = {c["name"]: c["detail"] for c in json.loads(result.stdout)["checks"] if not c["ok"]}
    assert list(failed) == [ROW] and f"{member} is missing from the bundle" in failed[ROW]


def test_a_status_file_the_receipt_does_not_name_fails(good: Evidence) -> None:
    stray = _member(status_list_url("ru-exp-02", "revocation-0"))
    row = _row(good.bundle(**{stray: good.files[_member(CERT_REVOCATION)]}))
    assert not row.ok and f"{stray} is a status list version the receipt does not name" in row.detail


def test_without_the_submission_the_re_check_is_said_not_done(good: Evidence) -> None:
    row = _row(good.bundle(**{"submission.json": None}))
    assert row.ok, row.detail
    assert "the re-check of the decision could not be done: the submission's content is not in the bundle" in row.detail


# -- verify: does the decision agree with the lists? -------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "code"), [(REVOKED_INDEX, Code.CREDENTIAL_REVOKED), (SUSPENDED_INDEX, Code.CREDENTIAL_SUSPENDED)]
)
def test_an_honest_rejection_of_a_revoked_or_suspended_certificate_verifies(index: int, code: Code) -> None:
    evidence = make_evidence(status=StatusAt(CERTIFICATE, index), consignment=f"c-status-{code.lower()}")
    assert evidence.subject["decision"] == "rejected"
    assert code in {r["code"] for r in evidence.subject["reasons"]}
    checks = _checks(evidence.bundle())
    assert _failed(checks) == []
    assert "1 revoked or suspended, 0 unavailable" in checks[ROW].detail


@pytest.mark.parametrize(
    ("index", "verb", "code"),
    [(REVOKED_INDEX, "revoked", Code.CREDENTIAL_REVOKED), (SUSPENDED_INDEX, "suspended", Code.CREDENTIAL_SUSPENDED)],
)
def test_a_receipt_accepting_a_credential_its_list_says_revoked_fails(index: int, verb: str, code: Code) -> None:
    evidence = make_evidence(
        status=StatusAt(CERTIFICATE, index), consignment=f"c-lie-{verb}", standin=_lying(_drop_status_reasons)
    )
    assert evidence.subject["decision"] == "accepted"
    assert evidence.subject["statusLists"]  # it names the very list that says so
    checks = _checks(evidence.bundle())
    assert [name for name, c in checks.items() if not c.ok] == [ROW]
    path = f"{_certificate_path(evidence)}/credentialStatus/{0 if verb == 'revoked' else 1}"
    assert f"{path}: the bundled status list says {verb}, the receipt does not give {code}" in checks[ROW].detail


def test_a_receipt_saying_revoked_that_its_lists_do_not_bear_out_fails() -> None:
    def revoke_the_certificate(assessment: Assessment) -> None:
        (index,) = [i for i, r in enumerate(assessment.credentials) if r.record_type == CERTIFICATE]
        path = f"/credentials/{index}/credentialStatus/0"
        assessment.reasons.append(Reason(Code.CREDENTIAL_REVOKED, path, "the issuer has revoked this credential"))
        assessment.decision = "rejected"

    evidence = make_evidence(consignment="c-false-revocation", standin=_lying(revoke_the_certificate))
    row = _row(evidence.bundle())
    assert not row.ok
    assert f"the receipt gives CREDENTIAL_REVOKED for {_certificate_path(evidence)}/credentialStatus/0" in row.detail


def test_unavailable_status_held_verifies_and_accepted_fails() -> None:
    without = [c for c in fixture_lists() if c["id"] != CERT_REVOCATION]
    held = make_evidence(lookup=StaticStatusLists(without), consignment="c-unavailable")
    assert held.subject["decision"] == "held_for_inspection"
    path = f"{_certificate_path(held)}/credentialStatus/0"
    assert ("STATUS_UNAVAILABLE", path) in {(r["code"], r["path"]) for r in held.subject["reasons"]}
    checks = _checks(held.bundle())
    assert _failed(checks) == []
    assert "0 revoked or suspended, 1 unavailable" in checks[ROW].detail

    def fail_open(assessment: Assessment) -> None:
        assessment.decision = "accepted"

    opened = make_evidence(lookup=StaticStatusLists(without), consignment="c-fail-open", standin=_lying(fail_open))
    row = _row(opened.bundle())
    assert not row.ok and "the receipt accepts the submission although it gives STATUS_UNAVAILABLE" in row.detail

    silent = make_evidence(  # the conformance kit's fail-open stand-in: it drops the reasons and accepts
        lookup=StaticStatusLists(without), consignment="c-fail-silent", faults=PortFaults(status_fails_open=True)
    )
    assert silent.subject["decision"] == "accepted" and not silent.subject["reasons"]
    row = _row(silent.bundle())
    assert not row.ok
    assert f"{path}: no status list version the receipt names covers this entry" in row.detail


def test_a_receipt_naming_a_list_no_credential_cites_fails() -> None:
    stray = next(c for c in fixture_lists() if c["id"] == status_list_url("ru-exp-02", "revocation-0"))

    def name_another(assessment: Assessment) -> None:
        assessment.status_lists.append({"id": stray["id"], "sequence": 1, "digest": credential_digest(stray)})

    evidence = make_evidence(consignment="c-extra-list", standin=_lying(name_another))
    row = _row(evidence.bundle())
    assert (
        not row.ok and f"the receipt names {stray['id']}: no status entry of the submission relies on it" in row.detail
    )


# -- receipts made before status lists ---------------------------------------------------------------------


class _NoStatus:
    """Credentials as signed before status lists: no ``credentialStatus`` at all."""

    def entries(self, issuer_id: str, credential_id: str, record_type: str) -> list[dict[str, str]]:
        return []


#: A port from before status lists (or one that ignores them): it decides without a status lookup.
UNCHECKED = PortFaults(check_status=False)


def test_an_old_style_receipt_without_status_lists_verifies_saying_not_recorded() -> None:
    evidence = make_evidence(status=_NoStatus(), consignment="c-old-style", faults=UNCHECKED)
    assert "statusLists" not in evidence.subject and evidence.subject["decision"] == "accepted"
    assert not [name for name in evidence.files if name.startswith("status/")]
    checks = _checks(evidence.bundle())
    assert _failed(checks) == []
    assert checks[ROW].detail.startswith("status was not recorded")
    assert "carry" not in checks[ROW].detail


def test_a_receipt_of_a_port_that_did_not_check_status_says_so() -> None:
    evidence = make_evidence(consignment="c-unchecked", faults=UNCHECKED)
    checks = _checks(evidence.bundle())
    assert checks[ROW].ok and checks[ROW].detail.startswith("status was not recorded")
    assert "the submission's credentials carry" in checks[ROW].detail and "status entries" in checks[ROW].detail


# -- the bundle's size and the trail -----------------------------------------------------------------------


def test_the_member_cap_leaves_room_for_every_list_a_receipt_can_name(good: Evidence) -> None:
    fixed = len([n for n in good.files if not n.startswith("status/")]) + 2  # + the manifest and epcis.json
    lists_per_issuer = 2 * 2  # two purposes, two generations
    issuers = len(material().registry.document["participants"])
    assert issuers * lists_per_issuer <= MAX_STATUS_LISTS and fixed + MAX_STATUS_LISTS <= MAX_MEMBERS


def _trail_status_steps(evidence: Evidence, served: Served | None = None) -> list[Step]:
    """The status steps of ``pilot audit trail`` for the evidence's consignment, its registry serving ``served``."""
    with evidence.network(served) as network:
        return [step for step in build_trail(network, evidence.consignment) if step.what.startswith("status list")]


def test_trail_shows_each_version_relied_on_verified_against_the_registry(good: Evidence) -> None:
    steps = _trail_status_steps(good)
    assert len(steps) == len(good.subject["statusLists"])
    assert all(step.verified for step in steps), steps
    assert any(step.what == "status list cert-01/revocation-0 version 1 relied on" for step in steps)


def test_trail_flags_a_version_the_registry_serves_other_than_the_one_relied_on(good: Evidence) -> None:
    served = {**good.served, (CERT_REVOCATION, 1): canonicalize(_cert_list(sequence=1, revoked=(5,)))}
    (wrong,) = [step for step in _trail_status_steps(good, served) if not step.verified]
    assert wrong.actor == "cert-01" and "another version" in wrong.detail


def test_trail_of_a_receipt_that_names_no_status_list_says_not_recorded() -> None:
    evidence = make_evidence(consignment="c-trail-unchecked", faults=UNCHECKED)
    (step,) = _trail_status_steps(evidence)
    assert step.verified is None and step.detail.startswith("not recorded")
