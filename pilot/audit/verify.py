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
from port_node.witness import witness_name
from schemas.canonical import canonicalize
from schemas.digest import canonical_digest
from schemas.epcis import dte_credentials, epcis_document
from schemas.errors import PilotSchemaError, VerificationError
from schemas.identifiers import DID_PREFIX, RECEIPT_TYPE, log_origin, short_id_of
from schemas.jsonio import parse_json
from schemas.merkle import leaf_hash, verify_consistency, verify_inclusion
from schemas.receipt import log_entry_of
from schemas.sealing import is_sealed
from schemas.signed_note import Checkpoint, SignedNote, parse_signed_note, verify_checkpoint, verify_cosignature
from schemas.time import parse_time
from schemas.trust import TrustRegistry, verify_trust_list
from schemas.verify import check_credential

__all__ = ["MAX_ANCHOR_BYTES", "MAX_BUNDLE_BYTES", "Check", "verify_bundle"]

#: The largest bundle file read (bytes): beyond it the file is refused without being read.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: The largest trust anchor file read (bytes): a real one is a few hundred bytes.
MAX_ANCHOR_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Check:
    """One row of the verification table."""

    name: str
    ok: bool
    detail: str


class _Failed(Exception):
    """A check failed with this message."""


def _b64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise _Failed(f"{what} is not a base64 string")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Failed(f"{what} is not RFC 4648 base64") from exc
    if base64.b64encode(raw).decode() != text:
        raise _Failed(f"{what} is not canonical base64")
    return raw


def _json(files: Mapping[str, bytes], name: str) -> Any:
    try:
        return parse_json(files[name])
    except KeyError as exc:
        raise _Failed(f"{name} is missing from the bundle") from exc
    except PilotSchemaError as exc:
        raise _Failed(f"{name} is not strict JSON: {exc}") from exc


