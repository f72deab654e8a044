"""Who is calling: an exporter proven by an RFC 9421 request signature, or the port's operator by token.

docs/design.md §4: the signing key is looked up in the trust list held now, with purpose
``authentication``, and judged at the port's receive time; the nonce store is the database's
``seen_nonce`` table, so a replay is refused across restarts. Only participants whose role is
``exporter`` may submit or read submissions (403 ``FORBIDDEN`` otherwise). A request whose
``@target-uri`` is not one of the port's public origins (``PILOT_PUBLIC_ORIGINS``) was made for another
node and is refused.

A submission is checked in two steps: ``signed_exporter`` before its body is read (everything the
headers carry, the signature included), ``exporter_of`` once the body is in hand (the digest, then the
nonce). An unauthenticated request never gets its body read.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from node_core.http_signatures import (
    SignedHeaders,
    declares_body,
    verify_request_body,
    verify_request_headers,
)
from node_core.nonces import NonceStore
from node_core.problems import ProblemError
from node_core.trust_holder import TrustHolder
from port_node.storage import unavailable
from schemas.codes import Code
from schemas.trust import ResolvedKey

__all__ = ["Authenticator", "Caller", "SerialNonceStore"]

EXPORTER_ROLE = "exporter"


class SerialNonceStore:
    """A nonce store whose writes take the port's write lock: on SQLite, one writer at a time.

    SQLite's busy handler makes a second writer sleep (1, 2, 5, 10... ms) rather than queue; taking the
    same in-process lock as the log writer queues nonce writes behind log writes instead.
    """

    def __init__(self, inner: NonceStore, lock: threading.Lock) -> None:
        self.inner = inner
        self.lock = lock
        self.ttl_s = getattr(inner, "ttl_s", 600)

    def remember(self, keyid: str, nonce: str, now: float) -> bool:
        """Record ``(keyid, nonce)``; False when it was seen within its lifetime."""
        with self.lock:
            return self.inner.remember(keyid, nonce, now)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the operator, or an exporter by short id."""

    exporter: str | None = None
    operator: bool = False


class Authenticator:
    """Checks request signatures and the operator token for one port."""

    def __init__(
        self,
        trust: TrustHolder,
        nonces: NonceStore,
        operator_token: str,
        *,
        origins: Collection[str],
        skew_s: int = 300,
    ) -> None:
        self.trust = trust
        self.nonces = nonces
        self.origins = tuple(origins)
        self.skew_s = skew_s
        self._token = operator_token.encode()

    def signed_exporter(
        self, method: str, url: str, headers: Mapping[str, str] | Any, at: datetime, *, has_body: bool | None = None
    ) -> SignedHeaders:
        """Step one, before the body is read: the signature headers of an exporter; 401 or 403 otherwise.

        ``has_body`` defaults to what the request's framing announces.
        """
        registry = self.trust.current()

        def resolve(keyid: str) -> ResolvedKey:
            return registry.resolve_key(keyid, "authentication", at)

        signed = verify_request_headers(
            method,
            url,
            headers,
            has_body=declares_body(headers) if has_body is None else has_body,
            resolve_key=resolve,
            now=time.time(),
            skew_s=self.skew_s,
            origins=self.origins,
        )
        key = signed.key
        if not isinstance(key, ResolvedKey) or key.role != EXPORTER_ROLE:
            who = getattr(key, "participant_id", signed.keyid)
            raise ProblemError(Code.FORBIDDEN, f"{who} is not an exporter and may not use this route", status=403)
        return signed

    def exporter_of(self, signed: SignedHeaders, body: bytes) -> str:
        """Step two, with the body: its digest, then the nonce; the exporter's short id, or 401."""
        with unavailable():
            verify_request_body(signed, body, nonce_store=self.nonces, now=time.time())
        assert isinstance(signed.key, ResolvedKey)
        return signed.key.participant_id

    def exporter(self, method: str, url: str, headers: Mapping[str, str] | Any, body: bytes, at: datetime) -> str:
        """Both steps at once: the short id of the exporter that signed this request; 401 or 403 otherwise."""
        return self.exporter_of(self.signed_exporter(method, url, headers, at, has_body=bool(body)), body)

    def caller(self, method: str, url: str, headers: Mapping[str, str] | Any, at: datetime) -> Caller:
        """The operator (``Authorization: Bearer``) or a signing exporter of a GET; 401/403 otherwise."""
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), self._token):
                raise ProblemError(
                    Code.UNAUTHORIZED,
                    "operator bearer token missing or wrong",
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="pilot"'},
                )
            return Caller(operator=True)
        return Caller(exporter=self.exporter(method, url, headers, b"", at))
