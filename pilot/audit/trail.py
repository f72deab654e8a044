"""A consignment's whole story as a timeline of steps, each saying whether it verified.

From the exporter: the submission it sent (each credential: issuer, key, time, verified with the
trust list at the port's receive time) and each delivery attempt. From the port: the decision and its
reasons (the signed receipt); from the registry, each status list version the decision relied on (the
receipt's ``statusLists``, docs/design.md §12), verified as its issuer's list at the receive time and
compared with the receipt's digest; from the port again, the log entry (rebuilt from the receipt, hashed
and proved included in the receipt's checkpoint), that checkpoint's signature, and the latest checkpoint
with its witnesses' cosignatures and the consistency proof from the receipt's checkpoint to it.

A credential sealed to the port (issue 15) is shown sealed, with the key it is sealed to: the trail holds
no key and opens nothing (``pilot.audit.sealed.NOT_CHECKED``). The port's access log of the consignment
(``GET /v1/operator/submissions/{exporter}/{id}/access-log``, with the port's operator token from the
data dir) follows: who opened which sealed credential when, or was refused and why. Those rows are the
port's own record, facts rather than claims to check; when the log cannot be read the trail says so.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from pilot.audit.errors import AuditError
from pilot.audit.monitor import verified_checkpoint, verified_cosigners
from pilot.audit.nodes import AuditNetwork
from pilot.audit.sealed import NOT_CHECKED, sealed_kid
from pilot.audit.wording import error_text, said, said_joined, said_reason
from pilot.participant_labels import participant_choice, reader_ranges
from schemas.canonical import canonicalize
from schemas.digest import canonical_digest
from schemas.errors import PilotSchemaError, VerificationError
from schemas.identifiers import short_id_of
from schemas.jsonio import parse_json
from schemas.merkle import leaf_hash, verify_consistency, verify_inclusion
from schemas.phrase import Phrase
from schemas.receipt import log_entry_of
from schemas.sealing import is_sealed
from schemas.status_list import split_status_list_url, verify_status_list
from schemas.time import parse_time
from schemas.trust import TrustRegistry
from schemas.verify import check_credential

__all__ = ["Step", "build_trail"]


@dataclass(frozen=True)
class Step:
    """One step of the timeline; ``verified`` is None for a step that is a fact, not a claim to check.

    ``actor_name``: when ``actor`` is a participant's short id, its name from the trust list in the reader's
    language (``pilot.participant_labels``), else empty. ``what``, ``detail`` and an ``actor`` that is no id are
    English that keeps its phrase, shown in the reader's language (``pilot.audit.wording``).
    """

    at: str | None
    actor: str
    what: str
    verified: bool | None
    detail: str
    actor_name: str = ""

    def as_json(self) -> dict[str, Any]:
        """Machine form (``actorName`` for ``actor_name``)."""
        fields = asdict(self)
        fields["actorName"] = fields.pop("actor_name")
        return fields


def _named(step: Step, trust: TrustRegistry, ranges: Sequence[str]) -> Step:
    """``step`` with its actor's name when the actor is a participant of ``trust``."""
    chosen = participant_choice(step.actor, ranges, trust) if trust.participant(step.actor) else None
    return replace(step, actor_name=chosen.value) if chosen is not None else step


def _document_what(index: int, kind: str, credential_id: str | None) -> str:
    """``manifest: <type> <id>`` (``index`` 0) or ``credential <index>: <type> <id>``."""
    if index == 0:
        if credential_id:
            return said(Phrase("manifest: {kind} {id}", kind=kind, id=credential_id))
        return said(Phrase("manifest: {kind}", kind=kind))
    if credential_id:
        return said(Phrase("credential {number}: {kind} {id}", number=index, kind=kind, id=credential_id))
    return said(Phrase("credential {number}: {kind}", number=index, kind=kind))


def _credential_steps(submission: dict[str, Any], trust: TrustRegistry, at: datetime, exporter: str) -> list[Step]:
    steps = []
    documents = [(said(Phrase("manifest")), submission.get("manifest"))]
    documents += [
        (said(Phrase("credential {number}", number=i + 1)), c) for i, c in enumerate(submission.get("credentials", []))
    ]
    for index, (label, document) in enumerate(documents):
        if index > 0 and is_sealed(document):
            to = sealed_kid(document) or said(Phrase("a key its header does not name within the profile"))
            steps.append(
                Step(None, exporter, said(Phrase("{label}: sealed to {key}", label=label, key=to)), None, NOT_CHECKED)
            )
            continue
        report = check_credential(document, trust, at)
        issuer = report.key.participant_id if report.key else said(Phrase("unknown issuer"))
        key = report.key.verification_method if report.key else "-"
        kind = report.record_type or said(Phrase("credential"))
        what = _document_what(index, kind, report.credential_id)
        signed = said(Phrase("signed with {key}", key=key))
        detail = said_joined([signed, *map(said_reason, report.errors)])
        steps.append(Step(report.proof_created, issuer, what, report.verified, detail))
    return steps