def _text(files: Mapping[str, bytes], name: str) -> str:
    try:
        return files[name].decode("utf-8")
    except KeyError as exc:
        raise _Failed(f"{name} is missing from the bundle") from exc
    except UnicodeDecodeError as exc:
        raise _Failed(f"{name} is not UTF-8") from exc


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
            self.checks.append(Check(name, False, str(exc)))
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
        return f"{len(self.files)} members"

    def canonical_form(self) -> str:
        rebuilt = zip_files(self.files)
        if rebuilt != self.data:
            position = next((i for i, (a, b) in enumerate(zip(rebuilt, self.data, strict=False)) if a != b), None)
            where = f"byte {position}" if position is not None else f"length {len(self.data)} != {len(rebuilt)}"
            raise _Failed(f"the zip is not the deterministic form of its members (first difference at {where})")
        return "sorted, stored, fixed timestamps: byte-identical when rebuilt"

    def manifest(self) -> str:
        others = {name: data for name, data in self.files.items() if name != MANIFEST}
        if MANIFEST not in self.files:
            raise _Failed("manifest.json is missing")
        listed = _json(self.files, MANIFEST)
        expected = parse_json(manifest_of(others))
        if set(listed.get("files", {})) != set(expected["files"]):
            raise _Failed(f"the manifest lists {sorted(listed.get('files', {}))}, the bundle holds {sorted(others)}")
        wrong = [n for n, d in expected["files"].items() if listed["files"][n] != d]
        if wrong:
            raise _Failed("digest mismatch for " + ", ".join(wrong))
        if self.files[MANIFEST] != manifest_of(others):
            raise _Failed("manifest.json is not in canonical form")
        return f"{len(others)} files, SHA-256 each"

    # -- 3-8: trust list, receipt, credentials, digest, status lists, entry --------------------

    def trust_list(self) -> str:
        self.trust = verify_trust_list(_json(self.files, "trust/trust-list.json"), self.anchor)
        return f"sequence {self.trust.sequence}, signed by the pinned anchor"

    def receipt_signature(self) -> str:
        assert self.trust is not None
        self.receipt = _json(self.files, "receipt.json")
        about = _json(self.files, "bundle.json")
        self.subject = self.receipt["credentialSubject"]
        self.at = parse_time(str(self.subject["receivedAt"]))
        report = check_credential(self.receipt, self.trust, self.at)
        if not report.verified or report.key is None:
            problems = "; ".join(f"{p.code}: {p.message}" for p in report.errors) or "not verified"
            raise _Failed(f"the receipt does not verify: {problems}")
        if report.record_type != RECEIPT_TYPE:
            raise _Failed(f"the receipt is a {report.record_type}, not a {RECEIPT_TYPE}")
        self.port = report.key.participant_id
        if about.get("port") != self.port:
            raise _Failed(f"bundle.json names port {about.get('port')!r}, the receipt is by {self.port}")
        return f"by {report.key.verification_method}, received {self.subject['receivedAt']}"

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
            failed.append(f"{path}: " + "; ".join(f"{p.code} {p.message}" for p in report.errors))
        if failed:
            raise _Failed("credentials that do not verify: " + " | ".join(failed))
        extra = f", {explained} failing exactly as the receipt's reasons say" if explained else ""
        extra += f"; {sealed} more {NOT_CHECKED}" if sealed else ""
        return f"{verified} of {len(documents) - sealed} verify at receivedAt{extra}"

    def submission_digest(self) -> str:
        submission = _json(self.files, "submission.json")
        digest = canonical_digest(submission)
        if digest != self.subject.get("submissionDigest"):
            raise _Failed(
                f"the submission's digest {digest} is not the receipt's {self.subject.get('submissionDigest')}"
            )
        if submission.get("submissionId") != self.subject.get("submissionId"):
            raise _Failed("the submission's id is not the receipt's submissionId")
        if self.files["submission.json"] != canonicalize(submission):
            raise _Failed("submission.json is not in canonical form")
        return digest

    def status_lists(self) -> str:
        assert self.trust is not None and self.at is not None
        findings = check_bundle_status(self.files, self.subject, self.trust, self.at)
        if not findings.ok:
            raise _Failed("; ".join(findings.problems))
        return findings.detail

    def log_entry(self) -> str:
        exporter = short_id_of(str(self.subject.get("exporter", "")))
        entry = canonicalize(log_entry_of(exporter, self.subject))
        if self.files.get("log/entry.json") != entry:
            raise _Failed("log/entry.json is not the entry rebuilt from the receipt")
        claimed = _b64(self.subject["log"]["leafHash"], "the receipt's leafHash")
        if leaf_hash(entry) != claimed:
            raise _Failed("the rebuilt entry does not hash to the receipt's leafHash")
        return f"leaf {self.subject['log']['index']} of {self.subject['log']['origin']}"

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
        raise _Failed(f"not signed by a log key of {self.port}: " + ("; ".join(problems) or "no log key listed"))

    def receipt_checkpoint(self) -> str:
        text = str(self.subject["log"]["checkpoint"])
        if _text(self.files, "log/checkpoint-receipt.txt") != text:
            raise _Failed("log/checkpoint-receipt.txt is not the receipt's checkpoint")
        self.first = self._signed_by_log(text)
        return f"size {self.first.size}, signed by {self.first.origin}"

    def inclusion(self) -> str:
        assert self.first is not None
        log = self.subject["log"]
        stored = _json(self.files, "log/inclusion-proof.json")
        if stored != {"index": log["index"], "size": self.first.size, "proof": log["inclusionProof"]}:
            raise _Failed("log/inclusion-proof.json differs from the receipt's inclusion proof")
        proof = [_b64(h, f"inclusion proof hash {i}") for i, h in enumerate(log["inclusionProof"])]
        leaf = _b64(log["leafHash"], "leafHash")
        verify_inclusion(int(log["index"]), self.first.size, leaf, proof, self.first.root_hash)
        return f"{len(proof)} hashes from leaf {log['index']} to the root of size {self.first.size}"

    def later_checkpoint(self) -> str:
        self.second = self._signed_by_log(_text(self.files, "log/checkpoint-latest.txt"))
        return f"size {self.second.size}"

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
                raise _Failed(f"{participant} is not a witness of this log in the trust list")
            errors = []
            for key in keys:
                try:
                    verify_cosignature(note, witness_name(witness), key.public_key)
                    good.append(witness)
                    break
                except VerificationError as exc:
                    errors.append(str(exc))
            else:
                raise _Failed(f"the cosignature of {witness} does not verify: {'; '.join(errors)}")
        if not good:
            raise _Failed("the later checkpoint carries no witness cosignature")
        return "by " + ", ".join(good)

    def consistency(self) -> str:
        assert self.first is not None and self.second is not None
        stored = _json(self.files, "log/consistency-proof.json")
        if (stored.get("first"), stored.get("second")) != (self.first.size, self.second.size):
            raise _Failed("log/consistency-proof.json is not between the two checkpoints' sizes")
        proof = [_b64(h, f"consistency proof hash {i}") for i, h in enumerate(stored["proof"])]
        verify_consistency(self.first.size, self.second.size, self.first.root_hash, self.second.root_hash, proof)
        return f"the tree of size {self.second.size} extends the receipt's tree of size {self.first.size}"

    # -- 15: sealed credentials ------------------------------------------------------------------

    def sealed(self) -> str:
        if self.trust is None or self.at is None:
            raise _Failed("not checked: the trust list or the receipt did not verify")
        submission = _json(self.files, "submission.json")
        if not isinstance(submission, dict):
            raise _Failed("submission.json is not a JSON object")
        findings = check_bundle_sealed(submission, self.subject, self.trust, self.port, self.at)
        if not findings.ok:
            raise _Failed("; ".join(findings.problems))
        return findings.detail

    # -- 14: the EPCIS document -------------------------------------------------------------------

    def epcis(self) -> str:
        if EPCIS_FILE not in self.files:
            return f"no {EPCIS_FILE} in this bundle: nothing to compare"
        document = _json(self.files, EPCIS_FILE)
        about = _json(self.files, "bundle.json")
        clear = [c for c in _json(self.files, "submission.json")["credentials"] if not is_sealed(c)]
        credentials = dte_credentials(clear)  # a sealed credential is never opened here
        document_id = f"urn:pilot:epcis:{about.get('consignmentId')}"
        sender, receiver = DID_PREFIX + str(about.get("exporter")), DID_PREFIX + str(about.get("port"))
        if not isinstance(document, dict):
            raise _Failed(f"{EPCIS_FILE} is not a JSON object")
        for name, value in (("id", document_id), ("sender", sender), ("receiver", receiver)):
            if document.get(name) != value:
                raise _Failed(f"{EPCIS_FILE} has {name} {document.get(name)!r}, not {value!r}")
        created = str(document.get("creationDate"))
        try:
            expected = epcis_document(
                credentials, document_id=document_id, created=created, sender=sender, receiver=receiver
            )
        except VerificationError as exc:
            raise _Failed(f"the submission's traceability events have no EPCIS 2.0 form: {exc}") from exc
        wanted = expected["epcisBody"]["eventList"]
        body = document.get("epcisBody")
        events = body.get("eventList") if isinstance(body, dict) else None
        if isinstance(events, list) and len(events) != len(wanted):
            raise _Failed(f"{EPCIS_FILE} lists {len(events)} events; the submission's map to {len(wanted)}")
        if isinstance(events, list) and events != wanted:
            i = next(i for i, (a, b) in enumerate(zip(events, wanted, strict=True)) if a != b)
            raise _Failed(f"event {i} of {EPCIS_FILE} is not the mapping of {wanted[i]['eventID']}")
        if document != expected:
            raise _Failed(f"{EPCIS_FILE} is not the EPCIS 2.0 document of the submission's traceability events")
        if self.files[EPCIS_FILE] != canonicalize(document):
            raise _Failed(f"{EPCIS_FILE} is not in canonical form")
        return f"{len(wanted)} events: the mapping of {len(credentials)} DigitalTraceabilityEvent credentials"


