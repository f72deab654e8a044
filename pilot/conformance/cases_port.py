"""The black-box suite for a port authority: the kit acts as the sandbox's exporters over HTTP.

Cases run in registry order and share a little state (the run's fresh submission and its receipt, the
checkpoints seen), so later cases can compare with earlier ones. Everything sent is either a published
vector (docs/design.md §11) or a fresh submission whose id is unique to the run, so the suite can be run
again and again against the same port. The port should be otherwise idle while the suite runs: some
cases check that a refused request added no log entry by comparing log sizes.

A port is sent the published submission vectors addressed to it (``Vector.port``: ``cn-port-01``, or
``cn-port-03`` for the sealed ones); credential vectors travel inside fresh consignments to whichever port
is tested. Where a case expects ``accepted``, a port whose policy samples (``samplingRate`` above 0) may
instead hold the submission by that rule alone: ``held_for_inspection`` with no reason at all.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from node_core.port_client import PeerError, SyncPortClient
from pilot.conformance.http_probe import JSON, describe, expect_problem, signed_request
from pilot.conformance.material import KitMaterial
from pilot.conformance.model import CaseFailed, CaseSpec, Text
from pilot.conformance.receipt_checks import (
    b64decode,
    check_checkpoint,
    check_inclusion,
    check_leaf_hash,
    check_signature,
    check_subject,
    log_entry_of,
    parse_receipt,
)
from pilot.conformance.runner import PlannedCase, Probe
from pilot.conformance.submissions import (
    WRAPPING_EXPORTER,
    Vector,
    exporter_of,
    fresh_submission,
    published_vectors,
    wrap_credential,
)
from pilot.language import N_
from schemas.canonical import canonicalize
from schemas.digest import canonical_digest
from schemas.errors import VerificationError
from schemas.jsonio import parse_json
from schemas.keyring import KeyEntry
from schemas.merkle import MerkleTree, leaf_hash, verify_consistency, verify_inclusion
from schemas.phrase import Phrase
from schemas.signed_note import Checkpoint

__all__ = ["PORT_CASES", "VECTOR_TITLES", "PortSuite", "vector_case_ids", "vectors_for"]

MAX_BODY = 1024 * 1024
REBUILD_LIMIT = 10_000
OWNER, OTHER = "ru-exp-01", "ru-exp-02"
#: What a case expects of a request the port must refuse before logging anything.
NO_LOG_ENTRY = N_("{status} {code}, no log entry")


#: The port suite's registry, in run order. ``<vector>`` stands for each published vector of the family.
PORT_CASES: tuple[CaseSpec, ...] = (
    CaseSpec(
        "port.t1.invalid.<vector>",
        1,
        N_("Invalid vector refused with its code"),
        "Each published invalid vector is refused with the code `expected.json` gives: a submission vector "
        "as it is, a credential vector inside a fresh consignment that pins it; the answer is a verifiable "
        "receipt (201/200) with decision `rejected` naming the code. A `JSON_MALFORMED` vector is the request "
        "body itself and must get `400 JSON_MALFORMED` and no log entry.",
        N_(
            "Run the vector through your verifier offline with `pilot conformance validate FILE`; the code must "
            "be one of the receipt's `reasons[].code` (docs/design.md §7)."
        ),
    ),
    CaseSpec(
        "port.t2.valid.<vector>",
        2,
        N_("Valid vector accepted with a verifiable receipt"),
        "Each published valid submission vector addressed to the port, signed by the exporter its id names, "
        "gets 201 (or 200 if the port saw it before) and a receipt that verifies completely: signature by the "
        "port's `assertion` key, subject, leaf hash, checkpoint and inclusion proof; decision `accepted` (or, "
        "from a port whose policy samples, `held_for_inspection` with no reason).",
        N_(
            "Valid vectors target `cn-port-01` of the default sandbox (the sealed one `cn-port-03`, opened with its "
            "keyAgreement key-4): start the port in a `pilot init` data dir."
        ),
    ),
    CaseSpec(
        "port.t2.fresh-submission",
        2,
        N_("Fresh valid submission accepted (201)"),
        "A valid submission built for this run (unique `submissionId`) gets `201` and decision `accepted` (or, "
        "from a port whose policy samples, `held_for_inspection` with no reason).",
        N_("A new `(exporter, submissionId)` must be answered 201 with the receipt, never 200."),
    ),
    CaseSpec(
        "port.t2.receipt-signature",
        2,
        N_("Receipt signed by the port's assertion key"),
        "The receipt is a W3C VC of type `SubmissionReceipt` whose `eddsa-jcs-2022` proof (or VC-JOSE "
        "envelope) verifies with the port's `assertion` key from the trust list.",
        N_("Sign receipts with the key whose `purposes` include `assertion`; never the `log` or `witness` key."),
    ),
    CaseSpec(
        "port.t2.receipt-subject",
        2,
        N_("Receipt names what was sent"),
        "`credentialSubject` has the `submissionId`, the `submissionDigest` (`sha-256:` of the RFC 8785 "
        "bytes of the submission) and the exporter's DID.",
        N_("Digest the canonical (RFC 8785) bytes of the parsed submission, not the bytes received."),
    ),
    CaseSpec(
        "port.t2.receipt-leaf-hash",
        2,
        N_("Receipt's leafHash matches its log entry"),
        "`log.leafHash` is base64 of SHA-256(0x00 || RFC 8785 bytes of `{v, exporter, submissionId, "
        "submissionDigest, decision, reasonCodes, receivedAt}`) rebuilt from the receipt.",
        N_("`exporter` in the entry is the short id; `reasonCodes` are the distinct codes in order."),
    ),
    CaseSpec(
        "port.t2.receipt-checkpoint",
        2,
        N_("Receipt's checkpoint is a signed note by the log key"),
        "`log.checkpoint` is a C2SP `tlog-checkpoint` note with origin `<port id>.pilot.example/log`, "
        "signed by the port's `log` key under that name.",
        N_("The key name is the origin; the signature line's key ID is SHA-256(name || 0x0A || 0x01 || key)[:4]."),
    ),
    CaseSpec(
        "port.t2.receipt-inclusion",
        2,
        N_("Receipt's inclusion proof verifies"),
        "`log.inclusionProof` leads from `leafHash` at `log.index` to the root of the receipt's checkpoint "
        "(RFC 9162 section 2.1.3.2).",
        N_("Proof hashes are standard base64, leaf level first."),
    ),
    CaseSpec(
        "port.t2.checkpoint-endpoint",
        2,
        N_("Latest checkpoint verifies"),
        "`GET /v1/log/checkpoint` is `text/plain`, a signed note by the port's `log` key, at least as large "
        "as every receipt's checkpoint seen so far.",
        N_("Serve the newest signed checkpoint of the committed tree."),
    ),
    CaseSpec(
        "port.t2.request-unsigned",
        2,
        N_("Unsigned submission refused (401)"),
        "A submission without `Signature-Input`/`Signature` gets `401 REQUEST_SIGNATURE_INVALID` as "
        "`application/problem+json`, and no log entry.",
        N_("Authenticate before anything is logged (docs/design.md §6)."),
    ),
    CaseSpec(
        "port.t2.request-wrong-key",
        2,
        N_("Signature by another key refused (401)"),
        "A submission signed with ru-exp-02's key under ru-exp-01's `keyid` gets "
        "`401 REQUEST_SIGNATURE_INVALID` and no log entry.",
        N_("Verify the signature with the key the trust list publishes for the `keyid`."),
    ),
    CaseSpec(
        "port.t2.request-stale-created",
        2,
        N_("Stale signature refused (401)"),
        "A signature whose `created` is 400 s old gets `401 REQUEST_SIGNATURE_INVALID` (window +-300 s).",
        N_("Check `created` against your own clock; the HTTP signature library does not."),
    ),
    CaseSpec(
        "port.t2.request-replayed-nonce",
        2,
        N_("Replayed nonce refused (401)"),
        "The same signed request sent twice: the first is answered 201, the second "
        "`401 REQUEST_REPLAYED` and adds no log entry.",
        N_("Remember `(keyid, nonce)` for 600 s, after the signature verified."),
    ),
    CaseSpec(
        "port.t2.request-body-changed",
        2,
        N_("Body changed after signing refused (401)"),
        "A signed request whose body was replaced after signing (signature and `Content-Digest` kept) gets "
        "`401 REQUEST_SIGNATURE_INVALID`.",
        N_("Check `Content-Digest` (RFC 9530) against the body as received."),
    ),
    CaseSpec(
        "port.t2.request-revoked-key",
        2,
        N_("Signature by a revoked key refused (401)"),
        "A submission signed with ru-exp-02's `key-0` (revoked 2026-06-01) gets `401 REQUEST_SIGNATURE_INVALID`.",
        N_("Judge the key at your receive time, with `revokedAt` (docs/design.md §5)."),
    ),
    CaseSpec(
        "port.t2.request-not-an-exporter",
        2,
        N_("Signature by a non-exporter refused (403)"),
        "A submission validly signed by `cert-01` (a certifier) gets `403 FORBIDDEN`.",
        N_("Only participants whose role is `exporter` may submit."),
    ),
    CaseSpec(
        "port.t3.idempotent-resubmission",
        3,
        N_("Identical resubmission: 200, same bytes, no new entry"),
        "Sending the fresh submission's bytes again gets `200` with the byte-identical receipt; the log "
        "size does not change.",
        N_("Store the receipt bytes and serve them again for an identical `(exporter, submissionId)`."),
    ),
    CaseSpec(
        "port.t3.duplicate-conflict",
        3,
        N_("Same id, other content: 409"),
        "Another submission under the fresh submission's id gets `409 DUPLICATE_CONFLICT` and no log entry.",
        N_("Compare the canonical digest of the new content with the stored one."),
    ),
    CaseSpec(
        "port.t3.payload-too-large",
        3,
        N_("Body over 1 MiB refused (413)"),
        "A signed body of 1 MiB + 1 byte gets `413 PAYLOAD_TOO_LARGE`.",
        N_("Decide from `Content-Length` before reading the body whole."),
    ),
    CaseSpec(
        "port.t3.nesting-too-deep",
        3,
        N_("Nesting deeper than 64 refused (400)"),
        "A signed body nested 100 levels deep gets `400 JSON_MALFORMED` and no log entry.",
        N_("Bound the parser's depth at 64 (docs/design.md §7)."),
    ),
    CaseSpec(
        "port.t3.batch",
        3,
        N_("Batch of submissions"),
        '`POST /v1/submissions:batch` with two fresh submissions gets 200 `{"results": [...]}` with a 201 '
        "receipt for each, in order.",
        N_("Commit each item on its own; a result is `{status, receipt}` or `{status, problem}`."),
    ),
    CaseSpec(
        "port.t3.log-entries",
        3,
        N_("Log entry of the fresh submission"),
        "`GET /v1/log/entries?start=i&end=i+1` at the fresh receipt's index returns the entry the receipt "
        "stands for; its leaf hash is the receipt's `leafHash`.",
        N_("An entry holds digests and codes only; its RFC 8785 bytes are the leaf input."),
    ),
    CaseSpec(
        "port.t3.log-rebuild",
        3,
        N_("Entries rebuild the checkpoint's root"),
        "All entries of the latest checkpoint (fetched in pages of at most 1,000) rebuild an RFC 9162 tree "
        f"whose root is the checkpoint's (skipped above {REBUILD_LIMIT} entries: then the last page is "
        "checked by inclusion proofs).",
        N_("Entries must be exactly the leaves, in order, `end` exclusive."),
    ),
    CaseSpec(
        "port.t3.inclusion-proof-endpoint",
        3,
        N_("Inclusion proof endpoint"),
        "`GET /v1/log/proof/inclusion?index=i&size=n` for the fresh entry and the latest checkpoint returns a "
        "proof that verifies against that checkpoint's root.",
        N_("Answer `{index, size, proof}` with base64 hashes."),
    ),
    CaseSpec(
        "port.t3.consistency-proof",
        3,
        N_("Log is append-only (consistency proof)"),
        "`GET /v1/log/proof/consistency` between the fresh receipt's checkpoint and the latest checkpoint "
        "returns a proof that verifies (RFC 9162 section 2.1.4.2).",
        N_("Never rewrite or drop a leaf: every checkpoint must extend the previous ones."),
    ),
    CaseSpec(
        "port.t3.consistency-first-after-second",
        3,
        N_("Consistency proof with first > second refused (400)"),
        "`GET /v1/log/proof/consistency?first=2&second=1` gets `400`.",
        N_("docs/design.md §4: `first > second` is a 400."),
    ),
    CaseSpec(
        "port.t3.receipt-owner-reads",
        3,
        N_("Submitter reads its receipt"),
        "A signed `GET /v1/receipts/{id}` by the submitting exporter returns the receipt bytes served at submission.",
        N_("Serve the stored bytes; sign-verify GETs with the covered set `@method @target-uri`."),
    ),
    CaseSpec(
        "port.t3.receipt-hidden-from-others",
        3,
        N_("Other exporters cannot read it (404)"),
        "Signed `GET /v1/receipts/{id}` and `GET /v1/submissions/{id}` by another exporter get `404`.",
        N_("Look submissions up by `(caller, id)`; answer 404, not 403, so that ids do not leak."),
    ),
)

_BY_ID = {spec.id: spec for spec in PORT_CASES}
#: The title of one case of a vector family: the family's title, then ``{vector}``, the vector's name.
VECTOR_TITLES = {
    "port.t1.invalid.<vector>": N_("Invalid vector refused with its code: {vector}"),
    "port.t2.valid.<vector>": N_("Valid vector accepted with a verifiable receipt: {vector}"),
}


def vectors_for(port_id: str, vectors: list[Vector] | None = None) -> list[Vector]:
    """The published vectors a port is sent: every credential vector (it travels in a fresh consignment to
    that port), and the submission vectors addressed to it."""
    return [v for v in vectors or published_vectors() if v.kind == "credential" or v.port == port_id]


def vector_case_ids(vectors: list[Vector] | None = None, port_id: str = "cn-port-01") -> list[str]:
    """The ids the vector families expand to with the published vectors, for a port ``port_id``."""
    ids = []
    for vector in vectors_for(port_id, vectors):
        if vector.expect != "accept":
            ids.append(f"port.t1.invalid.{vector.stem}")
        elif vector.kind == "submission":
            ids.append(f"port.t2.valid.{vector.stem}")
    return ids


@dataclass
class _Sent:
    """A submission the kit sent and what came back."""

    exporter: str
    document: Any
    body: bytes
    response: httpx.Response

    @property
    def submission_id(self) -> str:
        return str(self.document["submissionId"])


@dataclass
class PortSuite:
    """One run of the port suite against the port at ``url``."""

    material: KitMaterial
    url: str
    port_id: str = "cn-port-01"
    timeout_s: float = 30.0
    run_id: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(3))
    _client: httpx.Client | None = None
    _fresh: _Sent | None = None
    _fresh_receipt: dict[str, Any] | None = None
    _fresh_checkpoint: Checkpoint | None = None
    _largest_seen: int = 0
    _counter: int = 0

    # -- plumbing ------------------------------------------------------------------------------------

    @property
    def client(self) -> httpx.Client:
        """The HTTP client (created on first use)."""
        if self._client is None:
            self._client = httpx.Client(base_url=self.url.rstrip("/"), timeout=self.timeout_s)
        return self._client

    def close(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            self._client.close()

    def new_id(self, label: str, exporter: str = OWNER) -> str:
        """A submission id unique to this run (it names the exporter, as the vectors' ids do)."""
        self._counter += 1
        return f"conf-{exporter}-{self.run_id}-{self._counter:03d}-{label}"[:128]

    def _post(self, exporter: str, body: bytes, *, label: str = "key-1") -> httpx.Response:
        return self.client.post(
            "/v1/submissions", content=body, headers=JSON, auth=self.material.request_signer(exporter, label)
        )

    def submit(self, exporter: str, document: Any) -> _Sent:
        """POST ``document`` as compact JSON, signed by ``exporter``."""
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        return _Sent(exporter, document, body, self._post(exporter, body))

    def fresh(self, exporter: str, submission_id: str, **options: Any) -> dict[str, Any]:
        """A new valid submission of ``exporter`` to the port under test (``options``: ``fresh_submission``'s)."""
        return fresh_submission(self.material, exporter, submission_id, self.port_id, **options)

    @property
    def port(self) -> SyncPortClient:
        """The port's API through the same HTTP client, for the reads that are not themselves probes."""
        return SyncPortClient(self.url, client=self.client)

    def log_size(self) -> int:
        """The size of the latest checkpoint (verified)."""
        return self._latest().size

    def _unchanged(self, before: int, seen: str) -> str:
        after = self.log_size()
        if after != before:
            raise CaseFailed(f"{seen}, but the log grew from {before} to {after} entries")
        return f"{seen}; log size unchanged ({after})"

    def _refused_unlogged(self, send: Callable[[], httpx.Response], status: int, code: str) -> str:
        """Send (after reading the log size): the answer must be the problem ``status`` ``code``, the log unchanged."""
        before = self.log_size()
        return self._unchanged(before, expect_problem(send(), status, code))

    def _get(self, path: str, *, status: int = 200, **options: Any) -> httpx.Response:
        """``GET path`` (``options`` as ``httpx.Client.get`` takes them), answered with ``status``."""
        response = self.client.get(path, **options)
        if response.status_code != status:
            raise CaseFailed(describe(response))
        return response

    def receipt_of(self, sent: _Sent, statuses: tuple[int, ...] = (200, 201)) -> dict[str, Any]:
        """The receipt of ``sent``, parsed (not verified); ``CaseFailed`` for another status or no receipt."""
        if sent.response.status_code not in statuses:
            raise CaseFailed(describe(sent.response))
        return parse_receipt(sent.response.content)

    def _need_fresh(self) -> tuple[_Sent, dict[str, Any]]:
        if self._fresh is None or self._fresh_receipt is None:
            raise CaseFailed("prerequisite port.t2.fresh-submission did not produce a receipt")
        return self._fresh, self._fresh_receipt

    @property
    def samples(self) -> bool:
        """Whether the port's published policy samples submissions for inspection (``samplingRate`` > 0)."""
        policy = self.material.registry.policy(self.port_id)
        return policy is not None and float(policy.inspection.samplingRate) > 0

    def is_accepted(self, subject: dict[str, Any]) -> bool:
        """A receipt subject's decision is ``accepted``, or ``held_for_inspection`` by the sampling rule alone
        (no reason at all) at a port whose policy samples: the kit cannot tell which submissions are drawn."""
        decision = subject.get("decision")
        return decision == "accepted" or (
            decision == "held_for_inspection" and self.samples and not subject.get("reasons")
        )

    def verify_fully(self, sent: _Sent, receipt: dict[str, Any]) -> tuple[str, Checkpoint]:
        """Every step of the receipt's verification (``CaseFailed`` naming the first that fails); its decision."""
        check_signature(receipt, self.port_id, self.material.registry)
        decision = check_subject(receipt, sent.submission_id, canonical_digest(sent.document), sent.exporter)
        check_leaf_hash(receipt, sent.exporter)
        checkpoint = check_checkpoint(
            receipt["credentialSubject"]["log"].get("checkpoint"), self.port_id, self.material.registry
        )
        check_inclusion(receipt, checkpoint)
        self._largest_seen = max(self._largest_seen, checkpoint.size)
        return decision, checkpoint

    # -- the plan --------------------------------------------------------------------------------------

    def plan(self) -> list[PlannedCase]:
        """Every case of the suite, vector families expanded, in run order."""
        planned: list[PlannedCase] = []
        vectors = vectors_for(self.port_id)
        for vector in vectors:
            if vector.expect != "accept":
                planned.append(self._vector_case("port.t1.invalid.<vector>", vector, self._invalid_vector))
        for vector in vectors:
            if vector.expect == "accept" and vector.kind == "submission":
                planned.append(self._vector_case("port.t2.valid.<vector>", vector, self._valid_vector))
        bodies: dict[str, Callable[[Probe], str]] = {
            "port.t2.fresh-submission": self.fresh_submission,
            "port.t2.receipt-signature": self.receipt_signature,
            "port.t2.receipt-subject": self.receipt_subject,
            "port.t2.receipt-leaf-hash": self.receipt_leaf_hash,
            "port.t2.receipt-checkpoint": self.receipt_checkpoint,
            "port.t2.receipt-inclusion": self.receipt_inclusion,
            "port.t2.checkpoint-endpoint": self.checkpoint_endpoint,
            "port.t2.request-unsigned": self.request_unsigned,
            "port.t2.request-wrong-key": self.request_wrong_key,
            "port.t2.request-stale-created": self.request_stale,
            "port.t2.request-replayed-nonce": self.request_replayed,
            "port.t2.request-body-changed": self.request_body_changed,
            "port.t2.request-revoked-key": self.request_revoked_key,
            "port.t2.request-not-an-exporter": self.request_not_exporter,
            "port.t3.idempotent-resubmission": self.idempotent_resubmission,
            "port.t3.duplicate-conflict": self.duplicate_conflict,
            "port.t3.payload-too-large": self.payload_too_large,
            "port.t3.nesting-too-deep": self.nesting_too_deep,
            "port.t3.batch": self.batch,
            "port.t3.log-entries": self.log_entries,
            "port.t3.log-rebuild": self.log_rebuild,
            "port.t3.inclusion-proof-endpoint": self.inclusion_endpoint,
            "port.t3.consistency-proof": self.consistency_proof,
            "port.t3.consistency-first-after-second": self.consistency_first_after_second,
            "port.t3.receipt-owner-reads": self.receipt_owner_reads,
            "port.t3.receipt-hidden-from-others": self.receipt_hidden,
        }
        planned += [PlannedCase(_BY_ID[case_id], body) for case_id, body in bodies.items()]
        return planned

    def _vector_case(self, family: str, vector: Vector, body: Callable[[Vector, Probe], str]) -> PlannedCase:
        spec = _BY_ID[family]
        title = Phrase(VECTOR_TITLES[family], vector=vector.stem)
        named = CaseSpec(family.replace("<vector>", vector.stem), spec.tier, title, spec.checks, spec.hint)
        return PlannedCase(named, lambda probe: body(vector, probe))

    # -- tier 1 ----------------------------------------------------------------------------------------

    def _invalid_vector(self, vector: Vector, probe: Probe) -> str:
        if vector.expect == "JSON_MALFORMED":
            probe.sent = f"POST /v1/submissions with {vector.name} as the body, signed by {WRAPPING_EXPORTER}"
            probe.expected = Phrase(NO_LOG_ENTRY, status=400, code="JSON_MALFORMED")
            return self._refused_unlogged(lambda: self._post(WRAPPING_EXPORTER, vector.data), 400, "JSON_MALFORMED")
        if vector.kind == "credential":
            submission_id = self.new_id(vector.stem, WRAPPING_EXPORTER)
            document = wrap_credential(self.material, vector, submission_id, self.port_id)
            exporter = WRAPPING_EXPORTER
            probe.sent = (
                f"POST /v1/submissions {submission_id}: a fresh consignment of {exporter} carrying {vector.name}"
            )
        else:
            document = parse_json(vector.data)
            exporter = exporter_of(document)
            probe.sent = f"POST /v1/submissions {vector.name} as published, signed by {exporter}"
        probe.expected = Phrase("201/200 receipt, decision rejected, reasons include {code}", code=vector.expect)
        sent = self.submit(exporter, document)
        receipt = self.receipt_of(sent)
        subject = receipt["credentialSubject"]
        codes = [str(r.get("code")) for r in subject.get("reasons") or [] if isinstance(r, dict)]
        seen = f"HTTP {sent.response.status_code}, decision {subject.get('decision')}, reasons {codes}"
        if subject.get("decision") != "rejected" or vector.expect not in codes:
            raise CaseFailed(seen)
        return seen

    # -- tier 2 ----------------------------------------------------------------------------------------

    def _valid_vector(self, vector: Vector, probe: Probe) -> str:
        document = parse_json(vector.data)
        exporter = exporter_of(document)
        probe.sent = f"POST /v1/submissions {vector.name} as published, signed by {exporter}"
        probe.expected = N_("201 (or 200 if seen before), a receipt that verifies completely, decision accepted")
        sent = self.submit(exporter, document)
        receipt = self.receipt_of(sent)
        decision, checkpoint = self.verify_fully(sent, receipt)
        if not self.is_accepted(receipt["credentialSubject"]):
            raise CaseFailed(f"decision {decision}: {receipt['credentialSubject'].get('reasons')}")
        return f"HTTP {sent.response.status_code}, decision {decision}, receipt verifies (tree size {checkpoint.size})"

    def fresh_submission(self, probe: Probe) -> str:
        document = fresh_submission(self.material, OWNER, self.new_id("fresh"), self.port_id)
        probe.sent = f"POST /v1/submissions {document['submissionId']} (new, valid), signed by {OWNER}"
        probe.expected = N_("201 with a receipt, decision accepted")
        sent = self.submit(OWNER, document)
        self._fresh = sent
        receipt = self.receipt_of(sent, (201,))
        self._fresh_receipt = receipt
        decision = receipt["credentialSubject"].get("decision")
        if not self.is_accepted(receipt["credentialSubject"]):
            raise CaseFailed(f"HTTP 201, decision {decision}: {receipt['credentialSubject'].get('reasons')}")
        return f"HTTP 201, decision {decision}"

    def _fresh_receipt_case(self, probe: Probe, expected: Text) -> tuple[_Sent, dict[str, Any]]:
        """The fresh submission and its receipt, for a case that checks the receipt expecting ``expected``."""
        fresh = self._need_fresh()
        probe.sent = "(the fresh submission's receipt)"
        probe.expected = expected
        return fresh

    def receipt_signature(self, probe: Probe) -> str:
        expected = Phrase("a SubmissionReceipt whose proof verifies with {port}'s assertion key", port=self.port_id)
        _, receipt = self._fresh_receipt_case(probe, expected)
        return f"verifies with {check_signature(receipt, self.port_id, self.material.registry)}"

    def receipt_subject(self, probe: Probe) -> str:
        sent, receipt = self._need_fresh()
        probe.sent = "(the fresh submission's receipt)"
        probe.expected = Phrase(
            "submissionId {submission}, its canonical digest, exporter {exporter}'s DID",
            submission=sent.submission_id,
            exporter=OWNER,
        )
        decision = check_subject(receipt, sent.submission_id, canonical_digest(sent.document), OWNER)
        return f"subject matches; decision {decision}"

    def receipt_leaf_hash(self, probe: Probe) -> str:
        _, receipt = self._fresh_receipt_case(
            probe, N_("log.leafHash = leaf hash of the entry rebuilt from the receipt")
        )
        check_leaf_hash(receipt, OWNER)
        return "leafHash matches the rebuilt entry"

    def receipt_checkpoint(self, probe: Probe) -> str:
        expected = Phrase(
            "log.checkpoint signed by {port}'s log key, origin {origin}",
            port=self.port_id,
            origin=f"{self.port_id}.pilot.example/log",
        )
        _, receipt = self._fresh_receipt_case(probe, expected)
        checkpoint = check_checkpoint(
            receipt["credentialSubject"]["log"].get("checkpoint"), self.port_id, self.material.registry
        )
        self._fresh_checkpoint = checkpoint
        self._largest_seen = max(self._largest_seen, checkpoint.size)
        return f"checkpoint of size {checkpoint.size} verifies"

    def receipt_inclusion(self, probe: Probe) -> str:
        _, receipt = self._fresh_receipt_case(probe, N_("the inclusion proof leads to the checkpoint's root"))
        if self._fresh_checkpoint is None:
            raise CaseFailed("prerequisite port.t2.receipt-checkpoint failed")
        index = check_inclusion(receipt, self._fresh_checkpoint)
        return f"leaf {index} is included in tree {self._fresh_checkpoint.size}"

    def checkpoint_endpoint(self, probe: Probe) -> str:
        probe.sent = "GET /v1/log/checkpoint"
        probe.expected = Phrase(
            "text/plain signed note by {port}'s log key, size >= {size}", port=self.port_id, size=self._largest_seen
        )
        response = self.client.get("/v1/log/checkpoint")
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("text/plain"):
            raise CaseFailed(f"{describe(response)} ({response.headers.get('content-type')})")
        checkpoint = check_checkpoint(response.text, self.port_id, self.material.registry)
        if checkpoint.size < self._largest_seen:
            raise CaseFailed(f"latest checkpoint has size {checkpoint.size}, a receipt showed {self._largest_seen}")
        return f"checkpoint of size {checkpoint.size} verifies"

    def _refused(self, probe: Probe, sent: str, request: httpx.Request, status: int, code: str) -> str:
        probe.sent = sent
        probe.expected = Phrase(NO_LOG_ENTRY, status=status, code=code)
        return self._refused_unlogged(lambda: self.client.send(request), status, code)

    def _fresh_body(self, exporter: str, label: str) -> bytes:
        document = fresh_submission(self.material, exporter, self.new_id(label, exporter), self.port_id)
        return json.dumps(document, separators=(",", ":")).encode()

    def _signed_post(
        self, exporter: str, label: str, key: KeyEntry, keyid: str | None = None, created_offset_s: float = 0.0
    ) -> httpx.Request:
        """``POST /v1/submissions`` of a fresh submission of ``exporter``, signed with ``key`` under ``keyid``
        (its own unless told), ``created`` shifted by ``created_offset_s``."""
        return signed_request(
            self.client,
            "POST",
            "/v1/submissions",
            self._fresh_body(exporter, label),
            signer=(key.private_key, keyid or key.verification_method),
            created_offset_s=created_offset_s,
        )

    def request_unsigned(self, probe: Probe) -> str:
        request = self.client.build_request(
            "POST", "/v1/submissions", content=self._fresh_body(OWNER, "unsigned"), headers=JSON
        )
        return self._refused(
            probe, "POST /v1/submissions without a signature", request, 401, "REQUEST_SIGNATURE_INVALID"
        )

    def request_wrong_key(self, probe: Probe) -> str:
        owner, other = self.material.key(OWNER), self.material.key(OTHER)
        request = self._signed_post(OWNER, "wrongkey", other, owner.verification_method)
        sent = f"POST /v1/submissions signed with {OTHER}'s key, keyid {owner.verification_method}"
        return self._refused(probe, sent, request, 401, "REQUEST_SIGNATURE_INVALID")

    def request_stale(self, probe: Probe) -> str:
        request = self._signed_post(OWNER, "stale", self.material.key(OWNER), created_offset_s=-400)
        return self._refused(
            probe, "POST /v1/submissions signed with created 400 s ago", request, 401, "REQUEST_SIGNATURE_INVALID"
        )

    def request_replayed(self, probe: Probe) -> str:
        request = self._signed_post(OWNER, "replay", self.material.key(OWNER))
        probe.sent = "the same signed POST /v1/submissions twice (same nonce)"
        probe.expected = Phrase(
            "{first}, then {status} {code} and no new log entry", first=201, status=401, code="REQUEST_REPLAYED"
        )
        first = self.client.send(request)
        if first.status_code != 201:
            raise CaseFailed(f"first sending: {describe(first)}")
        return "201, then " + self._refused_unlogged(lambda: self.client.send(request), 401, "REQUEST_REPLAYED")

    def request_body_changed(self, probe: Probe) -> str:
        signed = self._signed_post(OWNER, "changed", self.material.key(OWNER))
        headers = {k: v for k, v in signed.headers.items() if k.lower() not in ("content-length", "host")}
        request = self.client.build_request(
            "POST", "/v1/submissions", content=self._fresh_body(OWNER, "swapped"), headers=headers
        )
        sent = "POST /v1/submissions whose body was replaced after signing"
        return self._refused(probe, sent, request, 401, "REQUEST_SIGNATURE_INVALID")

    def request_revoked_key(self, probe: Probe) -> str:
        revoked = self.material.key(OTHER, "key-0")
        request = self._signed_post(OTHER, "revoked", revoked)
        sent = f"POST /v1/submissions signed with {revoked.verification_method} (revoked)"
        return self._refused(probe, sent, request, 401, "REQUEST_SIGNATURE_INVALID")

    def request_not_exporter(self, probe: Probe) -> str:
        certifier = self.material.key("cert-01")
        request = self._signed_post(OWNER, "certifier", certifier)
        sent = f"POST /v1/submissions validly signed by {certifier.verification_method}"
        return self._refused(probe, sent, request, 403, "FORBIDDEN")

    # -- tier 3 ----------------------------------------------------------------------------------------

    def idempotent_resubmission(self, probe: Probe) -> str:
        sent, _ = self._need_fresh()
        probe.sent = f"the fresh submission {sent.submission_id} again, same bytes"
        probe.expected = N_("200, byte-identical receipt, log size unchanged")
        before = self.log_size()
        again = self._post(OWNER, sent.body)
        if again.status_code != 200:
            raise CaseFailed(describe(again))
        if again.content != sent.response.content:
            raise CaseFailed("HTTP 200, but the receipt bytes differ from the first answer")
        return self._unchanged(before, "HTTP 200, identical receipt bytes")

    def duplicate_conflict(self, probe: Probe) -> str:
        sent, _ = self._need_fresh()
        other = fresh_submission(self.material, OWNER, sent.submission_id, self.port_id, variant=1)
        probe.sent = f"another valid submission under the id {sent.submission_id}"
        probe.expected = Phrase(NO_LOG_ENTRY, status=409, code="DUPLICATE_CONFLICT")
        return self._refused_unlogged(lambda: self.submit(OWNER, other).response, 409, "DUPLICATE_CONFLICT")

    def payload_too_large(self, probe: Probe) -> str:
        padding = MAX_BODY + 1 - len(b'{"submissionId":"big","padding":""}')
        body = b'{"submissionId":"big","padding":"' + b"x" * padding + b'"}'
        probe.sent = f"POST /v1/submissions with a signed body of {len(body)} bytes"
        probe.expected = "413 PAYLOAD_TOO_LARGE"
        return expect_problem(self._post(OWNER, body), 413, "PAYLOAD_TOO_LARGE")

    def nesting_too_deep(self, probe: Probe) -> str:
        body = b'{"submissionId":"deep","manifest":' + b"[" * 100 + b"]" * 100 + b',"credentials":[]}'
        probe.sent = "POST /v1/submissions with a signed body nested 100 levels deep"
        probe.expected = Phrase(NO_LOG_ENTRY, status=400, code="JSON_MALFORMED")
        return self._refused_unlogged(lambda: self._post(OWNER, body), 400, "JSON_MALFORMED")

    def batch(self, probe: Probe) -> str:
        documents = [fresh_submission(self.material, OWNER, self.new_id(f"batch{n}"), self.port_id) for n in (1, 2)]
        body = json.dumps({"submissions": documents}, separators=(",", ":")).encode()
        probe.sent = (
            f"POST /v1/submissions:batch with {documents[0]['submissionId']} and {documents[1]['submissionId']}"
        )
        probe.expected = N_('200 {"results": [{status 201, receipt}, {status 201, receipt}]} in order')
        response = self.client.post(
            "/v1/submissions:batch", content=body, headers=JSON, auth=self.material.request_signer(OWNER)
        )
        if response.status_code != 200:
            raise CaseFailed(describe(response))
        results = parse_json(response.content).get("results")
        if not isinstance(results, list) or len(results) != 2:
            raise CaseFailed(f"results is {str(results)[:200]}")
        for document, result in zip(documents, results, strict=True):
            receipt = result.get("receipt") if isinstance(result, dict) else None
            if not isinstance(result, dict) or result.get("status") != 201 or not isinstance(receipt, dict):
                raise CaseFailed(f"result for {document['submissionId']}: {str(result)[:200]}")
            if receipt.get("credentialSubject", {}).get("submissionId") != document["submissionId"]:
                raise CaseFailed("the receipts are not in the order of the submissions")
        return "200, two 201 receipts in order"

    def log_entries(self, probe: Probe) -> str:
        _, receipt = self._need_fresh()
        index = receipt["credentialSubject"]["log"].get("index")
        probe.sent = f"GET /v1/log/entries?start={index}&end={index + 1 if isinstance(index, int) else '?'}"
        probe.expected = N_("the entry the fresh receipt stands for, hashing to its leafHash")
        response = self._get("/v1/log/entries", params={"start": index, "end": int(index) + 1})
        entries = parse_json(response.content).get("entries")
        if not isinstance(entries, list) or len(entries) != 1 or entries[0].get("index") != index:
            raise CaseFailed(f"entries is {str(entries)[:200]}")
        entry = entries[0].get("entry")
        want = log_entry_of(OWNER, receipt["credentialSubject"])
        if entry != want:
            raise CaseFailed(f"entry {str(entry)[:300]} differs from {want}")
        if leaf_hash(canonicalize(entry)) != b64decode(receipt["credentialSubject"]["log"].get("leafHash"), "leafHash"):
            raise CaseFailed("the entry's leaf hash differs from the receipt's leafHash")
        return f"entry {index} is the fresh submission's, leaf hash matches"

    def _latest(self) -> Checkpoint:
        try:
            note = self.port.checkpoint()
        except PeerError as exc:
            raise CaseFailed(str(exc)) from exc
        return check_checkpoint(note, self.port_id, self.material.registry)

    def _entries(self, start: int, end: int) -> list[bytes]:
        try:
            entries = self.port.entries(start, end)
        except PeerError as exc:
            raise CaseFailed(str(exc)) from exc
        return [leaf_hash(canonicalize(item.entry)) for item in entries]

    def log_rebuild(self, probe: Probe) -> str:
        latest = self._latest()
        probe.sent = f"GET /v1/log/checkpoint, then GET /v1/log/entries for its {latest.size} entries"
        probe.expected = N_("the entries' RFC 9162 tree has the checkpoint's root")
        if latest.size <= REBUILD_LIMIT:
            tree = MerkleTree(self._entries(0, latest.size))
            if tree.root() != latest.root_hash:
                raise CaseFailed(f"the root rebuilt from {latest.size} entries differs from the checkpoint's")
            return f"{latest.size} entries rebuild the checkpoint's root"
        start = latest.size - 1000
        for offset, leaf in enumerate(self._entries(start, latest.size)):
            self._verify_inclusion_endpoint(start + offset, latest, leaf)
        return f"log of {latest.size} entries: the last 1,000 verify by inclusion proofs"

    def _verify_inclusion_endpoint(self, index: int, checkpoint: Checkpoint, leaf: bytes) -> None:
        response = self._get("/v1/log/proof/inclusion", params={"index": index, "size": checkpoint.size})
        body = parse_json(response.content)
        proof = [b64decode(h, "proof") for h in body.get("proof", [])]
        try:
            verify_inclusion(index, checkpoint.size, leaf, proof, checkpoint.root_hash)
        except VerificationError as exc:
            raise CaseFailed(f"inclusion proof of {index} in {checkpoint.size} does not verify: {exc}") from exc

    def inclusion_endpoint(self, probe: Probe) -> str:
        _, receipt = self._need_fresh()
        latest = self._latest()
        log = receipt["credentialSubject"]["log"]
        index = log.get("index")
        probe.sent = f"GET /v1/log/proof/inclusion?index={index}&size={latest.size}"
        probe.expected = N_("a proof that verifies against the latest checkpoint's root")
        self._verify_inclusion_endpoint(int(index), latest, b64decode(log.get("leafHash"), "leafHash"))
        return f"leaf {index} is included in tree {latest.size}"

    def consistency_proof(self, probe: Probe) -> str:
        if self._fresh_checkpoint is None:
            raise CaseFailed("prerequisite port.t2.receipt-checkpoint failed")
        earlier, latest = self._fresh_checkpoint, self._latest()
        probe.sent = f"GET /v1/log/proof/consistency?first={earlier.size}&second={latest.size}"
        probe.expected = Phrase(
            "a proof that tree {first} (fresh receipt) is a prefix of tree {second} (latest)",
            first=earlier.size,
            second=latest.size,
        )
        response = self._get("/v1/log/proof/consistency", params={"first": earlier.size, "second": latest.size})
        body = parse_json(response.content)
        proof = [b64decode(h, "proof") for h in body.get("proof", [])]
        try:
            verify_consistency(earlier.size, latest.size, earlier.root_hash, latest.root_hash, proof)
        except VerificationError as exc:
            raise CaseFailed(f"tree {latest.size} does not extend tree {earlier.size}: {exc}") from exc
        return f"tree {latest.size} extends tree {earlier.size}"

    def consistency_first_after_second(self, probe: Probe) -> str:
        probe.sent = "GET /v1/log/proof/consistency?first=2&second=1"
        probe.expected = "400"
        return describe(self._get("/v1/log/proof/consistency", status=400, params={"first": 2, "second": 1}))

    def receipt_owner_reads(self, probe: Probe) -> str:
        sent, _ = self._need_fresh()
        probe.sent = f"GET /v1/receipts/{sent.submission_id} signed by {OWNER}"
        probe.expected = N_("200 with the receipt bytes served at submission")
        response = self._get(f"/v1/receipts/{sent.submission_id}", auth=self.material.request_signer(OWNER))
        if response.content != sent.response.content:
            raise CaseFailed("HTTP 200, but the bytes differ from the receipt served at submission")
        return "HTTP 200, identical bytes"

    def receipt_hidden(self, probe: Probe) -> str:
        sent, _ = self._need_fresh()
        probe.sent = f"GET /v1/receipts/{sent.submission_id} and /v1/submissions/{sent.submission_id} signed by {OTHER}"
        probe.expected = Phrase("{status} for both", status=404)
        seen = []
        for path in (f"/v1/receipts/{sent.submission_id}", f"/v1/submissions/{sent.submission_id}"):
            response = self.client.get(path, auth=self.material.request_signer(OTHER))
            seen.append(f"{path}: {describe(response)}")
            if response.status_code != 404:
                raise CaseFailed("; ".join(seen))
        return "; ".join(seen)
