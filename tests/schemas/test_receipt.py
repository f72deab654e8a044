"""The receipt and log entry of ``schemas.receipt``: made once, verified in named steps, as named cases."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from pilot.sandbox import Sandbox, build_sandbox
from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.identifiers import did_of, log_origin
from schemas.issue import secure
from schemas.merkle import MerkleTree, leaf_hash
from schemas.models.log import LogEntry
from schemas.models.receipt import SubmissionReceipt
from schemas.receipt import (
    RECEIPT_CHECKS,
    LogPosition,
    ReceiptUnderCheck,
    build_receipt,
    leaf_input_of,
    log_entry,
    log_entry_of,
    receipt_subject,
    verify_receipt,
)
from schemas.signed_note import Checkpoint, sign_checkpoint
from schemas.trust import TrustRegistry

PORT = "cn-port-01"
AT = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
DIGEST = "sha-256:" + "ab" * 32


@functools.cache
def sandbox() -> Sandbox:
    return build_sandbox()


def trust() -> TrustRegistry:
    return TrustRegistry.from_document(sandbox().trust_list)


def key(short_id: str, purpose: str) -> Any:
    return next(e for e in sandbox().keyrings[short_id] if purpose in e.purposes)


def subject() -> dict[str, Any]:
    return receipt_subject(
        submission_id="c-1",
        submission_digest=DIGEST,
        exporter_id="ru-exp-01",
        decision="rejected",
        reasons=[
            {"code": "PROOF_INVALID", "severity": "error", "path": "/credentials/0", "message": "x"},
            {"code": "PROOF_INVALID", "severity": "error", "path": "/credentials/1", "message": "y"},
        ],
        received_at=AT,
    )


def receipt(port_key: str = PORT) -> dict[str, Any]:
    """A receipt for ``subject()`` as the 4th leaf of a log of 6, signed by ``port_key``'s assertion key."""
    made = subject()
    tree = MerkleTree(leaf_hash(b"other %d" % i) for i in range(3))
    index = tree.append(leaf_hash(leaf_input_of(log_entry_of("ru-exp-01", made))))
    tree.extend(leaf_hash(b"later %d" % i) for i in range(2))
    origin = log_origin(PORT)
    note = sign_checkpoint(Checkpoint(origin, tree.size, tree.root()), origin, key(PORT, "log").private_key).text()
    position = LogPosition(index, tree.leaf(index), note, tree.inclusion_proof(index))
    body = build_receipt(made, position, key=key(port_key, "assertion"), port_id=PORT, port_name="Port")
    document: dict[str, Any] = orjson.loads(body)
    return document


def test_the_leaf_input_is_the_rfc8785_entry() -> None:
    entry = log_entry(
        exporter="ru-exp-01",
        submission_id="c-1",
        submission_digest=DIGEST,
        decision="accepted",
        reason_codes=["A_CODE"],
        received_at="2026-11-01T12:00:00Z",
    )
    LogEntry.model_validate(entry)  # the wire model of the log holds
    assert leaf_input_of(entry) == (
        b'{"decision":"accepted","exporter":"ru-exp-01","reasonCodes":["A_CODE"],"receivedAt":"2026-11-01T12:00:00Z",'
        b'"submissionDigest":"' + DIGEST.encode() + b'","submissionId":"c-1","v":1}'
    )


def test_a_built_receipt_is_a_valid_submission_receipt_and_verifies() -> None:
    document = receipt()
    SubmissionReceipt.model_validate(document)  # the wire model holds
    verified = verify_receipt(document, trust(), port_id=PORT, at=AT, submission_id="c-1", submission_digest=DIGEST)
    assert (verified.exporter_id, verified.decision, verified.log_index) == ("ru-exp-01", "rejected", 3)
    assert document["issuer"]["id"] == did_of(PORT) and document["validFrom"] == "2026-11-01T12:00:00Z"
    assert log_entry_of("ru-exp-01", document["credentialSubject"])["reasonCodes"] == ["PROOF_INVALID"]


def test_the_checks_are_named_in_order() -> None:
    assert [name for name, _ in RECEIPT_CHECKS] == ["signature", "subject", "leaf hash", "checkpoint", "inclusion"]


@pytest.mark.parametrize("document", [[], "x", None, 3, [{"credentialSubject": {}}]], ids=repr)
def test_a_receipt_that_is_not_a_json_object_is_invalid(document: Any) -> None:
    with pytest.raises(VerificationError, match="not an object") as caught:
        verify_receipt(document, trust(), port_id=PORT, at=AT)
    assert caught.value.code == Code.RECEIPT_INVALID


def _tampered(change: Callable[[dict[str, Any]], None]) -> Callable[[], dict[str, Any]]:
    """A receipt changed after signing (its signature breaks)."""

    def make() -> dict[str, Any]:
        document = copy.deepcopy(receipt())
        change(document)
        return document

    return make


def _signed_after(change: Callable[[dict[str, Any]], None]) -> Callable[[], dict[str, Any]]:
    """A receipt changed, then signed again by the port: only the step that looks at the change fails."""

    def make() -> dict[str, Any]:
        document = receipt()
        change(document["credentialSubject"])
        entry = key(PORT, "assertion")
        return secure(document, entry.private_key, entry.verification_method, created=AT)

    return make


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(target: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        for part in parents:
            target = target[part]
        target[last] = value

    return change


#: Each case fails at exactly the named step (earlier steps pass).
CASES: dict[str, tuple[Callable[[], dict[str, Any]], str]] = {
    "changed-after-signing": (_tampered(_set("credentialSubject/decision", "accepted")), "signature"),
    "signed-by-another-port": (lambda: receipt(port_key="cn-port-02"), "signature"),
    "exporter-not-in-trust-list": (_signed_after(_set("exporter", did_of("nobody-01"))), "subject"),
    "log-of-another-port": (_signed_after(_set("log/origin", log_origin("cn-port-02"))), "subject"),
    "reasons-dropped": (_signed_after(_set("reasons", [])), "leaf hash"),
    "checkpoint-garbage": (_signed_after(_set("log/checkpoint", "not a note\n")), "checkpoint"),
    "index-elsewhere": (_signed_after(_set("log/index", 0)), "inclusion"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_fault_fails_its_own_step(case: str) -> None:
    make, step = CASES[case]
    under_check = ReceiptUnderCheck(make(), trust(), PORT, AT)
    failed = None
    for name, check in RECEIPT_CHECKS:
        try:
            check(under_check)
        except VerificationError as exc:
            assert exc.code == Code.RECEIPT_INVALID
            failed = name
            break
    assert failed == step
    with pytest.raises(VerificationError):
        verify_receipt(make(), trust(), port_id=PORT, at=AT)
