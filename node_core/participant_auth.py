"""Who signed a request to this node: a participant of the trust list, by an RFC 9421 signature (docs/design.md §4).

The signing key is looked up in the trust list held now, with purpose ``authentication``, and judged at the
node's receive time; the request's ``@target-uri`` must name one of the node's public origins
(``PILOT_PUBLIC_ORIGINS``), so a request signed for another node is refused (401). Who may use a route is
the route's rule (``SignerRule``), passed in with each request: a port admits exporters, the registry a
status list's own issuer. A valid signature by anyone the rule does not admit is 403 ``FORBIDDEN``.

The check has two steps, so that no body is read for a request that fails the first:
``signed_headers`` with the headers alone (the signature itself included: it covers the
``Content-Digest`` header, not the body), then ``verified_signer`` with the body (its digest, then the
nonce, spent only once the signature verified; 401 ``REQUEST_REPLAYED`` for a nonce seen before).
``read_signed_body`` does step one and then reads the body of a JSON request, as the signed POST routes
need. Errors are ``ProblemError``s (``node_core.http_signatures``), answered by node_core's one handler.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from starlette.requests import Request

from node_core.body import read_limited_body, require_json_media_type
from node_core.http_signatures import (
    SignedHeaders,
    declares_body,
    target_uri_from_scope,
    verify_request_body,
    verify_request_headers,
)
from node_core.nonces import NonceStore
from node_core.problems import ProblemError
from node_core.trust_holder import TrustHolder
from schemas.codes import Code
from schemas.phrase import Phrase
from schemas.trust import ResolvedKey

__all__ = ["ParticipantAuthenticator", "SignerRule"]

#: Who may use a route: given the key that signed the request, None to admit its participant, or why not
#: (the detail of the 403 ``FORBIDDEN``).
SignerRule = Callable[[ResolvedKey], Phrase | str | None]


class ParticipantAuthenticator:
    """Checks requests signed by the trust list's participants with their ``authentication`` keys."""

    def __init__(self, trust: TrustHolder, nonces: NonceStore, *, origins: Collection[str], skew_s: int = 300) -> None:
        self.trust = trust
        self.nonces = nonces
        self.origins = tuple(origins)
        self.skew_s = skew_s

    def signed_headers(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | Any,
        at: datetime,
        rule: SignerRule,
        *,
        has_body: bool | None = None,
    ) -> SignedHeaders:
        """Step one, before the body is read: a valid signature by a signer ``rule`` admits; 401, or 403.

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
        refusal = rule(_signer_key(signed))
        if refusal is not None:
            raise ProblemError(Code.FORBIDDEN, refusal, status=403)
        return signed

    def verified_signer(self, signed: SignedHeaders, body: bytes) -> ResolvedKey:
        """Step two, with the body: the signed digest against it, then the nonce (401 on either); the signer's key."""
        verify_request_body(signed, body, nonce_store=self.nonces, now=time.time())
        return _signer_key(signed)

    async def read_signed_body(
        self, request: Request, at: datetime, rule: SignerRule, *, limit: int
    ) -> tuple[SignedHeaders, bytes]:
        """Step one, then the JSON media type (415) and the body within ``limit`` bytes.

        Step one runs on the event loop, not in a worker thread: it is pure computation (one Ed25519
        verification and the parsing around it, about 0.3 ms) on the trust list held in memory, and the hop to a
        worker thread and back cost about 0.1 ms of CPU per request, measured on a port taking submissions.
        (``TrustHolder.current`` looks at the trust list file at most once a second: a ``stat``, and only when
        the file changed, the verification of the new list.) The body is read on the event loop, within the
        node's body deadline (408), and refused before it is read whole when it is too large (413); step two is
        the caller's, with the body in hand.
        """
        signed = self.signed_headers(request.method, target_uri_from_scope(request), request.headers, at, rule)
        require_json_media_type(request.headers)
        return signed, await read_limited_body(request, limit)


def _signer_key(signed: SignedHeaders) -> ResolvedKey:
    """The trust list key that made a verified signature (``signed_headers`` resolves keys from the trust list)."""
    key = signed.key
    assert isinstance(key, ResolvedKey), "keys are resolved from the trust list"
    return key
