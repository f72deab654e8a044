"""Who is calling: an exporter proven by an RFC 9421 request signature, or the port's operator by token.

docs/design.md §4: the signature is checked by ``node_core.participant_auth`` (the signer's
``authentication`` key in the trust list held now, judged at the port's receive time, a ``@target-uri``
among the port's public origins); the nonce store is the database's ``seen_nonce`` table, so a replay is
refused across restarts. Only participants whose role is ``exporter`` may submit or read submissions
(403 ``FORBIDDEN`` otherwise: ``exporters_only``).

A submission is checked in two steps: ``read_signed_body`` before its body is read (everything the
headers carry, the signature included), ``exporter_of`` once the body is in hand (the digest, then the
nonce). An unauthenticated request never gets its body read.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from node_core.http_signatures import SignedHeaders
from node_core.nonces import NonceStore
from node_core.participant_auth import ParticipantAuthenticator
from node_core.problems import ProblemError
from node_core.trust_holder import TrustHolder
from port_node.storage import unavailable
from schemas.codes import Code
from schemas.phrase import Phrase
from schemas.trust import ResolvedKey

__all__ = ["Authenticator", "Caller", "exporters_only"]

EXPORTER_ROLE = "exporter"


def exporters_only(key: ResolvedKey) -> Phrase | None:
    """The port's ``SignerRule``: only a participant whose trust-list role is ``exporter`` is admitted."""
    if key.role == EXPORTER_ROLE:
        return None
    return Phrase("{participant} is not an exporter and may not use this route", participant=key.participant_id)


@dataclass(frozen=True)
class Caller:
    """An authenticated caller: the operator, or an exporter by short id."""

    exporter: str | None = None
    operator: bool = False


class Authenticator(ParticipantAuthenticator):
    """Checks exporters' request signatures and the operator token for one port."""

    def __init__(
        self,
        trust: TrustHolder,
        nonces: NonceStore,
        operator_token: str,
        *,
        origins: Collection[str],
        skew_s: int = 300,
    ) -> None:
        super().__init__(trust, nonces, origins=origins, skew_s=skew_s)
        self._token = operator_token.encode()

    def exporter_of(self, signed: SignedHeaders, body: bytes) -> str:
        """Step two, with the body: its digest, then the nonce; the exporter's short id, or 401 (503 when the
        database cannot record the nonce)."""
        with unavailable():
            return self.verified_signer(signed, body).participant_id

    def exporter(self, method: str, url: str, headers: Mapping[str, str] | Any, body: bytes, at: datetime) -> str:
        """Both steps at once: the short id of the exporter that signed this request; 401 or 403 otherwise."""
        signed = self.signed_headers(method, url, headers, at, exporters_only, has_body=bool(body))
        return self.exporter_of(signed, body)

    def caller(self, method: str, url: str, headers: Mapping[str, str] | Any, at: datetime) -> Caller:
        """The operator (``Authorization: Bearer``) or a signing exporter of a GET; 401/403 otherwise."""
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), self._token):
                raise ProblemError(
                    Code.UNAUTHORIZED,
                    Phrase("operator bearer token missing or wrong"),
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer realm="pilot"'},
                )
            return Caller(operator=True)
        return Caller(exporter=self.exporter(method, url, headers, b"", at))
