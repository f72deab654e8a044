"""The schemas package's error tree: every failure a verifier can report, with its stable code.

    PilotSchemaError                 root of everything this package raises
    ├── JsonMalformedError           bytes that are not strict JSON (code JSON_MALFORMED)
    ├── CanonicalizationError        a value RFC 8785 cannot represent (also a ValueError)
    ├── KeyFormatError               a Multikey / PEM that does not decode to an Ed25519 key
    └── VerificationError            one or more Reasons found in a document (proof, trust, schema,
                                     policy, Merkle proof, signed note); ``.code`` is the first one's

Foreign exceptions (cryptography's InvalidSignature, pydantic's ValidationError, binascii errors) are
translated into these at the boundary with ``raise ... from exc`` and never escape the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from schemas.codes import Code
from schemas.phrase import Phrase

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason a document fails (the wire calls it a reason): a stable code, a JSON pointer, a message.

    ``phrase``, when set, is the message as a template and its values (``schemas.phrase``), so that a port can
    add the message in its own language to a receipt; ``message`` is always its English text.
    """

    code: Code
    path: str
    message: str
    severity: Severity = "error"
    phrase: Phrase | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, code: Code, path: str, phrase: Phrase, severity: Severity = "error") -> Reason:
        """A reason whose message is ``phrase`` (its English text, and the phrase kept for translation)."""
        return cls(code, path, str(phrase), severity, phrase)

    def at(self, path: str) -> Reason:
        """This reason with ``path`` instead of its own (message and phrase kept)."""
        return replace(self, path=path)

    def as_dict(self) -> dict[str, str]:
        """The wire form used in receipts and reports: ``{code, severity, path, message}``."""
        return {"code": str(self.code), "severity": self.severity, "path": self.path, "message": self.message}


class PilotSchemaError(Exception):
    """Root of every error raised by the schemas package."""

    code: Code = Code.SCHEMA_INVALID


class JsonMalformedError(PilotSchemaError):
    """Bytes that are not strict JSON: invalid UTF-8, NaN/Infinity, duplicate keys, huge ints, too deep."""

    code = Code.JSON_MALFORMED

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class CanonicalizationError(PilotSchemaError, ValueError):
    """A value that RFC 8785 cannot canonicalize (NaN, Infinity, an integer beyond 2**53, a non-str key)."""

    code = Code.JSON_MALFORMED


class KeyFormatError(PilotSchemaError, ValueError):
    """A public or private key encoding that does not decode to an Ed25519 key."""

    code = Code.PROOF_INVALID


@dataclass
class VerificationError(PilotSchemaError):
    """One or more problems found while verifying a document; ``code`` is the first error's code."""

    problems: list[Reason] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    @classmethod
    def single(cls, code: Code, path: str, message: str | Phrase) -> VerificationError:
        """An error with exactly one problem."""
        if isinstance(message, Phrase):
            return cls([Reason.of(code, path, message)])
        return cls([Reason(code, path, message)])

    @property
    def code(self) -> Code:  # type: ignore[override]
        errors = [p for p in self.problems if p.severity == "error"] or self.problems
        return errors[0].code if errors else Code.SCHEMA_INVALID

    def __str__(self) -> str:
        return "; ".join(f"{p.code} at {p.path or '/'}: {p.message}" for p in self.problems)
