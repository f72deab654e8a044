"""The operator's view of a stored submission's sealed credentials: list them, open one, record every attempt.

Issue 15, docs/design.md §§6, 8. The port stores a submission as it arrived, so a sealed credential
stays sealed at rest. Its operator may open one: the JWE is read from the stored content, its ``kid``
checked against the keys the port destroyed (``SEALED_KEY_DESTROYED``, 410, saying when), then opened
with the key it names (``schemas.sealing.open_sealed``). The plaintext goes to the caller and nowhere
else: not to the database, not to the log lines, not to a cache. Every attempt on a stored submission,
whatever its outcome, is recorded in the access log (``port_node.access_log``) before the answer, so a
failed write is a 503 and nothing is shown unrecorded. An attempt on a submission the port does not
hold is a 404 and is not recorded (there is nothing to have accessed).

The keys come from a ``KeyHolder``: the port's ``AgreementKeys`` (``port_node.agreement_keys``), which
re-reads its keyring file when it changes, so a key destroyed with ``pilot keys destroy`` on a running
port is refused at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import orjson
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from node_core.problems import ProblemError
from port_node.access_log import OPENED, AccessLogEntry, SqlAccessLog
from port_node.storage import SubmissionRow, SubmissionStore
from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.jose import credential_payload
from schemas.models.registry import credential_type_of
from schemas.phrase import Phrase
from schemas.sealing import is_sealed, open_sealed, read_sealed, sealed_header
from schemas.time import format_time

__all__ = ["KeyHolder", "SealedCredentials", "StoredCredential", "destroyed_message"]

log = logging.getLogger(__name__)


class KeyHolder(Protocol):
    """The port's key-agreement keys: those it holds, and those it destroyed (``AgreementKeys``)."""

    def private_keys(self) -> dict[str, X25519PrivateKey]:
        """The private keys held now, by ``kid``."""
        ...

    def destroyed(self) -> dict[str, datetime]:
        """The keys destroyed, by ``kid``, with when."""
        ...


@dataclass(frozen=True)
class StoredCredential:
    """One credential of a stored submission as the operator's listing shows it: never its content."""

    index: int
    sealed: bool
    #: The key the credential is sealed to (None when it is in clear text or its header is unreadable).
    kid: str | None
    #: The pilot record type of a clear credential (None when sealed or not a pilot record).
    type: str | None

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "sealed": self.sealed, "kid": self.kid, "type": self.type}


def destroyed_message(kid: str, at: datetime) -> str:
    """What an opening of content sealed to the destroyed key ``kid`` says."""
    return f"sealed to {kid}, destroyed at {format_time(at)}: its content can no longer be read"


class _Refused(Exception):
    """An attempt refused with ``code`` and ``status``; ``kid`` is the key it was sealed to, when known."""

    def __init__(self, code: Code, detail: str, status: int, kid: str | None = None) -> None:
        super().__init__(detail)
        self.code, self.detail, self.status, self.kid = code, detail, status, kid


def _not_there(detail: str) -> _Refused:
    return _Refused(Code.NOT_FOUND, detail, 404)


def _kid_of(document: Mapping[str, Any]) -> str | None:
    """The ``kid`` of a sealed credential's checked header, or None when the header is outside the profile."""
    try:
        kid: str = sealed_header(read_sealed(document))["kid"]
    except VerificationError:
        return None
    return kid


def _record_type(document: Any) -> str | None:
    if not isinstance(document, Mapping):
        return None
    try:
        return credential_type_of(credential_payload(document))
    except (VerificationError, ValueError, TypeError):
        return None


def _credentials(stored: SubmissionRow) -> list[Any]:
    """The credentials of a stored submission's content; refused when the port did not keep its content."""
    if stored.content is None:
        raise _not_there("the port did not keep this submission's content (docs/design.md §8)")
    document = orjson.loads(stored.content)
    credentials = document.get("credentials") if isinstance(document, dict) else None
    return credentials if isinstance(credentials, list) else []


