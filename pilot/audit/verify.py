"""Verifying an evidence bundle offline: every check a sceptic needs, with no network access at all.

The checks, in order (each a ``Check`` row; a bundle is good only when every row is ok):

1. the zip opens and every member's CRC holds; rebuilding it from its members gives the same bytes
   (the bundle is deterministic, so any changed byte, even one the zip format ignores, is caught);
2. ``manifest.json`` lists exactly the other files, each with its SHA-256;
3. the trust list is signed by a key of the trust anchor pinned by the caller (not the bundle's copy);
4. the receipt is a ``SubmissionReceipt`` VC by the port's ``assertion`` key, judged at its ``receivedAt``;
5. every credential of the submission verifies at ``receivedAt`` (one that does not is acceptable only
   when the port rejected the submission for that very reason); a sealed credential (issue 15) is not
   opened: no key is needed or used, its content is not checked, and its digest is pinned by the signed
   manifest and its sealed bytes by the receipt's ``submissionDigest``;
6. the submission's canonical digest and id are the receipt's ``submissionDigest`` and ``submissionId``;
7. status lists (``pilot.audit.status_lists``): every status list version the receipt's ``statusLists``
   names is in the bundle with that digest and verifies at ``receivedAt`` as its issuer's list, and the
   decision agrees with them (the credentials' status re-checked over exactly those versions: a set bit
   is the receipt's ``CREDENTIAL_REVOKED``/``SUSPENDED``, an entry none covers its ``STATUS_UNAVAILABLE``,
   never with ``accepted``); a receipt that records no status check passes, saying status was not recorded;
8. the log entry rebuilt from the receipt is ``log/entry.json`` and hashes to the receipt's ``leafHash``;
9. the receipt's checkpoint is signed by the port's ``log`` key and is ``log/checkpoint-receipt.txt``;
10. the inclusion proof (the receipt's, equal to ``log/inclusion-proof.json``) leads to its root;
11. the later checkpoint is signed by the same log key;
12. its cosignatures verify with the witnesses' ``witness`` keys (at least one, none bad);
13. the consistency proof shows the later tree extends the receipt's;
14. when the bundle carries ``epcis.json``: it is exactly the EPCIS 2.0 mapping (``schemas.epcis``) of
    the submission's DigitalTraceabilityEvent credentials, with the consignment's id, the exporter as
    sender and the port as receiver (a structural check: no reference files needed). Always run;
15. sealed credentials (``pilot.audit.sealed``): each is well formed, sealed to a ``keyAgreement`` key of
    the receipt's port usable at ``receivedAt``, and pinned by the signed manifest. Always run, and
    passes, keyless, after the port destroyed the key: nothing here needs the plaintext.

Sizes: ``pilot audit verify`` refuses, unread, a bundle file above ``MAX_BUNDLE_BYTES`` (64 MiB; an
exported bundle is well under 1 MiB) and a trust anchor above ``MAX_ANCHOR_BYTES`` (1 MiB); inside the
zip, ``pilot.audit.bundle`` refuses more than 256 members or more than 64 MiB of members in total.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pilot.audit.bundle import EPCIS_FILE, MANIFEST, manifest_of, read_bundle, zip_files
from pilot.audit.errors import EvidenceError
from pilot.audit.sealed import NOT_CHECKED, check_bundle_sealed
from pilot.audit.status_lists import check_bundle_status
from pilot.audit.wording import said, said_joined, said_reason
from pilot.language import N_
from port_node.witness import witness_name
from schemas.canonical import canonicalize
from schemas.digest import canonical_digest
from schemas.epcis import dte_credentials, epcis_document
from schemas.errors import PilotSchemaError, VerificationError
from schemas.identifiers import DID_PREFIX, RECEIPT_TYPE, log_origin, short_id_of
from schemas.jsonio import parse_json
from schemas.merkle import leaf_hash, verify_consistency, verify_inclusion
from schemas.phrase import Phrase
from schemas.receipt import log_entry_of
from schemas.sealing import is_sealed
from schemas.signed_note import Checkpoint, SignedNote, parse_signed_note, verify_checkpoint, verify_cosignature
from schemas.time import parse_time
from schemas.trust import TrustRegistry, verify_trust_list
from schemas.verify import check_credential

__all__ = ["BUNDLE_OPENS", "MAX_ANCHOR_BYTES", "MAX_BUNDLE_BYTES", "Check", "verify_bundle"]

#: The largest bundle file read (bytes): beyond it the file is refused without being read.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: The largest trust anchor file read (bytes): a real one is a few hundred bytes.
MAX_ANCHOR_BYTES = 1024 * 1024
#: The first check's name (the names are English, the same in every language's JSON; ``tr`` shows them).
BUNDLE_OPENS = N_("bundle opens")


@dataclass(frozen=True)
class Check:
    """One row of the verification table: ``name`` an English message id (``tr`` shows it), ``detail`` English
    that keeps its phrase (``pilot.audit.wording``)."""

    name: str
    ok: bool
    detail: str


class _Failed(Exception):
    """A check failed with this message: a phrase (kept, ``pilot.audit.wording``) or a text shown as it is."""

    def __init__(self, message: Phrase | str) -> None:
        self.message = said(message) if isinstance(message, Phrase) else message
        super().__init__(self.message)


def _b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise _Failed(Phrase("{what} is not a base64 string", what=what))
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Failed(Phrase("{what} is not RFC 4648 base64", what=what)) from exc
    if base64.b64encode(raw).decode() != text:
        raise _Failed(Phrase("{what} is not canonical base64", what=what))
    return raw


def _json(files: Mapping[str, bytes], name: str) -> Any:
    try:
        return parse_json(files[name])
    except KeyError as exc:
        raise _Failed(Phrase("{name} is missing from the bundle", name=name)) from exc
    except PilotSchemaError as exc:
        raise _Failed(Phrase("{name} is not strict JSON: {problem}", name=name, problem=str(exc))) from exc


def _text(files: Mapping[str, bytes], name: str) -> str:
    try:
        return files[name].decode("utf-8")
    except KeyError as exc:
        raise _Failed(Phrase("{name} is missing from the bundle", name=name)) from exc
    except UnicodeDecodeError as exc:
        raise _Failed(Phrase("{name} is not UTF-8", name=name)) from exc


class _Verifier:
    """Runs the checks over the members of one bundle, keeping what earlier checks established."""

    def __init__(self, data: bytes, anchor: Mapping[str, Any]) -> None:
        self.data = data
        self.anchor = anchor
        self.checks: list[Check] = []
        self.files: dict[str, bytes] = {}
        self.trust: TrustRegistry | None = None
        self.receipt: dict[str, Any] = {}
        self.subject: dict[str, Any] = {}
        self.port = ""
        self.at: datetime | None = None
        self.first: Checkpoint | None = None
        self.second: Checkpoint | None = None

    def run(self, name: str, step: Callable[[], str]) -> bool:
        try:
            detail = step()
        except _Failed as exc:
            self.checks.append(Check(name, False, exc.message))
            return False
        except (VerificationError, PilotSchemaError, KeyError, TypeError, ValueError) as exc:
            self.checks.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
            return False
        self.checks.append(Check(name, True, detail))
        return True

    # -- 1, 2: the file ----------------------------------------------------------------------------

    def readable(self) -> str:
        try:
            self.files = read_bundle(self.data)
        except EvidenceError as exc:
            raise _Failed(str(exc)) from exc
        return said(Phrase("{count} members", count=len(self.files)))

    def canonical_form(self) -> str:
        rebuilt = zip_files(self.files)
        if rebuilt != self.data:
            position = next((i for i, (a, b) in enumerate(zip(rebuilt, self.data, strict=False)) if a != b), None)
            where = (
                said(Phrase("byte {position}", position=position))
                if position is not None
                else said(Phrase("length {length} != {rebuilt}", length=len(self.data), rebuilt=len(rebuilt)))
            )
            raise _Failed(
                said(
                    Phrase(
                        "the zip is not the deterministic form of its members (first difference at {where})",
                        where=where,
                    )
                )
            )
        return said(Phrase("sorted, stored, fixed timestamps: byte-identical when rebuilt"))

    def manifest(self) -> str:
        others = {name: data for name, data in self.files.items() if name != MANIFEST}
        if MANIFEST not in self.files:
            raise _Failed(Phrase("manifest.json is missing"))
        listed = _json(self.files, MANIFEST)
        expected = parse_json(manifest_of(others))
        if set(listed.get("files", {})) != set(expected["files"]):
            listed_names, held = sorted(listed.get("files", {})), sorted(others)
            raise _Failed(
                said(Phrase("the manifest lists {listed}, the bundle holds {held}", listed=listed_names, held=held))
            )
        wrong = [n for n, d in expected["files"].items() if listed["files"][n] != d]
        if wrong:
            raise _Failed(Phrase("digest mismatch for {files}", files=", ".join(wrong)))
        if self.files[MANIFEST] != manifest_of(others):
            raise _Failed(Phrase("manifest.json is not in canonical form"))
        return said(Phrase("{count} files, SHA-256 each", count=len(others)))

    # -- 3-8: trust list, receipt, credentials, digest, status lists, entry --------------------

    def trust_list(self) -> str:
        self.trust = verify_trust_list(_json(self.files, "trust/trust-list.json"), self.anchor)
        return said(Phrase("sequence {sequence}, signed by the pinned anchor", sequence=self.trust.sequence))

    def receipt_signature(self) -> str:
        assert self.trust is not None
        self.receipt = _json(self.files, "receipt.json")
        about = _json(self.files, "bundle.json")
        self.subject = self.receipt["credentialSubject"]
        self.at = parse_time(str(self.subject["receivedAt"]))
        report = check_credential(self.receipt, self.trust, self.at)
        if not report.verified or report.key is None:
            problems = said_joined(map(said_reason, report.errors)) if report.errors else said(Phrase("not verified"))
            raise _Failed(Phrase("the receipt does not verify: {problems}", problems=problems))
        if report.record_type != RECEIPT_TYPE:
            raise _Failed(
                said(Phrase("the receipt is a {kind}, not a {receipt}", kind=report.record_type, receipt=RECEIPT_TYPE))
            )
        self.port = report.key.participant_id
        if about.get("port") != self.port:
            named = repr(about.get("port"))
            raise _Failed(
                said(Phrase("bundle.json names port {named}, the receipt is by {port}", named=named, port=self.port))
            )
        key, received = report.key.verification_method, self.subject["receivedAt"]
        return said(Phrase("by {key}, received {received}", key=key, received=received))

    def credentials(self) -> str:
        assert self.trust is not None and self.at is not None
        submission = _json(self.files, "submission.json")
        documents = [("manifest", submission["manifest"])]
        documents += [(f"credentials/{i}", c) for i, c in enumerate(submission["credentials"])]
        reason_codes = {str(r.get("code")) for r in self.subject.get("reasons", [])}
        verified, explained, sealed, failed = 0, 0, 0, []
        for path, document in documents:
            if path != "manifest" and is_sealed(document):
                sealed += 1  # opened by nobody here: the check "sealed credentials" says what holds
                continue
            report = check_credential(document, self.trust, self.at, path=f"/{path}")
            if report.verified:
                verified += 1
                continue
            codes = {str(p.code) for p in report.errors}
            if self.subject.get("decision") == "rejected" and codes <= reason_codes:
                explained += 1
                continue
            failed.append(said_joined([f"{path}: ", said_joined(said_reason(p, " ") for p in report.errors)], ""))
        if failed:
            raise _Failed(Phrase("credentials that do not verify: {failed}", failed=said_joined(failed, " | ")))
        parts = [
            said(Phrase("{verified} of {count} verify at receivedAt", verified=verified, count=len(documents) - sealed))
        ]
        if explained:
            parts.append(said(Phrase(", {count} failing exactly as the receipt's reasons say", count=explained)))
        if sealed:
            parts.append(said(Phrase("; {count} more {not_checked}", count=sealed, not_checked=NOT_CHECKED)))
        return said_joined(parts, "")

    def submission_digest(self) -> str:
        submission = _json(self.files, "submission.json")
        digest = canonical_digest(submission)
        if digest != self.subject.get("submissionDigest"):
            claimed = self.subject.get("submissionDigest")
            raise _Failed(
                said(
                    Phrase(
                        "the submission's digest {digest} is not the receipt's {claimed}",
                        digest=digest,
                        claimed=claimed,
                    )
                )
            )
        if submission.get("submissionId") != self.subject.get("submissionId"):
            raise _Failed(Phrase("the submission's id is not the receipt's submissionId"))
        if self.files["submission.json"] != canonicalize(submission):
            raise _Failed(Phrase("submission.json is not in canonical form"))
        return digest

    def status_lists(self) -> str:
        assert self.trust is not None and self.at is not None
        findings = check_bundle_status(self.files, self.subject, self.trust, self.at)
        if not findings.ok:
            raise _Failed(said_joined(findings.problems))
        return findings.detail

    def log_entry(self) -> str:
        exporter = short_id_of(str(self.subject.get("exporter", "")))
        entry = canonicalize(log_entry_of(exporter, self.subject))
        if self.files.get("log/entry.json") != entry:
            raise _Failed(Phrase("log/entry.json is not the entry rebuilt from the receipt"))
        claimed = _b64(self.subject["log"]["leafHash"], said(Phrase("the receipt's leafHash")))
        if leaf_hash(entry) != claimed:
            raise _Failed(Phrase("the rebuilt entry does not hash to the receipt's leafHash"))
        log = self.subject["log"]
        return said(Phrase("leaf {index} of {origin}", index=log["index"], origin=log["origin"]))

    # -- 9-13: the log ----------------------------------------------------------------------------

    def _signed_by_log(self, text: str) -> Checkpoint:
        assert self.trust is not None
        origin = log_origin(self.port)
        problems = []
        for key in self.trust.keys_of(self.port, "log"):
            try:
                return verify_checkpoint(text, origin, key.public_key, origin=origin)
            except VerificationError as exc:
                problems.append(str(exc))
        found = said_joined(problems) if problems else said(Phrase("no log key listed"))
        raise _Failed(Phrase("not signed by a log key of {port}: {problems}", port=self.port, problems=found))

    def receipt_checkpoint(self) -> str:
        text = str(self.subject["log"]["checkpoint"])
        if _text(self.files, "log/checkpoint-receipt.txt") != text:
            raise _Failed(Phrase("log/checkpoint-receipt.txt is not the receipt's checkpoint"))
        self.first = self._signed_by_log(text)
        return said(Phrase("size {size}, signed by {origin}", size=self.first.size, origin=self.first.origin))

    def inclusion(self) -> str:
        assert self.first is not None
        log = self.subject["log"]
        stored = _json(self.files, "log/inclusion-proof.json")
        if stored != {"index": log["index"], "size": self.first.size, "proof": log["inclusionProof"]}:
            raise _Failed(Phrase("log/inclusion-proof.json differs from the receipt's inclusion proof"))
        proof = [
            _b64(h, said(Phrase("inclusion proof hash {number}", number=i)))
            for i, h in enumerate(log["inclusionProof"])
        ]
        leaf = _b64(log["leafHash"], "leafHash")
        verify_inclusion(int(log["index"]), self.first.size, leaf, proof, self.first.root_hash)
        return said(
            Phrase(
                "{count} hashes from leaf {index} to the root of size {size}",
                count=len(proof),
                index=log["index"],
                size=self.first.size,
            )
        )

    def later_checkpoint(self) -> str:
        self.second = self._signed_by_log(_text(self.files, "log/checkpoint-latest.txt"))
        return said(Phrase("size {size}", size=self.second.size))

    def cosignatures(self) -> str:
        assert self.trust is not None
        note: SignedNote = parse_signed_note(_text(self.files, "log/checkpoint-latest.txt"))
        good = []
        names = {sig.name for sig in note.signatures}
        for participant in sorted(names):
            witness = participant.removesuffix(".pilot.example/witness")
            if witness == participant:
                continue
            keys = self.trust.keys_of(witness, "witness")
            if not keys or witness == self.port:
                raise _Failed(Phrase("{name} is not a witness of this log in the trust list", name=participant))
            errors = []
            for key in keys:
                try:
                    verify_cosignature(note, witness_name(witness), key.public_key)
                    good.append(witness)
                    break
                except VerificationError as exc:
                    errors.append(str(exc))
            else:
                raise _Failed(
                    said(
                        Phrase(
                            "the cosignature of {witness} does not verify: {problems}",
                            witness=witness,
                            problems="; ".join(errors),
                        )
                    )
                )
        if not good:
            raise _Failed(Phrase("the later checkpoint carries no witness cosignature"))
        return said(Phrase("by {witnesses}", witnesses=", ".join(good)))

    def consistency(self) -> str:
        assert self.first is not None and self.second is not None
        stored = _json(self.files, "log/consistency-proof.json")
        if (stored.get("first"), stored.get("second")) != (self.first.size, self.second.size):
            raise _Failed(Phrase("log/consistency-proof.json is not between the two checkpoints' sizes"))
        proof = [
            _b64(h, said(Phrase("consistency proof hash {number}", number=i))) for i, h in enumerate(stored["proof"])
        ]
        verify_consistency(self.first.size, self.second.size, self.first.root_hash, self.second.root_hash, proof)
        return said(
            Phrase(
                "the tree of size {later} extends the receipt's tree of size {first}",
                later=self.second.size,
                first=self.first.size,
            )
        )

    # -- 15: sealed credentials ------------------------------------------------------------------

    def sealed(self) -> str:
        if self.trust is None or self.at is None:
            raise _Failed(Phrase("not checked: the trust list or the receipt did not verify"))
        submission = _json(self.files, "submission.json")
        if not isinstance(submission, dict):
            raise _Failed(Phrase("submission.json is not a JSON object"))
        findings = check_bundle_sealed(submission, self.subject, self.trust, self.port, self.at)
        if not findings.ok:
            raise _Failed(said_joined(findings.problems))
        return findings.detail

    # -- 14: the EPCIS document -------------------------------------------------------------------

    def epcis(self) -> str:
        if EPCIS_FILE not in self.files:
            return said(Phrase("no {file} in this bundle: nothing to compare", file=EPCIS_FILE))
        document = _json(self.files, EPCIS_FILE)
        about = _json(self.files, "bundle.json")
        clear = [c for c in _json(self.files, "submission.json")["credentials"] if not is_sealed(c)]
        credentials = dte_credentials(clear)  # a sealed credential is never opened here
        document_id = f"urn:pilot:epcis:{about.get('consignmentId')}"
        sender, receiver = DID_PREFIX + str(about.get("exporter")), DID_PREFIX + str(about.get("port"))
        if not isinstance(document, dict):
            raise _Failed(Phrase("{file} is not a JSON object", file=EPCIS_FILE))
        for name, value in (("id", document_id), ("sender", sender), ("receiver", receiver)):
            if document.get(name) != value:
                raise _Failed(
                    Phrase(
                        "{file} has {member} {found}, not {wanted}",
                        file=EPCIS_FILE,
                        member=name,
                        found=repr(document.get(name)),
                        wanted=repr(value),
                    )
                )
        created = str(document.get("creationDate"))
        try:
            expected = epcis_document(
                credentials, document_id=document_id, created=created, sender=sender, receiver=receiver
            )
        except VerificationError as exc:
            raise _Failed(
                Phrase("the submission's traceability events have no EPCIS 2.0 form: {problem}", problem=str(exc))
            ) from exc
        wanted = expected["epcisBody"]["eventList"]
        body = document.get("epcisBody")
        events = body.get("eventList") if isinstance(body, dict) else None
        if isinstance(events, list) and len(events) != len(wanted):
            raise _Failed(
                Phrase(
                    "{file} lists {count} events; the submission's map to {wanted}",
                    file=EPCIS_FILE,
                    count=len(events),
                    wanted=len(wanted),
                )
            )
        if isinstance(events, list) and events != wanted:
            i = next(i for i, (a, b) in enumerate(zip(events, wanted, strict=True)) if a != b)
            raise _Failed(
                Phrase(
                    "event {number} of {file} is not the mapping of {event}",
                    number=i,
                    file=EPCIS_FILE,
                    event=wanted[i]["eventID"],
                )
            )
        if document != expected:
            raise _Failed(
                Phrase("{file} is not the EPCIS 2.0 document of the submission's traceability events", file=EPCIS_FILE)
            )
        if self.files[EPCIS_FILE] != canonicalize(document):
            raise _Failed(Phrase("{file} is not in canonical form", file=EPCIS_FILE))
        return said(
            Phrase(
                "{count} events: the mapping of {credentials} DigitalTraceabilityEvent credentials",
                count=len(wanted),
                credentials=len(credentials),
            )
        )


def verify_bundle(data: bytes, anchor: Mapping[str, Any]) -> list[Check]:
    """Every check of the module docstring over the bundle ``data``, judged with the pinned ``anchor``.

    A check that depends on a failed one is not run (reported as failed, "not checked").
    """
    v = _Verifier(data, anchor)
    if not v.run(BUNDLE_OPENS, v.readable):
        return v.checks
    v.run(N_("bundle is byte-identical to its canonical form"), v.canonical_form)
    v.run(N_("manifest digests"), v.manifest)
    independent = {N_("credentials"), N_("submission digest = receipt's submissionDigest"), N_("status lists")}
    steps: list[tuple[str, Callable[[], str]]] = [
        (N_("trust list signed by the pinned anchor"), v.trust_list),
        (N_("receipt signature"), v.receipt_signature),
        (N_("credentials"), v.credentials),
        (N_("submission digest = receipt's submissionDigest"), v.submission_digest),
        (N_("status lists"), v.status_lists),
        (N_("log entry rebuilt from the receipt = leafHash"), v.log_entry),
        (N_("receipt's checkpoint signature"), v.receipt_checkpoint),
        (N_("inclusion proof to the receipt's checkpoint"), v.inclusion),
        (N_("later checkpoint signature"), v.later_checkpoint),
        (N_("witness cosignatures"), v.cosignatures),
        (N_("consistency between the two checkpoints"), v.consistency),
    ]
    blocked = False
    for name, step in steps:
        if blocked:
            v.checks.append(Check(name, False, said(Phrase("not checked: an earlier check failed"))))
            continue
        if not v.run(name, step) and name not in independent:
            blocked = True
    v.run(N_("EPCIS document = mapping of the traceability events"), v.epcis)
    v.run(N_("sealed credentials"), v.sealed)
    return v.checks
