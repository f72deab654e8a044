"""File-level checks shared by ``pilot credential`` and ``pilot conformance validate``.

Credentials' status (docs/design.md §12) is checked only when a status lookup is given (the lists of
``--status-list FILE`` and ``--status-lists DIR``, ``pilot.status_list_options``); without one, status is
not checked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from schemas.assess import assess_submission
from schemas.codes import Code
from schemas.errors import JsonMalformedError, Reason
from schemas.jsonio import parse_json
from schemas.keyring import load_agreement_keys
from schemas.status_list import StatusCheck, StatusLookup, check_status
from schemas.trust import TrustRegistry
from schemas.verify import check_credential

__all__ = ["FileVerdict", "Kind", "check_file", "credential_problems", "kind_of", "read_agreement_keys"]

Kind = Literal["credential", "submission"]


@dataclass
class FileVerdict:
    """What a file-level check found: the kind of document, and every problem."""

    path: Path
    kind: Kind | None
    problems: list[Reason] = field(default_factory=list)
    decision: str | None = None
    #: A hint for a problem, when the check that found it gives one (the shared-schema checks do).
    hints: dict[Reason, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Reason]:
        """Error-level problems only."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def outcome(self) -> str:
        """``accept`` or the first error code: the form ``expected.json`` uses."""
        return str(self.errors[0].code) if self.errors else "accept"


def kind_of(document: Any) -> Kind:
    """A submission has ``manifest``; anything else is checked as a credential."""
    return "submission" if isinstance(document, Mapping) and "manifest" in document else "credential"


def credential_problems(document: Any, trust: TrustRegistry, at: datetime, status: StatusLookup | None) -> list[Reason]:
    """Every problem of one credential checked at ``at`` (``schemas.verify``), and its status when ``status``
    is given: revoked, suspended, or a status the lookup cannot establish (docs/design.md §12)."""
    report = check_credential(document, trust, at)
    problems = list(report.problems)
    if status is not None:
        found = StatusCheck()
        check_status(report, status, trust, at, found)
        problems += found.reasons
    return problems


def read_agreement_keys(path: Path) -> dict[str, X25519PrivateKey]:
    """The ``keyAgreement`` private keys of a keyring file (``keys/<port>.pem``) by key id, decrypted with
    ``PILOT_KEY_PASSPHRASE`` when set; KeyFormatError for a file that is not such a keyring."""
    passphrase = os.environ.get("PILOT_KEY_PASSPHRASE")
    entries = load_agreement_keys(path.read_bytes(), passphrase.encode() if passphrase else None)
    return {entry.verification_method: entry.private_key for entry in entries}


def check_file(
    path: Path,
    trust: TrustRegistry,
    at: datetime,
    *,
    port_id: str = "cn-port-01",
    status: StatusLookup | None = None,
    agreement_keys: Mapping[str, X25519PrivateKey] | None = None,
) -> FileVerdict:
    """Check one file as a credential or a submission to ``port_id`` at time ``at``.

    ``status``: the status lists to check credentials' status against (docs/design.md §12); None:
    status is not checked. ``agreement_keys``: the port's keyAgreement private keys by key id, which open
    the sealed credentials of a submission (docs/design.md §8); without them a sealed credential cannot
    be opened (``SEALED_KEY_UNKNOWN``).
    """
    try:
        document = parse_json(path.read_bytes())
    except JsonMalformedError as exc:
        return FileVerdict(path, None, [Reason(Code.JSON_MALFORMED, "", exc.message)])
    kind = kind_of(document)
    if kind == "credential":
        return FileVerdict(path, kind, credential_problems(document, trust, at, status))
    assessment = assess_submission(
        document, trust, port_id=port_id, at=at, status=status, agreement_keys=agreement_keys
    )
    return FileVerdict(path, kind, assessment.reasons, assessment.decision)