def _receipt_steps(
    network: AuditNetwork, port: str, receipt: dict[str, Any], sent: dict[str, Any], trust: TrustRegistry
) -> list[Step]:
    subject = receipt["credentialSubject"]
    received = str(subject["receivedAt"])
    report = check_credential(receipt, trust, parse_time(received))
    codes = [str(r.get("code")) for r in subject.get("reasons", [])]
    steps = [
        Step(
            received,
            port,
            said(Phrase("decision: {decision} ({codes})", decision=subject["decision"], codes=", ".join(codes)))
            if codes
            else said(Phrase("decision: {decision}", decision=subject["decision"])),
            report.verified and report.key is not None and report.key.participant_id == port,
            said(Phrase("receipt signed with {key}", key=report.key.verification_method))
            if report.key
            else said(Phrase("receipt signed with an unknown key")),
        )
    ]
    steps.extend(_status_steps(network, port, subject, trust))
    digest = canonical_digest(sent)
    steps.append(
        Step(
            received,
            port,
            said(Phrase("receipt names the submission sent")),
            digest == subject.get("submissionDigest"),
            digest,
        )
    )
    log = subject["log"]
    entry = canonicalize(log_entry_of(short_id_of(str(subject.get("exporter", ""))), subject))
    leaf = base64.b64decode(log["leafHash"])
    try:
        checkpoint = verified_checkpoint(str(log["checkpoint"]), port, trust)
        verify_inclusion(
            int(log["index"]),
            checkpoint.size,
            leaf,
            [base64.b64decode(h) for h in log["inclusionProof"]],
            checkpoint.root_hash,
        )
        included: bool | None = leaf_hash(entry) == leaf
        detail: str = said(
            Phrase("leaf {index} proved in the tree of size {size}", index=log["index"], size=checkpoint.size)
        )
    except (AuditError, VerificationError) as exc:
        checkpoint, included, detail = None, False, error_text(exc)
    entry_step = said(Phrase("log entry {index} in {origin}", index=log["index"], origin=log["origin"]))
    steps.append(Step(received, port, entry_step, included, detail))
    steps.append(
        Step(
            received,
            port,
            said(Phrase("receipt's checkpoint signed by the port's log key")),
            checkpoint is not None,
            said(Phrase("size {size}", size=checkpoint.size)) if checkpoint else said(Phrase("does not verify")),
        )
    )
    if checkpoint is not None:
        steps.append(_latest_step(network, port, checkpoint, trust))
    return steps


def _status_steps(network: AuditNetwork, port: str, subject: dict[str, Any], trust: TrustRegistry) -> list[Step]:
    """One step per status list version the receipt names, fetched from the registry and verified."""
    received = str(subject["receivedAt"])
    references = subject.get("statusLists")
    if not isinstance(references, list) or not references:
        return [
            Step(
                received,
                port,
                said(Phrase("status lists")),
                None,
                said(Phrase("not recorded: the receipt names no status list version")),
            )
        ]
    steps = []
    for item in references:
        reference: dict[str, Any] = item if isinstance(item, dict) else {}
        url, sequence = str(reference.get("id")), reference.get("sequence")
        issuer: str
        issuer, list_name = split_status_list_url(url) or (said(Phrase("unknown issuer")), url)
        what = said(
            Phrase(
                "status list {issuer}/{list} version {sequence} relied on",
                issuer=issuer,
                list=list_name,
                sequence=sequence,
            )
        )
        if not isinstance(sequence, int):
            steps.append(
                Step(received, issuer, what, False, said(Phrase("the receipt names no sequence for {url}", url=url)))
            )
            continue
        try:
            served = parse_json(network.status_list_version(url, sequence))
            found = verify_status_list(served, trust, parse_time(received), url=url)
        except (AuditError, PilotSchemaError, VerificationError, TypeError, ValueError) as exc:
            steps.append(Step(received, issuer, what, False, str(exc)))
            continue
        same = found.sequence == sequence and found.digest == reference.get("digest")
        detail = said(
            Phrase(
                "signed by {issuer}, {purpose}, valid until {until}",
                issuer=found.issuer_did,
                purpose=found.purpose,
                until=f"{found.valid_until:%Y-%m-%dT%H:%M:%SZ}",
            )
        )
        steps.append(
            Step(received, issuer, what, same, detail if same else said(Phrase("the registry serves another version")))
        )
    return steps


