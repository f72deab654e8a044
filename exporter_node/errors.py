"""The exporter node's error tree: what its routes answer and what its receipt checks conclude.

    ProblemError (node_core)             becomes an RFC 9457 problem in node_core's one handler
    └── ExporterError                    root of the errors the exporter's routes raise
        ├── InputRefusedError            400: bad farm, lot, credential; the problem lists every finding
        ├── PrecheckRefusedError         422: the destination port would reject the consignment
        ├── SealingKeyUnavailableError   422 SEALING_KEY_UNAVAILABLE: must seal, the port has no key to seal to
        ├── PlaintextDiscardedError      422 CREDENTIAL_PLAINTEXT_DISCARDED: only the sealed form is kept
        ├── ConflictError                409 DUPLICATE_CONFLICT: the id exists with other content
        └── NotFoundError                404 NOT_FOUND

    ReceiptCheckError                    a port's answer that must never count as delivered
    ├── ReceiptInvalidError              RECEIPT_INVALID: signature, subject, entry, inclusion, checkpoint
    └── CheckpointInconsistentError      CHECKPOINT_INCONSISTENT: the port's log forked or rolled back

Receipt check errors are not HTTP errors: the delivery worker records them as the consignment's final
state and logs them at ERROR.
"""

from __future__ import annotations

from collections.abc import Sequence

from node_core.problems import ProblemError
from schemas.codes import Code
from schemas.errors import Reason
from schemas.phrase import Phrase

__all__ = [
    "CheckpointInconsistentError",
    "ConflictError",
    "ExporterError",
    "InputRefusedError",
    "NotFoundError",
    "PlaintextDiscardedError",
    "PrecheckRefusedError",
    "ReceiptCheckError",
    "ReceiptInvalidError",
    "SealingKeyUnavailableError",
]


class ExporterError(ProblemError):
    """Root of the errors the exporter's routes raise; node_core turns them into problem responses."""


def _first_error(problems: Sequence[Reason]) -> Reason:
    errors = [p for p in problems if p.severity == "error"]
    return (errors or list(problems))[0]


class InputRefusedError(ExporterError):
    """Input the exporter will not sign or store; ``code`` is the first error's, ``problems`` all of them."""

    def __init__(self, problems: Sequence[Reason], *, summary: str | None = None) -> None:
        first = _first_error(problems)
        detail = summary or f"{first.code} at {first.path or '/'}: {first.message}"
        super().__init__(first.code, detail, status=400, extra={"problems": [p.as_dict() for p in problems]})
        self.problems = list(problems)

    @classmethod
    def single(cls, code: Code, path: str, message: str) -> InputRefusedError:
        """A refusal with one finding."""
        return cls([Reason(code, path, message)])


class PrecheckRefusedError(ExporterError):
    """The local pre-check (the port's own assessment) would reject it: 422 with every reason."""

    def __init__(self, port_id: str, reasons: Sequence[Reason]) -> None:
        first = _first_error(reasons)
        codes = list(dict.fromkeys(str(p.code) for p in reasons if p.severity == "error"))
        super().__init__(
            first.code,
            Phrase("{port} would reject this consignment: {codes}", port=port_id, codes=", ".join(codes)),
            status=422,
            title=Phrase("Refused by the local pre-check"),
            extra={"destination": port_id, "reasonCodes": codes, "reasons": [p.as_dict() for p in reasons]},
        )
        self.reasons = list(reasons)


class SealingKeyUnavailableError(ExporterError):
    """The destination takes some of the consignment's data categories only sealed, and the trust list names
    no ``keyAgreement`` key of that port usable now (docs/design.md §8)."""

    def __init__(self, port_id: str, categories: Sequence[str], sequence: int) -> None:
        super().__init__(
            Code.SEALING_KEY_UNAVAILABLE,
            Phrase(
                "{port} takes {categories} data only sealed to its keyAgreement key, and trust list {sequence} names "
                "none of its keys usable now: the consignment cannot be sealed",
                port=port_id,
                categories=", ".join(categories),
                sequence=sequence,
            ),
            extra={"destination": port_id, "sealedCategories": list(categories)},
        )


class PlaintextDiscardedError(ExporterError):
    """A consignment needs a credential this exporter holds only sealed: it discarded the plaintext once it
    had sent the credential sealed to a port (docs/design.md §6)."""

    def __init__(self, kind: str, item_id: str, consignment_id: str | None, remedy: str) -> None:
        super().__init__(
            Code.CREDENTIAL_PLAINTEXT_DISCARDED,
            f"{kind} {item_id} was sent sealed in consignment {consignment_id} and this exporter kept only the "
            f"sealed form, which it cannot open: {remedy}",
            extra={"credential": item_id, "sealedIn": consignment_id},
        )


class ConflictError(ExporterError):
    """The id is already taken by something else."""

    def __init__(self, detail: str | Phrase) -> None:
        super().__init__(Code.DUPLICATE_CONFLICT, detail)


class NotFoundError(ExporterError):
    """Nothing with that id here."""

    def __init__(self, detail: str | Phrase) -> None:
        super().__init__(Code.NOT_FOUND, detail)


class ReceiptCheckError(Exception):
    """A port's answer that failed verification; ``code`` is the stable code recorded for it."""

    code: Code = Code.RECEIPT_INVALID

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ReceiptInvalidError(ReceiptCheckError):
    """The receipt's signature, subject, log entry, inclusion proof or checkpoint does not verify."""

    code = Code.RECEIPT_INVALID


class CheckpointInconsistentError(ReceiptCheckError):
    """The receipt's checkpoint is not consistent with one this exporter saw earlier from that port."""

    code = Code.CHECKPOINT_INCONSISTENT
