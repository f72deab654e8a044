"""Who may post a status list: its issuer, proven by an RFC 9421 request signature (docs/design.md §§4, 12).

The signing key is looked up in the trust list held now, with purpose ``authentication``, and judged at
the registry's receive time; the request's ``@target-uri`` must name one of the registry's public origins
(``PILOT_PUBLIC_ORIGINS``), so a request signed for another node is refused. A valid signature by any
participant other than the list's issuer is 403 ``FORBIDDEN``. As at a port, the check has two steps so
that no body is read for a request that fails the first: ``signed_by_issuer`` with the headers alone,
then ``finish`` with the body (its digest, then the nonce, spent only once the signature verified).

Nonces live in the database's ``seen_nonce`` table, so a replay is refused across restarts too
(401 ``REQUEST_REPLAYED``). On SQLite the nonce writes take the store's write lock, so they queue behind
version writes instead of meeting SQLite's busy handler.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from node_core.database import WriteLock
from node_core.http_signatures import SignedHeaders, declares_body, verify_request_body, verify_request_headers
from node_core.nonces import NonceStore
from node_core.problems import ProblemError
from node_core.trust_holder import TrustHolder
from schemas.codes import Code
from schemas.trust import ResolvedKey

__all__ = ["IssuerAuthenticator", "LockedNonceStore"]


class LockedNonceStore:
    """A nonce store whose writes take a ``WriteLock`` (a no-op on PostgreSQL)."""

    def __init__(self, inner: NonceStore, lock: WriteLock) -> None:
        self.inner = inner
        self.lock = lock
        self.ttl_s = getattr(inner, "ttl_s", 600)

    def remember(self, keyid: str, nonce: str, now: float) -> bool:
        """Record ``(keyid, nonce)``; False when it was seen within its lifetime."""
        with self.lock:
            return self.inner.remember(keyid, nonce, now)


class IssuerAuthenticator:
    """Checks that a request was signed by the participant whose status list it posts."""

    def __init__(self, trust: TrustHolder, nonces: NonceStore, *, origins: Collection[str], skew_s: int = 300) -> None:
        self.trust = trust
        self.nonces = nonces
        self.origins = tuple(origins)
        self.skew_s = skew_s

    def signed_by_issuer(
        self, method: str, url: str, headers: Mapping[str, str] | Any, at: datetime, issuer: str
    ) -> SignedHeaders:
        """Step one, before the body is read: a valid signature by ``issuer``; 401, or 403 for anyone else."""
        registry = self.trust.current()

        def resolve(keyid: str) -> ResolvedKey:
            return registry.resolve_key(keyid, "authentication", at)

        signed = verify_request_headers(
            method,
            url,
            headers,
            has_body=declares_body(headers),
            resolve_key=resolve,
            now=time.time(),
            skew_s=self.skew_s,
            origins=self.origins,
        )
        signer = signed.participant_id
        if signer != issuer:
            raise ProblemError(
                Code.FORBIDDEN, f"{signer} may publish its own status lists only, not another participant's"
            )
        return signed

    def finish(self, signed: SignedHeaders, body: bytes) -> None:
        """Step two, with the body: the signed digest against it, then the nonce (401 on either)."""
        verify_request_body(signed, body, nonce_store=self.nonces, now=time.time())
