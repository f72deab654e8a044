"""Sealed credentials in an evidence bundle: what an auditor can check without any key, and what not.

Issue 15, docs/design.md §§4, 8. A credential sealed to the destination port travels, is logged and is
bundled as it was sent: a compact JWE (``schemas.sealing``). ``pilot audit`` holds no key and never
opens one, so the credential inside is not verified and its bytes are not compared with the digest the
manifest pins; the receipt's ``submissionDigest`` covers the sealed bytes, and the signed manifest pins
the plaintext's digest, so neither can be changed unnoticed, before or after the port's key is destroyed.

What is checked offline, for each sealed credential (``check_bundle_sealed``):

1. it is a well-formed sealed credential and its JWE header is within the sealing profile
   (``schemas.sealing.read_sealed``, ``sealed_header``: no key needed);
2. its ``kid`` names a ``keyAgreement`` key of the receipt's port in the trust list, usable at
   ``receivedAt`` (the port refuses anything else, with ``SEALED_KEY_UNKNOWN``/``SEALED_KEY_RETIRED``);
3. the signed manifest pins a credential for it: a reference no clear credential of the submission fills.

A failure of 1 or 2 is acceptable only when the port rejected the submission giving that very code, as
for a clear credential that does not verify. 3 is required unless the submission was rejected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pilot.audit.wording import said, said_joined
from schemas.digest import credential_digest
from schemas.errors import PilotSchemaError, Reason, VerificationError
from schemas.jose import credential_payload
from schemas.phrase import Phrase
from schemas.sealing import is_sealed, read_sealed, sealed_header
from schemas.trust import TrustRegistry

__all__ = ["NOT_CHECKED", "SealedFindings", "check_bundle_sealed", "sealed_kid", "sealed_paths", "under_sealed"]

#: What every check that meets a sealed credential says about its content.
NOT_CHECKED = said(Phrase("sealed: content not checked, digest pinned by the signed manifest"))


def sealed_kid(document: Any) -> str | None:
    """The ``kid`` a sealed credential names in its (checked) JWE header; None if it is not one, or malformed."""
    if not is_sealed(document):
        return None
    try:
        kid: str = sealed_header(read_sealed(document))["kid"]
    except VerificationError:
        return None
    return kid


def sealed_paths(submission: Any) -> set[str]:
    """The JSON pointers (``/credentials/<i>``) of the submission's sealed credentials."""
    credentials = submission.get("credentials") if isinstance(submission, Mapping) else None
    if not isinstance(credentials, list):
        return set()
    return {f"/credentials/{i}" for i, document in enumerate(credentials) if is_sealed(document)}


def under_sealed(path: str, sealed: set[str]) -> bool:
    """True when the JSON pointer ``path`` is a sealed credential or inside one."""
    return any(path == p or path.startswith(p + "/") for p in sealed)


@dataclass
class SealedFindings:
    """What the check found: ``problems`` (empty when it passed), a one-line summary, and how many were sealed
    (English that keeps its phrase, ``pilot.audit.wording``)."""

    problems: list[str] = field(default_factory=list)
    detail: str = ""
    sealed: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _message(reason: Reason) -> str:
    return said(reason.phrase) if reason.phrase is not None else reason.message


def _manifest_pins(submission: Mapping[str, Any]) -> list[str]:
    """The digests the manifest pins (unverified here: the credentials check verifies the manifest)."""
    try:
        subject = credential_payload(submission["manifest"]).get("credentialSubject")
    except (VerificationError, KeyError, TypeError, ValueError):
        return []
    references = subject.get("credentials") if isinstance(subject, Mapping) else None
    if not isinstance(references, list):
        return []
    return [str(r.get("digest")) for r in references if isinstance(r, Mapping)]


def _clear_digests(credentials: list[Any]) -> set[str]:
    digests = set()
    for document in credentials:
        if isinstance(document, Mapping) and not is_sealed(document):
            try:
                digests.add(credential_digest(document))
            except (PilotSchemaError, TypeError, ValueError):
                continue
    return digests


def check_bundle_sealed(
    submission: Mapping[str, Any], subject: Mapping[str, Any], trust: TrustRegistry, port: str, at: datetime
) -> SealedFindings:
    """The checks of the module doc over the bundle's submission, for the receipt ``subject`` by ``port``.

    ``trust`` is the bundle's trust list, verified against the pinned anchor; ``at`` the receipt's ``receivedAt``.
    """
    findings = SealedFindings()
    credentials = submission.get("credentials")
    credentials = credentials if isinstance(credentials, list) else []
    rejected = subject.get("decision") == "rejected"
    reasons = subject.get("reasons")
    given = {str(r.get("code")) for r in reasons if isinstance(r, Mapping)} if isinstance(reasons, list) else set()
    keys = []
    for index, document in enumerate(credentials):
        if not is_sealed(document):
            continue
        findings.sealed += 1
        path = f"/credentials/{index}"
        try:
            kid: str = sealed_header(read_sealed(document))["kid"]
        except VerificationError as exc:
            if not (rejected and str(exc.code) in given):
                findings.problems.append(said_joined([f"{path}: {exc.code} ", _message(exc.problems[0])], ""))
            continue
        key = trust.agreement_keys.get(kid)
        if key is None or key.participant_id != port:
            if not (rejected and "SEALED_KEY_UNKNOWN" in given):
                problem = Phrase(
                    "{path} is sealed to {key}, not a keyAgreement key of {port}", path=path, key=kid, port=port
                )
                findings.problems.append(said(problem))
            continue
        if not key.usable_at(at):
            if not (rejected and "SEALED_KEY_RETIRED" in given):
                problem = Phrase("{path} is sealed to {key}, which is not usable at receivedAt", path=path, key=kid)
                findings.problems.append(said(problem))
            continue
        keys.append(kid)
    if not findings.sealed:
        findings.detail = said(Phrase("no sealed credential in this submission"))
        return findings
    clear = _clear_digests(credentials)
    unfilled = [digest for digest in _manifest_pins(submission) if digest not in clear]
    if len(unfilled) < findings.sealed and not rejected:
        unpinned = Phrase(
            "{sealed} sealed credentials, but the manifest pins only {pinned} credentials that no clear one fills: "
            "a sealed credential is not pinned by the signed manifest",
            sealed=findings.sealed,
            pinned=len(unfilled),
        )
        findings.problems.append(said(unpinned))
    to = ", ".join(sorted(set(keys))) or said(Phrase("no key of this port"))
    findings.detail = said(
        Phrase(
            "{count} sealed to {keys}: {not_checked} (no key needed, none used)",
            count=findings.sealed,
            keys=to,
            not_checked=NOT_CHECKED,
        )
    )
    return findings