def verify_bundle(data: bytes, anchor: Mapping[str, Any]) -> list[Check]:
    """Every check of the module docstring over the bundle ``data``, judged with the pinned ``anchor``.

    A check that depends on a failed one is not run (reported as failed, "not checked").
    """
    v = _Verifier(data, anchor)
    if not v.run("bundle opens", v.readable):
        return v.checks
    v.run("bundle is byte-identical to its canonical form", v.canonical_form)
    v.run("manifest digests", v.manifest)
    steps: list[tuple[str, Callable[[], str]]] = [
        ("trust list signed by the pinned anchor", v.trust_list),
        ("receipt signature", v.receipt_signature),
        ("credentials", v.credentials),
        ("submission digest = receipt's submissionDigest", v.submission_digest),
        ("status lists", v.status_lists),
        ("log entry rebuilt from the receipt = leafHash", v.log_entry),
        ("receipt's checkpoint signature", v.receipt_checkpoint),
        ("inclusion proof to the receipt's checkpoint", v.inclusion),
        ("later checkpoint signature", v.later_checkpoint),
        ("witness cosignatures", v.cosignatures),
        ("consistency between the two checkpoints", v.consistency),
    ]
    blocked = False
    for name, step in steps:
        if blocked:
            v.checks.append(Check(name, False, "not checked: an earlier check failed"))
            continue
        independent = name in {"credentials", "submission digest = receipt's submissionDigest", "status lists"}
        if not v.run(name, step) and not independent:
            blocked = True
    v.run("EPCIS document = mapping of the traceability events", v.epcis)
    v.run("sealed credentials", v.sealed)
    return v.checks
