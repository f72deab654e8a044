"""The port suite's status cases: a port checks every credential's status at receive time (docs/design.md §12).

Each case sends a fresh submission (an id unique to the run), so the port decides it now rather than
answering with a receipt it gave before:

- a published submission vector whose certificate the sandbox's status lists revoke (or suspend), under
  a new id with its manifest signed anew: ``rejected`` with ``CREDENTIAL_REVOKED`` (``CREDENTIAL_SUSPENDED``);
- a fresh consignment whose certificate, signed by ``cert-01``, names status lists that no registry has
  (``revocation-404``, ``suspension-404``): fail closed, ``held_for_inspection`` with ``STATUS_UNAVAILABLE``,
  never ``accepted``;
- a fresh valid consignment: ``accepted``, and its receipt names in ``statusLists`` a version of every
  status list its manifest and credentials cite, so that an auditor can fetch exactly those and re-check.

The port under test must reach a registry that holds the sandbox's lists (``pilot up`` publishes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pilot.conformance.cases_port import PortSuite
from pilot.conformance.model import CaseFailed, CaseSpec
from pilot.conformance.runner import PlannedCase, Probe
from pilot.conformance.submissions import Vector, exporter_of, published_vectors, resubmitted
from pilot.language import N_
from pilot.synthetic import certifier_of
from schemas.digest import parse_digest
from schemas.errors import VerificationError
from schemas.jsonio import parse_json
from schemas.phrase import Phrase
from schemas.status_list import cited_status_lists, purposes_for, status_entries

__all__ = ["STATUS_CASES", "UNKNOWN_GENERATION", "StatusCases"]

#: The generation of the lists the fail-closed case cites: ``revocation-404``, which no registry holds.
UNKNOWN_GENERATION = 404
#: The exporter whose fresh consignments the status cases send (its certificates are ``cert-01``'s).
EXPORTER = "ru-exp-01"

STATUS_CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        "port.t2.status-revoked",
        2,
        N_("Revoked certificate rejected"),
        "The published vector `submission-certificate-revoked` sent again under a fresh id by its exporter (its "
        "manifest signed anew, its certificate as published: revoked in cert-01's `revocation-0` list) gets a "
        "receipt with decision `rejected` and `CREDENTIAL_REVOKED` as its only reason.",
        N_(
            "Check every `credentialStatus` entry of every credential at receive time against its issuer's "
            "current status list, fetched from the registry (docs/design.md §12)."
        ),
    ),
    CaseSpec(
        "port.t2.status-suspended",
        2,
        N_("Suspended certificate rejected"),
        "The published vector `submission-certificate-suspended` sent again under a fresh id by its exporter "
        "gets a receipt with decision `rejected` and `CREDENTIAL_SUSPENDED` as its only reason.",
        N_("A set bit in a `suspension` list is `CREDENTIAL_SUSPENDED`, in a `revocation` list `CREDENTIAL_REVOKED`."),
    ),
    CaseSpec(
        "port.t2.status-fail-closed",
        2,
        N_("Status unknown: held, never accepted"),
        "A fresh consignment whose certificate, validly signed by cert-01, names status lists the registry "
        f"does not have (`revocation-{UNKNOWN_GENERATION}`, `suspension-{UNKNOWN_GENERATION}`) gets decision "
        "`held_for_inspection` with `STATUS_UNAVAILABLE` (a warning) as its only reason; never `accepted`.",
        N_(
            "Fail closed: a list that cannot be fetched, does not verify or is older than its `ttl` holds the "
            "submission for inspection (docs/design.md §12)."
        ),
    ),
    CaseSpec(
        "port.t2.status-lists-named",
        2,
        N_("Receipt names the status lists it relied on"),
        "An accepted fresh consignment's receipt verifies and its `statusLists` names a version "
        "(`{id, sequence, digest}`) of every status list its manifest and credentials cite, each once.",
        N_(
            "Put every status list version the decision relied on in the receipt's `statusLists`, so that an "
            "auditor can fetch exactly those versions and re-check."
        ),
    ),
)

_BY_ID = {spec.id: spec for spec in STATUS_CASES}


def _vector(stem: str) -> Vector:
    for vector in published_vectors():
        if vector.stem == stem:
            return vector
    raise CaseFailed(f"the published vector {stem} is missing from expected.json")


def _codes(subject: dict[str, Any]) -> list[str]:
    return [str(r.get("code")) for r in subject.get("reasons") or [] if isinstance(r, dict)]


@dataclass
class StatusCases:
    """The status cases of one run of the port suite, sent through that run's ``PortSuite``."""

    suite: PortSuite

    def plan(self) -> list[PlannedCase]:
        """The status cases, in registry order."""
        bodies = {
            "port.t2.status-revoked": lambda probe: self._rejected(probe, "submission-certificate-revoked"),
            "port.t2.status-suspended": lambda probe: self._rejected(probe, "submission-certificate-suspended"),
            "port.t2.status-fail-closed": self.fail_closed,
            "port.t2.status-lists-named": self.lists_named,
        }
        return [PlannedCase(_BY_ID[case_id], body) for case_id, body in bodies.items()]

    def _receipt_subject(self, exporter: str, document: dict[str, Any]) -> dict[str, Any]:
        sent = self.suite.submit(exporter, document)
        subject: dict[str, Any] = self.suite.receipt_of(sent)["credentialSubject"]
        return subject

    def _rejected(self, probe: Probe, stem: str) -> str:
        vector = _vector(stem)
        exporter = exporter_of(parse_json(vector.data))
        submission_id = self.suite.new_id(stem.removeprefix("submission-"), exporter)
        document = resubmitted(self.suite.material, vector, submission_id, self.suite.port_id)
        probe.sent = f"POST /v1/submissions {submission_id}: {vector.name} under a fresh id, signed by {exporter}"
        probe.expected = Phrase("201 receipt, decision rejected, the only reason {code}", code=vector.expect)
        subject = self._receipt_subject(exporter, document)
        seen = f"decision {subject.get('decision')}, reasons {_codes(subject)}"
        if subject.get("decision") != "rejected" or set(_codes(subject)) != {vector.expect}:
            raise CaseFailed(seen)
        return seen

    def fail_closed(self, probe: Probe) -> str:
        certifier = certifier_of(EXPORTER)
        entries = status_entries(
            certifier, 7, purposes_for("DigitalConformityCredential"), generation=UNKNOWN_GENERATION
        )
        submission_id = self.suite.new_id("status-unknown", EXPORTER)
        document = self.suite.fresh(EXPORTER, submission_id, certificate_status=entries)
        probe.sent = (
            f"POST /v1/submissions {submission_id}: its certificate by {certifier} names "
            f"{', '.join(e['statusListCredential'].rsplit('/', 1)[1] for e in entries)}, which no registry holds"
        )
        probe.expected = Phrase(
            "decision {decision}, {code} the only reason; never accepted",
            decision="held_for_inspection",
            code="STATUS_UNAVAILABLE",
        )
        subject = self._receipt_subject(EXPORTER, document)
        seen = f"decision {subject.get('decision')}, reasons {_codes(subject)}"
        if subject.get("decision") != "held_for_inspection" or set(_codes(subject)) != {"STATUS_UNAVAILABLE"}:
            raise CaseFailed(seen)
        return seen

    def lists_named(self, probe: Probe) -> str:
        submission_id = self.suite.new_id("status-named", EXPORTER)
        document = self.suite.fresh(EXPORTER, submission_id)
        cited = cited_status_lists(document)
        probe.sent = f"POST /v1/submissions {submission_id} (new, valid), citing {len(cited)} status lists"
        probe.expected = N_("decision accepted; statusLists names a version of each cited list, once")
        sent = self.suite.submit(EXPORTER, document)
        receipt = self.suite.receipt_of(sent)
        decision, _ = self.suite.verify_fully(sent, receipt)
        subject = receipt["credentialSubject"]
        if not self.suite.is_accepted(subject):
            raise CaseFailed(f"decision {decision}: {_codes(subject)}")
        named = subject.get("statusLists")
        if not isinstance(named, list) or not all(isinstance(item, dict) for item in named):
            raise CaseFailed(f"statusLists is {str(named)[:200]}")
        ids = [item.get("id") for item in named]
        missing = sorted(cited - set(ids))
        if missing:
            raise CaseFailed(f"statusLists names {len(set(ids))} lists; missing {', '.join(missing)}")
        if len(ids) != len(set(ids)):
            raise CaseFailed("statusLists names a list more than once")
        for item in named:
            sequence, digest = item.get("sequence"), item.get("digest")
            if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
                raise CaseFailed(f"{item.get('id')}: sequence {sequence!r} is not a positive integer")
            try:
                parse_digest(digest)
            except VerificationError as exc:
                raise CaseFailed(f"{item.get('id')}: digest {str(digest)[:80]!r} is not sha-256:<64 hex>") from exc
        return f"decision accepted; statusLists names each of the {len(cited)} cited lists once"
