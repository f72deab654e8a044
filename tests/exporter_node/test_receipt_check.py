"""Receipt verification and log consistency, as tables of named cases (pure: no database, no network)."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from exporter_node.errors import CheckpointInconsistentError, ReceiptInvalidError
from exporter_node.receipt_check import ExpectedReceipt, check_consistency, check_receipt
from exporter_node.storage import KnownCheckpoint
from pilot.sandbox import Sandbox
from schemas.canonical import canonicalize
from schemas.identifiers import did_of
from schemas.issue import secure, unsigned_credential
from schemas.merkle import MerkleTree, leaf_hash
from schemas.receipt import VerifiedReceipt, log_entry_of
from schemas.signed_note import Checkpoint, sign_checkpoint
from schemas.time import format_time
from schemas.trust import TrustRegistry

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DIGEST = "sha-256:" + "ab" * 32
ORIGIN = "cn-port-01.pilot.example/log"
EXPECTED = ExpectedReceipt("cn-port-01", "ru-exp-01", "c-1", DIGEST)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def key(sandbox: Sandbox, short_id: str, purpose: str) -> Any:
    return next(e for e in sandbox.keyrings[short_id] if purpose in e.purposes)


def subject_and_tree(sandbox: Sandbox, *, others: int = 4) -> tuple[dict[str, Any], MerkleTree]:
    subject: dict[str, Any] = {
        "submissionId": "c-1",
        "submissionDigest": DIGEST,
        "exporter": did_of("ru-exp-01"),
        "decision": "rejected",
        "reasons": [
            {"code": "PROOF_INVALID", "severity": "error", "path": "/credentials/0", "message": "x"},
            {"code": "PROOF_INVALID", "severity": "error", "path": "/credentials/1", "message": "y"},
            {"code": "CREDENTIAL_EXPIRING_SOON", "severity": "warning", "path": "/credentials/2", "message": "z"},
        ],
        "receivedAt": format_time(NOW),
    }
    tree = MerkleTree([leaf_hash(f"other-{i}".encode()) for i in range(others)])
    index = tree.append(leaf_hash(canonicalize(log_entry_of("ru-exp-01", subject))))
    tree.extend(leaf_hash(f"later-{i}".encode()) for i in range(3))
    note = sign_checkpoint(
        Checkpoint(ORIGIN, tree.size, tree.root()), ORIGIN, key(sandbox, "cn-port-01", "log").private_key
    )
    subject["log"] = {
        "origin": ORIGIN,
        "index": index,
        "leafHash": b64(tree.leaf(index)),
        "checkpoint": note.text(),
        "inclusionProof": [b64(h) for h in tree.inclusion_proof(index)],
    }
    return subject, tree


def signed(sandbox: Sandbox, subject: dict[str, Any], signer: str = "cn-port-01") -> dict[str, Any]:
    credential = unsigned_credential(
        "SubmissionReceipt",
        subject,
        credential_id="urn:pilot:receipt:cn-port-01:4",
        issuer_did=did_of("cn-port-01"),
        issuer_name="port",
        valid_from=NOW,
    )
    entry = key(sandbox, signer, "assertion")
    return secure(credential, entry.private_key, entry.verification_method, created=NOW)


def _note(
    sandbox: Sandbox, tree: MerkleTree, *, origin: str = ORIGIN, signer: str = "cn-port-01", size: int | None = None
) -> str:
    size = tree.size if size is None else size
    return sign_checkpoint(
        Checkpoint(origin, size, tree.root(size)), origin, key(sandbox, signer, "log").private_key
    ).text()


Mutation = Callable[[Sandbox, dict[str, Any], MerkleTree], Any]


def resigned(change: Callable[[Sandbox, dict[str, Any], MerkleTree], None]) -> Mutation:
    def mutate(sandbox: Sandbox, subject: dict[str, Any], tree: MerkleTree) -> Any:
        change(sandbox, subject, tree)
        return signed(sandbox, subject)

    return mutate


def _broken_signature(sandbox: Sandbox, subject: dict[str, Any], tree: MerkleTree) -> Any:
    receipt = signed(sandbox, subject)
    receipt["credentialSubject"]["decision"] = "accepted"
    return receipt


def _set(path: str, value: Any) -> Callable[[Sandbox, dict[str, Any], MerkleTree], None]:
    def change(sandbox: Sandbox, subject: dict[str, Any], tree: MerkleTree) -> None:
        *parents, last = path.split("/")
        target: Any = subject
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        new = value(sandbox, subject, tree) if callable(value) else value
        if isinstance(target, list):
            target[int(last)] = new
        else:
            target[last] = new

    return change


INVALID: dict[str, Mutation] = {
    "signature-broken-after-signing": _broken_signature,
    "signed-by-another-port": lambda s, subject, t: signed(s, subject, signer="cn-port-02"),
    "not-json": lambda s, subject, t: b"{not json",
    "submission-id-of-another": resigned(_set("submissionId", "c-2")),
    "digest-of-other-content": resigned(_set("submissionDigest", "sha-256:" + "cd" * 32)),
    "for-another-exporter": resigned(_set("exporter", did_of("ru-exp-02"))),
    "reasons-changed-after-logging": resigned(_set("reasons", [])),
    "decision-changed-after-logging": resigned(_set("decision", "accepted")),
    "leaf-hash-not-base64": resigned(_set("log/leafHash", "***")),
    "inclusion-proof-tampered": resigned(_set("log/inclusionProof/0", b64(b"\x00" * 32))),
    "inclusion-proof-truncated": resigned(lambda s, subject, t: subject["log"]["inclusionProof"].pop()),
    "index-elsewhere": resigned(_set("log/index", 0)),
    "checkpoint-by-another-log-key": resigned(_set("log/checkpoint", lambda s, _, t: _note(s, t, signer="cn-port-02"))),
    "checkpoint-of-another-origin": resigned(
        _set("log/checkpoint", lambda s, _, t: _note(s, t, origin="cn-port-02.pilot.example/log"))
    ),
    "log-origin-of-another-port": resigned(_set("log/origin", "cn-port-02.pilot.example/log")),
    "checkpoint-of-an-older-tree": resigned(_set("log/checkpoint", lambda s, _, t: _note(s, t, size=3))),
    "checkpoint-garbage": resigned(_set("log/checkpoint", "not a note\n")),
}


#: What each case must be caught by (a fragment of the error's detail).
CAUGHT_BY = {
    "signature-broken-after-signing": "signature does not verify",
    "signed-by-another-port": "signed with did:web:pilot.example:cn-port-02",
    "not-json": "not strict JSON",
    "submission-id-of-another": "submissionId",
    "digest-of-other-content": "submissionDigest",
    "for-another-exporter": "exporter",
    "reasons-changed-after-logging": "does not hash to its leafHash",
    "decision-changed-after-logging": "does not hash to its leafHash",
    "leaf-hash-not-base64": "leafHash",
    "inclusion-proof-tampered": "inclusion proof",
    "inclusion-proof-truncated": "inclusion proof",
    "index-elsewhere": "inclusion proof",
    "checkpoint-by-another-log-key": "checkpoint does not verify",
    "checkpoint-of-another-origin": "checkpoint does not verify",
    "log-origin-of-another-port": "log origin",
    "checkpoint-of-an-older-tree": "outside a tree of size 3",
    "checkpoint-garbage": "checkpoint does not verify",
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_receipts_that_must_not_count_as_delivered(sandbox: Sandbox, trust: TrustRegistry, case: str) -> None:
    subject, tree = subject_and_tree(sandbox)
    receipt = INVALID[case](sandbox, copy.deepcopy(subject), tree)
    body = receipt if isinstance(receipt, bytes) else canonicalize(receipt)
    with pytest.raises(ReceiptInvalidError) as caught:
        check_receipt(body, EXPECTED, trust, NOW)
    assert caught.value.code == "RECEIPT_INVALID"
    assert CAUGHT_BY[case] in caught.value.detail


def test_a_good_receipt_verifies_and_rebuilds_the_logged_entry(sandbox: Sandbox, trust: TrustRegistry) -> None:
    subject, tree = subject_and_tree(sandbox)
    verified = check_receipt(canonicalize(signed(sandbox, subject)), EXPECTED, trust, NOW)
    assert type(verified) is VerifiedReceipt  # schemas' own result, not a copy
    assert verified.decision == "rejected"
    assert verified.log_index == 4 and verified.checkpoint.size == tree.size
    assert [w["code"] for w in verified.warnings] == ["CREDENTIAL_EXPIRING_SOON"]
    entry = log_entry_of("ru-exp-01", subject)
    assert entry["reasonCodes"] == ["PROOF_INVALID", "CREDENTIAL_EXPIRING_SOON"]  # distinct, in order


def test_a_receipt_from_a_port_clock_slightly_ahead_is_accepted(sandbox: Sandbox, trust: TrustRegistry) -> None:
    subject, _ = subject_and_tree(sandbox)
    receipt = canonicalize(signed(sandbox, subject))
    check_receipt(receipt, EXPECTED, trust, NOW.replace(second=0, minute=59, hour=11))


def known(tree: MerkleTree, size: int) -> KnownCheckpoint:
    return KnownCheckpoint("cn-port-01", ORIGIN, size, tree.root(size), "")


def test_consistency_in_both_directions() -> None:
    tree = MerkleTree([leaf_hash(bytes([i])) for i in range(20)])
    check_consistency(known(tree, 7), Checkpoint(ORIGIN, 20, tree.root(20)), tree.consistency_proof(7, 20))
    check_consistency(known(tree, 20), Checkpoint(ORIGIN, 7, tree.root(7)), tree.consistency_proof(7, 20))
    check_consistency(known(tree, 20), Checkpoint(ORIGIN, 20, tree.root(20)), [])


INCONSISTENT = {
    "same-size-other-root": lambda t, f: (known(t, 20), Checkpoint(ORIGIN, 20, f.root(20)), []),
    "forked-history": lambda t, f: (known(t, 7), Checkpoint(ORIGIN, 20, f.root(20)), f.consistency_proof(7, 20)),
    "proof-of-the-real-log-for-a-forked-root": lambda t, f: (
        known(t, 7),
        Checkpoint(ORIGIN, 20, f.root(20)),
        t.consistency_proof(7, 20),
    ),
    "empty-proof": lambda t, f: (known(t, 7), Checkpoint(ORIGIN, 20, t.root(20)), []),
    "other-origin": lambda t, f: (known(t, 7), Checkpoint("x.pilot.example/log", 20, t.root(20)), []),
}


@pytest.mark.parametrize("case", sorted(INCONSISTENT))
def test_inconsistent_checkpoints(case: str) -> None:
    tree = MerkleTree([leaf_hash(bytes([i])) for i in range(20)])
    forked = MerkleTree([leaf_hash(b"rewritten")] + [leaf_hash(bytes([i])) for i in range(1, 20)])
    previous, new, proof = INCONSISTENT[case](tree, forked)
    with pytest.raises(CheckpointInconsistentError) as caught:
        check_consistency(previous, new, proof)
    assert caught.value.code == "CHECKPOINT_INCONSISTENT"
