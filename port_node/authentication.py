"""Who is calling: an exporter proven by an RFC 9421 request signature, or the port's operator by token.

DESIGN section 4: the signing key is looked up in the trust list held now, with purpose
``authentication``, and judged at the port's receive time; the nonce store is the database's
``seen_nonce`` table, so a replay is refused across restarts. Only participants whose role is
``exporter`` may submit or read submissions (403 ``FORBIDDEN`` otherwise).
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from node_core.http_signatures import NonceStore, verify_request
from node_core.problems import ProblemError
from node_core.trust_holder import TrustHolder
from port_node.storage import unavailable
from schemas._trust import ResolvedKey
from schemas.codes import Code

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

    def __init__(self, trust: TrustHolder, nonces: NonceStore, operator_token: str, *, skew_s: int = 300) -> None:
        self.trust = trust
        self.nonces = nonces
        self.skew_s = skew_s
        self._token = operator_token.encode()

    def exporter(self, method: str, url: str, headers: Mapping[str, str] | Any, body: bytes, at: datetime) -> str:
        """The short id of the exporter that signed this request; 401 or 403 ``ProblemError`` otherwise."""
        registry = self.trust.current()

        def resolve(keyid: str) -> ResolvedKey:
            return registry.resolve_key(keyid, "authentication", at)

        with unavailable():
            verified = verify_request(
                method,
                url,
                headers,
                body,
                resolve_key=resolve,
                nonce_store=self.nonces,
                now=time.time(),
                skew_s=self.skew_s,
            )
        key = verified.key
        if not isinstance(key, ResolvedKey) or key.role != EXPORTER_ROLE:
            who = getattr(key, "participant_id", verified.keyid)
            raise ProblemError(Code.FORBIDDEN, f"{who} is not an exporter and may not use this route", status=403)
        return key.participant_id

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