class SealedCredentials:
    """Lists and opens the sealed credentials of the submissions a port stored, recording every attempt."""

    def __init__(self, store: SubmissionStore, keys: KeyHolder, access_log: SqlAccessLog) -> None:
        self.store = store
        self.keys = keys
        self.access_log = access_log

    def _stored(self, exporter: str, submission_id: str) -> SubmissionRow:
        stored = self.store.find(exporter, submission_id)
        if stored is None:
            raise ProblemError(Code.NOT_FOUND, Phrase("no such submission at this port"))
        return stored

    def listing(self, exporter: str, submission_id: str) -> tuple[bool, list[StoredCredential]]:
        """Whether the content was kept, and each credential: sealed or not, its ``kid`` or record type."""
        stored = self._stored(exporter, submission_id)
        if stored.content is None:
            return False, []
        listed = []
        for index, document in enumerate(_credentials(stored)):
            if is_sealed(document):
                listed.append(StoredCredential(index, True, _kid_of(document), None))
            else:
                listed.append(StoredCredential(index, False, None, _record_type(document)))
        return True, listed

    def access(self, exporter: str, submission_id: str) -> list[AccessLogEntry]:
        """The access log of one stored submission, oldest first."""
        self._stored(exporter, submission_id)
        return self.access_log.entries(exporter, submission_id)

    def open(self, exporter: str, submission_id: str, index: int, operator: str, at: datetime) -> dict[str, Any]:
        """The signed credential sealed at ``index``, in clear text, once the attempt is recorded.

        Raises ``ProblemError``: 404 (no such submission, content not kept, no credential at ``index``),
        409 ``CREDENTIAL_NOT_SEALED``, 410 ``SEALED_KEY_DESTROYED``, 409 with the opener's code when the
        stored JWE does not open, 503 when the access log cannot be written.
        """
        stored = self._stored(exporter, submission_id)
        kid: str | None = None
        try:
            credentials = _credentials(stored)
            if not 0 <= index < len(credentials):
                raise _not_there(f"the submission holds {len(credentials)} credentials; there is none at {index}")
            document = credentials[index]
            if not is_sealed(document):
                raise _Refused(Code.CREDENTIAL_NOT_SEALED, f"credential {index} is not sealed: nothing to open", 409)
            kid = _kid_of(document)
            destroyed = self.keys.destroyed().get(kid) if kid is not None else None
            if kid is not None and destroyed is not None:
                raise _Refused(Code.SEALED_KEY_DESTROYED, destroyed_message(kid, destroyed), 410, kid)
            try:
                opened = open_sealed(read_sealed(document), self.keys.private_keys())
            except VerificationError as exc:
                destroyed = self.keys.destroyed().get(kid) if kid is not None else None
                if kid is not None and destroyed is not None:  # destroyed a moment ago
                    raise _Refused(Code.SEALED_KEY_DESTROYED, destroyed_message(kid, destroyed), 410, kid) from exc
                message = next((p.message for p in exc.problems if p.code == exc.code), str(exc))
                raise _Refused(exc.code, message, 409, kid) from exc
        except _Refused as refused:
            self._record(stored, index, refused.kid, operator, at, str(refused.code))
            raise ProblemError(refused.code, refused.detail, status=refused.status) from refused
        self._record(stored, index, opened.kid, operator, at, OPENED)
        return opened.credential

    def _record(
        self, stored: SubmissionRow, index: int, kid: str | None, operator: str, at: datetime, outcome: str
    ) -> None:
        entry = AccessLogEntry(stored.exporter, stored.submission_id, index, kid, operator, at, outcome)
        self.access_log.record(entry)
        # The log line names the attempt, never the content.
        log.info(
            "sealed credential access",
            extra={
                "exporter": entry.exporter,
                "submission_id": entry.submission_id,
                "credential_index": index,
                "kid": kid,
                "operator": operator,
                "outcome": outcome,
            },
        )
