"""The black-box suite for an exporter: the kit stands in for its destination port and watches it deliver.

The exporter under test must have been started with ``PILOT_PEER_URLS=<port id>=<kit URL>`` (the kit's
``--listen`` address) and a short ``PILOT_RETRY_BASE_S`` (0.2 is good). ``exercise`` then, through the
exporter's operator API, seeds it (``exporter_seed``) and asks it for seven consignments, each with a
scripted answer from the stand-in port (``port_standin``):

============  ==========================================  ==========================================
consignment   the stand-in answers                        a conformant exporter ends
============  ==========================================  ==========================================
plain         a receipt                                   delivered
retry503      503, then a receipt                         delivered after one resend
drop          drops the connection, then a receipt        delivered after one resend
backoff       503 four times, then a receipt              delivered; waits longer each time
conflict      409 DUPLICATE_CONFLICT                      failed, never resent
badsig        a receipt signed by the wrong key           failed with RECEIPT_INVALID
fork          a receipt whose checkpoint forks the log    failed with CHECKPOINT_INCONSISTENT
============  ==========================================  ==========================================

``fork`` is asked for once ``plain`` is delivered, so that the exporter already holds a checkpoint.
When the destination's policy seals ``laboratory`` (``--port-id cn-port-03``), an eighth consignment,
``sealed``, carries a certificate with laboratory results (``cases_sealing``: the exporter must seal it).
The cases then judge what the stand-in received and what the exporter reports.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import ValidationError

from pilot.conformance.cases_sealing import EXPORTER_SEALING_CASES, ExporterSealing
from pilot.conformance.exporter_seed import SeedError, consignment_request, seed_exporter
from pilot.conformance.material import KitMaterial
from pilot.conformance.model import CaseFailed, CaseSpec
from pilot.conformance.port_standin import Action, Received, StandinPort
from pilot.conformance.runner import PlannedCase, Probe
from pilot.conformance.status_sources import standin_status
from pilot.language import N_, tr
from schemas.assess import assess_submission
from schemas.errors import PilotSchemaError
from schemas.identifiers import did_of
from schemas.issue import credential_reference
from schemas.jose import is_enveloped, read_enveloped
from schemas.jsonio import parse_json
from schemas.models.submission import Submission
from schemas.phrase import Phrase
from schemas.status_list import StatusLookup

__all__ = ["EXPORTER_CASES", "SCRIPTS", "ExporterSuite"]

SCRIPTS: dict[str, list[Action]] = {
    "plain": ["receipt"],
    "retry503": ["503", "receipt"],
    "drop": ["drop", "receipt"],
    "backoff": ["503", "503", "503", "503", "receipt"],
    "conflict": ["409"],
    "badsig": ["bad-signature"],
    "fork": ["forked-checkpoint"],
}
FINAL = {"delivered", "delivered_with_warnings", "failed"}
DELIVERED = {"delivered", "delivered_with_warnings"}
_DIGEST = re.compile(r"sha-256=:([A-Za-z0-9+/=]+):")


#: The exporter suite's registry, in run order.
EXPORTER_CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        "exporter.t1.submission-schema",
        1,
        N_("Submissions match the schema"),
        "Every submission body received parses as strict JSON (RFC 8785-safe), validates as a `Submission` "
        "and its `submissionId` is the consignment id the operator asked for.",
        N_(
            "Send `{submissionId, manifest, credentials}` and nothing else; check it with `pilot conformance validate`."
        ),
    ),
    CaseSpec(
        "exporter.t2.request-signature",
        2,
        N_("Requests signed with the exporter's authentication key"),
        "Every request to the port (submissions and consistency-proof GETs) carries an RFC 9421 signature "
        "(`sig1`, `ed25519`, `created`, `nonce`, `keyid`) that verifies with an `authentication` key the "
        "trust list publishes for the exporter under test.",
        N_("Cover `@method @target-uri content-digest content-type` with a body, `@method @target-uri` without."),
    ),
    CaseSpec(
        "exporter.t2.content-digest",
        2,
        N_("Content-Digest matches the body"),
        "Every submission carries `Content-Digest: sha-256=:<base64>:` of its exact body (RFC 9530).",
        N_("Digest the bytes you send, after serialising."),
    ),
    CaseSpec(
        "exporter.t2.fresh-nonces",
        2,
        N_("Every attempt signed afresh"),
        "No two requests share a nonce, and every `created` is within 60 s of when the request arrived: "
        "each retry is signed anew.",
        N_("Sign inside the retry loop, not once before it."),
    ),
    CaseSpec(
        "exporter.t2.credential-proofs",
        2,
        N_("Every proof in the submission verifies"),
        "The plain consignment, assessed as a port does (`schemas.assess_submission`), has no reason at "
        "all: manifest and credentials verify with the trust list, issuers hold the right roles, the "
        "policy of the destination is met.",
        N_("Import certificates and attestations as issued; sign your own records with your `assertion` key."),
    ),
    CaseSpec(
        "exporter.t2.manifest-digests",
        2,
        N_("Manifest pins every credential"),
        "The manifest is issued by the exporter, addressed to the destination port, and references every "
        "credential carried by `id`, `type` and `digest` (`sha-256:` of its RFC 8785 bytes, or of the JWS).",
        N_("Compute each digest over exactly the credential you put in `credentials`."),
    ),
    CaseSpec(
        "exporter.t2.receipt-signature-flagged",
        2,
        N_("Receipt with a wrong signature flagged"),
        "For a receipt whose proof does not verify with the port's `assertion` key, the consignment ends "
        "`failed` with `RECEIPT_INVALID`, not delivered.",
        N_("Verify every receipt with the trust list before you record the consignment as delivered."),
    ),
    CaseSpec(
        "exporter.t2.checkpoint-inconsistent-flagged",
        2,
        N_("Forked checkpoint flagged"),
        "For a validly signed receipt whose checkpoint is not consistent with the one the exporter saw "
        "before, the consignment ends `failed` with `CHECKPOINT_INCONSISTENT`.",
        N_("Keep the largest checkpoint seen per port; fetch and verify a consistency proof for each new one."),
    ),
    CaseSpec(
        "exporter.t3.delivered",
        3,
        N_("Consignment delivered with the port's receipt"),
        "The plain consignment is sent once and ends `delivered` with decision `accepted`, holding the "
        "receipt the port sent.",
        N_("`GET /v1/consignments/{id}` shows `state`, `decision` and `receipt`."),
    ),
    CaseSpec(
        "exporter.t3.retry-after-503",
        3,
        N_("Resent after a 503"),
        "After a `503 LOG_UNAVAILABLE`, the same body is sent again (byte for byte, signed afresh) and the "
        "consignment ends `delivered`.",
        N_("429, 5xx and transport errors are temporary: retry with backoff."),
    ),
    CaseSpec(
        "exporter.t3.retry-after-dropped-connection",
        3,
        N_("Resent after a dropped connection"),
        "When the port closes the connection without answering, the same body is sent again and the "
        "consignment ends `delivered`.",
        N_("A connection reset is not an answer: the submission may or may not have been logged, resend it."),
    ),
    CaseSpec(
        "exporter.t3.backoff",
        3,
        N_("Backs off between retries"),
        "Answered 503 four times, the exporter waits longer between later attempts: the last interval is at "
        "least 1.5 times the first.",
        N_("Exponential backoff with jitter from `PILOT_RETRY_BASE_S`."),
    ),
    CaseSpec(
        "exporter.t3.final-answer-409",
        3,
        N_("No resend after a final 409"),
        "A `409 DUPLICATE_CONFLICT` ends the consignment `failed` with that code, and it is never sent again.",
        N_("4xx answers other than 429 are final."),
    ),
    CaseSpec(
        "exporter.t3.no-resend-after-receipt",
        3,
        N_("No resend after a receipt"),
        "No consignment is sent again after the port answered it with a receipt (good or bad).",
        N_("A receipt is a final answer; record it and stop."),
    ),
)

_BY_ID = {spec.id: spec for spec in EXPORTER_CASES}


@dataclass
class ExporterSuite:
    """One run of the exporter suite against the exporter at ``url``."""

    material: KitMaterial
    url: str
    exporter_id: str = "ru-exp-01"
    port_id: str = "cn-port-01"
    listen: tuple[str, int] = ("127.0.0.1", 8180)
    timeout_s: float = 60.0
    run_id: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(3))
    standin: StandinPort | None = None
    setup_problem: str | None = None
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    quiet_s: float = 0.0
    #: The registry the stand-in port fetches status lists from besides the sandbox's (the exporter's own).
    registry_url: str | None = None
    sealing: ExporterSealing | None = None

    def __post_init__(self) -> None:
        sealing = ExporterSealing(self.material, self.exporter_id, self.port_id, self.cid("sealed"))
        self.sealing = sealing if sealing.applies else None

    @property
    def names(self) -> list[str]:
        """The consignments of the run: the scripted ones, and ``sealed`` when the destination seals."""
        return [*SCRIPTS, *(["sealed"] if self.sealing is not None else [])]

    @property
    def state_file(self) -> Path:
        """Where the stand-in keeps its log between runs."""
        return self.material.data_dir / "conformance" / f"{self.port_id}-standin-log.jsonl"

    def cid(self, name: str) -> str:
        """The consignment id of one scripted consignment."""
        return f"conf-{self.exporter_id}-{self.run_id}-{name}"

    # -- the exercise ---------------------------------------------------------------------------------------

    def exercise(self, note: Callable[[str], None] = lambda _: None) -> None:
        """Serve the stand-in port, seed the exporter, ask for the consignments, wait; never raises."""
        with standin_status(self.material, self.registry_url) as status:
            self._exercise(status, note)

    def _exercise(self, status: StatusLookup, note: Callable[[str], None]) -> None:
        self.standin = StandinPort(self.material, self.port_id, state_file=self.state_file, status=status)
        try:
            server = self.standin.serve(*self.listen)
        except OSError as exc:
            self.setup_problem = f"cannot listen on {self.listen[0]}:{self.listen[1]}: {exc}"
            return
        try:
            token = self.material.token(self.exporter_id)
            headers = {"authorization": f"Bearer {token}"}
            with httpx.Client(base_url=self.url.rstrip("/"), headers=headers, timeout=30.0) as client:
                self._drive(client, note)
        except (SeedError, httpx.HTTPError, ValueError) as exc:
            self.setup_problem = f"{type(exc).__name__}: {exc}"
        finally:
            server.stop()

    def _drive(self, client: httpx.Client, note: Callable[[str], None]) -> None:
        assert self.standin is not None
        note(tr("seeding {exporter} through its operator API", exporter=self.exporter_id))
        world = seed_exporter(client, self.material, self.exporter_id)
        for name, actions in SCRIPTS.items():
            self.standin.script(self.cid(name), actions)
        note(tr("asking for consignments"))
        for n, name in enumerate(SCRIPTS):
            if name != "fork":
                self._queue(client, world, name, n)
        if self.sealing is not None:
            note(tr("asking for a consignment with laboratory results, which its destination takes only sealed"))
            self.standin.script(self.cid("sealed"), ["receipt"])
            self._post(client, self.cid("sealed"), self.sealing.prepare(client, world))
        deadline = time.monotonic() + self.timeout_s
        self._wait(client, [self.cid("plain")], deadline)
        self._queue(client, world, "fork", len(SCRIPTS))
        note(tr("waiting for every consignment to be final"))
        self._wait(client, [self.cid(name) for name in self.names], deadline)
        self.quiet_s = min(5.0, max(1.0, 3 * self._first_retry_interval()))
        note(tr("watching {seconds:.1f} s for resends", seconds=self.quiet_s))
        time.sleep(self.quiet_s)
        self._refresh(client, [self.cid(name) for name in self.names])

    def _queue(self, client: httpx.Client, world: Any, name: str, n: int) -> None:
        self._post(client, self.cid(name), consignment_request(world, self.cid(name), self.port_id, n))

    def _post(self, client: httpx.Client, consignment_id: str, body: dict[str, Any]) -> None:
        response = client.post("/v1/consignments", json=body)
        if response.status_code not in (200, 201, 202):
            raise SeedError(
                f"POST /v1/consignments {consignment_id}: HTTP {response.status_code} {response.text[:300]}"
            )

    def _refresh(self, client: httpx.Client, ids: list[str]) -> None:
        for consignment_id in ids:
            response = client.get(f"/v1/consignments/{consignment_id}")
            if response.status_code == 200:
                self.views[consignment_id] = response.json()

    def _wait(self, client: httpx.Client, ids: list[str], deadline: float) -> None:
        while True:
            self._refresh(client, ids)
            if all(self.views.get(i, {}).get("state") in FINAL for i in ids) or time.monotonic() > deadline:
                return
            time.sleep(0.2)

    def _first_retry_interval(self) -> float:
        attempts = self._attempts("retry503")
        return attempts[1].at - attempts[0].at if len(attempts) > 1 else 0.0

    # -- what was seen ----------------------------------------------------------------------------------------

    def _attempts(self, name: str) -> list[Received]:
        return self.standin.submissions(self.cid(name)) if self.standin else []

    def _ours(self) -> list[Received]:
        if self.standin is None:
            return []
        prefix = self.cid("")
        return [
            r
            for r in self.standin.received
            if r.path != "/v1/submissions" or (r.submission_id or "").startswith(prefix)
        ]

    def _view(self, name: str) -> dict[str, Any]:
        return self.views.get(self.cid(name), {})

    def _state(self, name: str) -> str:
        view = self._view(name)
        return f"{view.get('state', 'unknown')} {view.get('failureCode') or ''}".strip()

    # -- the plan ---------------------------------------------------------------------------------------------

    def plan(self) -> list[PlannedCase]:
        """Every case, in registry order; each fails at once if the exercise could not run."""
        bodies: dict[str, Callable[[Probe], str]] = {
            "exporter.t1.submission-schema": self.submission_schema,
            "exporter.t2.request-signature": self.request_signature,
            "exporter.t2.content-digest": self.content_digest,
            "exporter.t2.fresh-nonces": self.fresh_nonces,
            "exporter.t2.credential-proofs": self.credential_proofs,
            "exporter.t2.manifest-digests": self.manifest_digests,
            "exporter.t2.receipt-signature-flagged": lambda p: self._flagged(p, "badsig", "RECEIPT_INVALID"),
            "exporter.t2.checkpoint-inconsistent-flagged": lambda p: self._flagged(
                p, "fork", "CHECKPOINT_INCONSISTENT"
            ),
            "exporter.t3.delivered": self.delivered,
            "exporter.t3.retry-after-503": lambda p: self._retried(p, "retry503", "a 503"),
            "exporter.t3.retry-after-dropped-connection": lambda p: self._retried(p, "drop", "a dropped connection"),
            "exporter.t3.backoff": self.backoff,
            "exporter.t3.final-answer-409": self.final_409,
            "exporter.t3.no-resend-after-receipt": self.no_resend_after_receipt,
        }
        planned = [PlannedCase(_BY_ID[case_id], self._guarded(body)) for case_id, body in bodies.items()]
        if self.sealing is not None:
            planned.append(PlannedCase(EXPORTER_SEALING_CASES[0], self._guarded(self.seals_per_policy)))
        return planned

    def _guarded(self, body: Callable[[Probe], str]) -> Callable[[Probe], str]:
        def run(probe: Probe) -> str:
            if self.setup_problem is not None:
                probe.sent = "(setting up the exercise)"
                raise CaseFailed(f"the exercise could not run: {self.setup_problem}")
            return body(probe)

        return run

    def _submissions_received(self) -> list[Received]:
        return [r for r in self._ours() if r.path == "/v1/submissions"]

    # -- tier 1 and 2 -----------------------------------------------------------------------------------------

    def submission_schema(self, probe: Probe) -> str:
        received = self._submissions_received()
        probe.sent = f"asked for {len(self.names)} consignments through POST /v1/consignments"
        probe.expected = N_("every submission body: strict JSON, a valid Submission, submissionId = consignment id")
        if not received:
            raise CaseFailed("the stand-in port received no submission")
        wanted = {self.cid(name) for name in self.names}
        for request in received:
            try:
                document = parse_json(request.body)
                Submission.model_validate(document)
            except (PilotSchemaError, ValidationError) as exc:
                raise CaseFailed(f"a submission does not match the schema: {str(exc)[:300]}") from exc
            if document.get("submissionId") not in wanted:
                raise CaseFailed(
                    f"submissionId {document.get('submissionId')!r} is not a consignment the kit asked for"
                )
        return f"{len(received)} submission bodies valid"

    def request_signature(self, probe: Probe) -> str:
        requests = self._ours()
        probe.sent = "(every request the stand-in port received)"
        probe.expected = Phrase(
            "RFC 9421 signatures verifying with an authentication key of {exporter}", exporter=self.exporter_id
        )
        if not requests:
            raise CaseFailed("the stand-in port received no request")
        for request in requests:
            if request.signature_problem is not None:
                raise CaseFailed(f"{request.method} {request.path}: {request.signature_problem}")
            if request.exporter != self.exporter_id:
                raise CaseFailed(
                    f"{request.method} {request.path} signed by {request.keyid}, not by {self.exporter_id}"
                )
        keyids = sorted({r.keyid or "" for r in requests})
        return f"{len(requests)} requests verified ({', '.join(keyids)})"

    def content_digest(self, probe: Probe) -> str:
        received = self._submissions_received()
        probe.sent = "(every submission the stand-in port received)"
        probe.expected = "Content-Digest: sha-256=:<base64 of SHA-256(body)>:"
        for request in received:
            match = _DIGEST.search(request_header(request, "content-digest"))
            if not match or base64.b64decode(match.group(1)) != hashlib.sha256(request.body).digest():
                raise CaseFailed(f"submission {request.submission_id}: Content-Digest missing or not the body's")
        return f"{len(received)} digests match"

    def fresh_nonces(self, probe: Probe) -> str:
        requests = self._ours()
        probe.sent = "(every request the stand-in port received)"
        probe.expected = N_("distinct nonces; created within 60 s of arrival")
        nonces = [r.nonce for r in requests]
        if len(set(nonces)) != len(nonces) or None in nonces:
            raise CaseFailed(f"{len(nonces)} requests carried {len(set(nonces))} distinct nonces")
        for request in requests:
            if request.created is None or abs(request.at - request.created) > 60:
                raise CaseFailed(f"a request arrived {request.at - (request.created or 0):.0f} s after its created")
        return f"{len(requests)} requests, {len(requests)} distinct nonces"

    def _plain_document(self) -> dict[str, Any]:
        attempts = self._attempts("plain")
        if not attempts:
            raise CaseFailed("the plain consignment never reached the stand-in port")
        document = parse_json(attempts[0].body)
        if not isinstance(document, dict):
            raise CaseFailed("the plain submission is not a JSON object")
        return document

    def credential_proofs(self, probe: Probe) -> str:
        document = self._plain_document()
        probe.sent = f"(the submission of {self.cid('plain')})"
        probe.expected = Phrase("assessed at {port}: decision accepted, no reasons", port=self.port_id)
        assessment = assess_submission(
            document, self.material.registry, port_id=self.port_id, at=datetime.now(UTC), exporter_id=self.exporter_id
        )
        if assessment.reasons:
            found = "; ".join(f"{p.code} at {p.path}" for p in assessment.reasons[:5])
            raise CaseFailed(f"decision {assessment.decision}: {found}")
        return f"{len(document.get('credentials', [])) + 1} credentials verify; decision accepted"

    def manifest_digests(self, probe: Probe) -> str:
        document = self._plain_document()
        probe.sent = f"(the submission of {self.cid('plain')})"
        probe.expected = Phrase(
            "manifest by {issuer} to {port}, pinning every credential",
            issuer=did_of(self.exporter_id),
            port=self.port_id,
        )
        manifest = document.get("manifest")
        if not isinstance(manifest, dict):
            raise CaseFailed("the manifest is not a JSON object")
        payload = read_enveloped(manifest).payload if is_enveloped(manifest) else manifest
        subject = payload.get("credentialSubject", {})
        if subject.get("exporter") != did_of(self.exporter_id) or subject.get("destination") != self.port_id:
            raise CaseFailed(
                f"manifest exporter {subject.get('exporter')!r}, destination {subject.get('destination')!r}"
            )
        pinned = {(ref.get("id"), ref.get("digest")) for ref in subject.get("credentials", [])}
        carried = []
        for credential in document.get("credentials", []):
            body = read_enveloped(credential).payload if is_enveloped(credential) else credential
            reference = credential_reference(credential, body)
            carried.append((reference["id"], reference["digest"]))
        missing = [c for c in carried if c not in pinned]
        if missing or len(pinned) != len(carried):
            raise CaseFailed(
                f"{len(missing)} of {len(carried)} credentials not pinned by id and digest; {len(pinned)} pinned"
            )
        return f"{len(carried)} credentials pinned by id and digest"

    def _flagged(self, probe: Probe, name: str, code: str) -> str:
        what = "a receipt signed by the wrong key" if name == "badsig" else "a receipt whose checkpoint forks the log"
        probe.sent = f"{self.cid(name)}: answered with {what}"
        probe.expected = Phrase("state failed, failureCode {code}", code=code)
        if not self._attempts(name):
            raise CaseFailed("the consignment never reached the stand-in port")
        view = self._view(name)
        if view.get("state") != "failed" or view.get("failureCode") != code:
            raise CaseFailed(f"state {self._state(name)}")
        return f"state {self._state(name)}"

    # -- tier 3 ------------------------------------------------------------------------------------------------

    def delivered(self, probe: Probe) -> str:
        probe.sent = f"{self.cid('plain')}: answered with a receipt"
        probe.expected = N_("sent once; state delivered, decision accepted, the port's receipt kept")
        attempts = self._attempts("plain")
        view = self._view("plain")
        if len(attempts) != 1:
            raise CaseFailed(f"sent {len(attempts)} times; state {self._state('plain')}")
        if view.get("state") not in DELIVERED or view.get("decision") != "accepted":
            raise CaseFailed(f"state {self._state('plain')}, decision {view.get('decision')}")
        assert self.standin is not None
        sent = self.standin.receipt_for(self.exporter_id, self.cid("plain"))
        if sent is None or view.get("receipt") != parse_json(sent):
            raise CaseFailed("the exporter's receipt is not the one the port sent")
        return f"state {view.get('state')}, decision accepted, receipt kept"

    def _retried(self, probe: Probe, name: str, failure: str) -> str:
        probe.sent = f"{self.cid(name)}: answered with {failure}, then a receipt"
        probe.expected = N_("resent (same body, new signature); state delivered")
        attempts = self._attempts(name)
        if len(attempts) < 2:
            raise CaseFailed(f"sent {len(attempts)} time(s) in {self.timeout_s:.0f} s; state {self._state(name)}")
        if any(a.body != attempts[0].body for a in attempts):
            raise CaseFailed("the resend's body differs from the first attempt's")
        if len({a.nonce for a in attempts}) != len(attempts):
            raise CaseFailed("the resend reused the first attempt's signature nonce")
        if self._view(name).get("state") not in DELIVERED:
            raise CaseFailed(f"resent, but state {self._state(name)}")
        gap = attempts[1].at - attempts[0].at
        return f"resent after {gap:.2f} s ({len(attempts)} attempts); state {self._state(name)}"

    def backoff(self, probe: Probe) -> str:
        probe.sent = f"{self.cid('backoff')}: answered 503 four times, then a receipt"
        probe.expected = N_("5 attempts; last interval >= 1.5 x the first")
        attempts = self._attempts("backoff")
        if len(attempts) < 5:
            raise CaseFailed(f"sent {len(attempts)} time(s) in {self.timeout_s:.0f} s; state {self._state('backoff')}")
        gaps = [b.at - a.at for a, b in itertools.pairwise(attempts)][:4]
        shown = ", ".join(f"{g:.2f}" for g in gaps)
        if gaps[-1] < 1.5 * gaps[0]:
            raise CaseFailed(f"intervals {shown} s do not grow")
        return f"intervals {shown} s"

    def final_409(self, probe: Probe) -> str:
        probe.sent = f"{self.cid('conflict')}: answered 409 DUPLICATE_CONFLICT"
        probe.expected = Phrase(
            "sent once (watched {seconds:.1f} s more); state failed {code}",
            seconds=self.quiet_s,
            code="DUPLICATE_CONFLICT",
        )
        attempts = self._attempts("conflict")
        view = self._view("conflict")
        if len(attempts) != 1:
            raise CaseFailed(f"sent {len(attempts)} times; state {self._state('conflict')}")
        if view.get("state") != "failed" or view.get("failureCode") != "DUPLICATE_CONFLICT":
            raise CaseFailed(f"sent once; state {self._state('conflict')}")
        return f"sent once; state {self._state('conflict')}"

    def no_resend_after_receipt(self, probe: Probe) -> str:
        probe.sent = "(every consignment answered with a receipt)"
        probe.expected = Phrase(
            "no request for it after the receipt (watched {seconds:.1f} s more)", seconds=self.quiet_s
        )
        checked = 0
        for name in self.names:
            attempts = self._attempts(name)
            answered = [i for i, a in enumerate(attempts) if a.answer.startswith(("200", "201"))]
            if not answered:
                continue
            checked += 1
            if len(attempts) > answered[0] + 1:
                raise CaseFailed(
                    f"{self.cid(name)} was sent {len(attempts) - answered[0] - 1} more time(s) after its receipt"
                )
        if not checked:
            raise CaseFailed("no consignment got a receipt")
        return f"{checked} consignments, none resent after its receipt"

    def seals_per_policy(self, probe: Probe) -> str:
        assert self.sealing is not None
        probe.sent = f"POST /v1/consignments {self.cid('sealed')}: from a farm certified with laboratory results"
        probe.expected = Phrase(
            "the certificate sealed to {port}'s current keyAgreement key, pinned; delivered", port=self.port_id
        )
        return self.sealing.judge(_first_body(self._attempts("sealed")), self._state("sealed"))


def _first_body(attempts: list[Received]) -> bytes | None:
    return attempts[0].body if attempts else None


def request_header(request: Received, name: str) -> str:
    """A header of a received request ('' when absent)."""
    return request.headers.get(name, "")