def _latest_step(network: AuditNetwork, port: str, first: Any, trust: TrustRegistry) -> Step:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        with network.port(port) as api:
            note = api.checkpoint()
            latest = verified_checkpoint(note, port, trust)
            witnesses = verified_cosigners(note, port, trust)
            proof = api.consistency_proof(first.size, latest.size).hashes()
        verify_consistency(first.size, latest.size, first.root_hash, latest.root_hash, proof)
    except (AuditError, VerificationError) as exc:
        return Step(now, port, said(Phrase("latest checkpoint and cosignatures")), False, error_text(exc))
    return Step(
        now,
        ", ".join(witnesses) or said(Phrase("no witness")),
        said(
            Phrase(
                "latest checkpoint (size {size}) cosigned by {count} witness(es), consistent",
                size=latest.size,
                count=len(witnesses),
            )
        ),
        bool(witnesses),
        said(Phrase("extends the receipt's tree of size {size}", size=first.size)),
    )


def _access_steps(network: AuditNetwork, port: str, exporter: str, consignment_id: str, sealed: int) -> list[Step]:
    """The port's access log of the consignment's sealed credentials, one step per attempt."""
    what = said(Phrase("access log of sealed credentials"))
    path = f"/v1/operator/submissions/{quote(exporter, safe='')}/{quote(consignment_id, safe='')}/access-log"
    try:
        document = parse_json(network.get(port, path).content)
        entries = document["entries"]
        if not isinstance(entries, list):
            raise TypeError("entries is not a list")
    except (AuditError, PilotSchemaError, KeyError, TypeError) as exc:
        unread = said(Phrase("could not be read: {problem}", problem=str(exc)))
        return [Step(None, port, what, None, unread)] if sealed else []
    if not entries:
        unopened = said(Phrase("no sealed credential was opened at the port"))
        return [Step(None, port, what, None, unopened)] if sealed else []
    steps = []
    for entry in entries:
        item: dict[str, Any] = entry if isinstance(entry, dict) else {}
        number = item.get("credentialIndex")
        label = said(
            Phrase("credential {number}", number=number + 1) if isinstance(number, int) else Phrase("a credential")
        )
        outcome = str(item.get("outcome"))
        action = (
            said(Phrase("{label} opened", label=label))
            if outcome == "opened"
            else said(Phrase("opening of {label} refused: {outcome}", label=label, outcome=outcome))
        )
        steps.append(
            Step(
                str(item.get("at")),
                said(Phrase("{operator} ({port} operator)", operator=str(item.get("operator")), port=port)),
                action,
                None,
                said(Phrase("sealed to {key}", key=item.get("kid"))) if item.get("kid") else "-",
            )
        )
    return steps


def build_trail(network: AuditNetwork, consignment_id: str, ranges: Sequence[str] | None = None) -> list[Step]:
    """Every step of ``consignment_id``'s story, in order (see the module docstring); participants named for
    a reader of language ``ranges`` (the environment's locale when None)."""
    trust = network.trust()
    exporter, view, sent = network.sent_submission(consignment_id)
    port = str(view.get("destination"))
    receipt = view.get("receipt")
    at = parse_time(str(receipt["credentialSubject"]["receivedAt"])) if isinstance(receipt, dict) else datetime.now(UTC)
    steps = _credential_steps(sent, trust, at, exporter)
    steps.append(
        Step(
            view.get("createdAt"),
            exporter,
            said(Phrase("consignment queued for {port}", port=port)),
            None,
            said(Phrase("digest {digest}", digest=view.get("submissionDigest"))),
        )
    )
    for attempt in view.get("attemptLog", []):
        status = attempt.get("httpStatus")
        steps.append(
            Step(
                attempt.get("startedAt"),
                exporter,
                said(
                    Phrase(
                        "delivery attempt {number}: {outcome} (HTTP {status})",
                        number=attempt.get("number"),
                        outcome=attempt.get("outcome"),
                        status=status,
                    )
                    if status
                    else Phrase(
                        "delivery attempt {number}: {outcome}",
                        number=attempt.get("number"),
                        outcome=attempt.get("outcome"),
                    )
                ),
                None,
                " ".join(str(x) for x in (attempt.get("code"), attempt.get("detail")) if x) or "-",
            )
        )
    if isinstance(receipt, dict):
        steps.extend(_receipt_steps(network, port, receipt, sent, trust))
    else:
        steps.append(
            Step(None, port, said(Phrase("no receipt yet (state {state})", state=view.get("state"))), None, "-")
        )
    sealed = sum(1 for c in sent.get("credentials", []) if is_sealed(c)) if isinstance(sent, dict) else 0
    steps.extend(_access_steps(network, port, exporter, consignment_id, sealed))
    reader = reader_ranges() if ranges is None else ranges
    return [_named(step, trust, reader) for step in steps]
