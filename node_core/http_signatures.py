"""RFC 9421 HTTP Message Signatures, the pilot's profile (docs/design.md §4), for clients and servers.

Profile: one signature labelled ``sig1``, algorithm ``ed25519``, parameters ``created``, ``nonce``
(>= 128 random bits, base64url without padding), ``keyid`` (a verificationMethod id) and optionally
``alg``. Covered components, in any order: ``"@method" "@target-uri" "content-digest" "content-type"``
when the request has a body (RFC 9530 ``Content-Digest: sha-256=:<base64>:``), ``"@method"
"@target-uri"`` without one. ``@target-uri`` is always scheme + ``Host`` header + path + query, on both
sides (:func:`target_uri`); a server refuses one whose origin is not among its public origins
(``node_core.origins``), so a request signed for one node is not valid at another.

The ``http-message-signatures`` library signs, and resolves the covered components' values when a server
verifies; this module does what it leaves to callers: the label and covered set, the digest against the
body, the ``created`` window with the caller's clock, the nonce length and its uniqueness (checked only
after the signature verified, so that nobody can burn another client's nonces). The server builds the
signature base (RFC 9421 section 2.5) itself from the headers it has already parsed
(:func:`_signature_base`): the library's ``HTTPMessageVerifier.verify`` parsed ``Signature-Input`` and
``Signature`` a second time and built the base with its general machinery, about 0.24 ms of the 0.4 ms a
check cost (the Ed25519 verification itself is 0.12 ms), measured on this project's machine.
tests/node_core/test_signature_base.py checks the base against the library's, and the verdicts against
its ``verify``, over many requests.

A server verifies in two steps, so that it reads no body for an unauthenticated request:
:func:`verify_request_headers` checks everything the headers carry, the signature itself included (it
covers the ``Content-Digest`` header, not the body), before a byte of the body is read;
:func:`verify_request_body` then checks the digest against the body as received and spends the nonce.
:func:`verify_request` does both.

Errors (both are ``ProblemError``, so a route can let them propagate)::

    ProblemError
    └── RequestSignatureError    REQUEST_SIGNATURE_INVALID (401): unsigned, malformed, wrong key...
        └── ReplayError          REQUEST_REPLAYED (401): a valid signature whose nonce was seen
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Collection, Generator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NotRequired, Protocol, TypedDict, Unpack

import http_sf
import httpx
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPSignatureComponentResolver,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from http_sf.compat import Item
from starlette.requests import HTTPConnection
from starlette.types import Scope

from node_core.nonces import NonceStore
from node_core.origins import origin_of, parse_origins
from node_core.problems import ProblemError
from schemas.codes import Code
from schemas.errors import PilotSchemaError
from schemas.phrase import Phrase

__all__ = [
    "ALGORITHM",
    "COVERED_WITHOUT_BODY",
    "COVERED_WITH_BODY",
    "LABEL",
    "MIN_NONCE_BITS",
    "ReplayError",
    "RequestSignatureError",
    "RequestSigner",
    "ResolvedRequestKey",
    "SignedHeaders",
    "VerifiedRequest",
    "declares_body",
    "new_nonce",
    "sign_request",
    "target_uri",
    "target_uri_from_scope",
    "verify_request",
    "verify_request_body",
    "verify_request_headers",
]

LABEL = "sig1"
ALGORITHM = "ed25519"
COVERED_WITH_BODY = ("@method", "@target-uri", "content-digest", "content-type")
COVERED_WITHOUT_BODY = ("@method", "@target-uri")
MIN_NONCE_BITS = 128
_PARAMETERS = frozenset({"created", "nonce", "keyid", "alg"})
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_NONCE_NOT_BASE64URL = Phrase("nonce is not base64url without padding")


class RequestSignatureError(ProblemError):
    """The request's RFC 9421 signature is missing, malformed or does not verify."""

    def __init__(self, detail: str | Phrase, *, code: Code = Code.REQUEST_SIGNATURE_INVALID) -> None:
        super().__init__(code, detail)
        self.message = detail


class ReplayError(RequestSignatureError):
    """A valid signature whose ``(keyid, nonce)`` was already used within the nonce lifetime."""

    def __init__(self, detail: str | Phrase) -> None:
        super().__init__(detail, code=Code.REQUEST_REPLAYED)


class ResolvedRequestKey(Protocol):
    """What the key resolver returns: at least the public key (``schemas.trust.ResolvedKey`` fits)."""

    @property
    def public_key(self) -> Ed25519PublicKey: ...


@dataclass(frozen=True)
class VerifiedRequest:
    """A request whose signature verified: who signed it and with which parameters."""

    keyid: str
    key: Any
    created: int
    nonce: str
    covered: tuple[str, ...]

    @property
    def participant_id(self) -> str | None:
        """The signer's short id when the resolved key carries one."""
        value = getattr(self.key, "participant_id", None)
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class SignedHeaders:
    """A request whose signature headers verified: all but the body digest and the nonce's freshness."""

    keyid: str
    key: Any
    created: int
    nonce: str
    covered: tuple[str, ...]
    content_digest: bytes | None  # the signed sha-256 of the body, when the request has one

    @property
    def participant_id(self) -> str | None:
        """The signer's short id when the resolved key carries one."""
        value = getattr(self.key, "participant_id", None)
        return value if isinstance(value, str) else None


def declares_body(headers: Mapping[str, str]) -> bool:
    """Whether the request's framing announces a body (``Content-Length`` other than 0, or chunked)."""
    lines = _header_lines(headers)
    return any(
        name == "transfer-encoding" or (name == "content-length" and value.strip() != "0") for name, value in lines
    )


def new_nonce() -> str:
    """128 random bits, base64url without padding (22 characters)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(MIN_NONCE_BITS // 8)).rstrip(b"=").decode()


def target_uri(scheme: str, host: str, path_and_query: str) -> str:
    """``@target-uri`` as both sides build it: scheme + ``Host`` header + path + query."""
    return f"{scheme.lower()}://{host}{path_and_query or '/'}"


def target_uri_from_scope(source: Scope | HTTPConnection) -> str:
    """``@target-uri`` of a Starlette request: the scheme it came by, its ``Host`` header, raw path, query."""
    scope = source.scope if isinstance(source, HTTPConnection) else source
    host = ""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host and scope.get("server"):
        server_host, port = scope["server"]
        host = f"{server_host}:{port}"
    raw_path: bytes = scope.get("raw_path") or scope.get("path", "/").encode()
    query: bytes = scope.get("query_string", b"")
    path_and_query = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
    return target_uri(scope.get("scheme", "http"), host, path_and_query)


class _Message:
    """The minimal message interface the library reads: method, absolute URL, header field lines."""

    def __init__(self, method: str, url: str, headers: Any) -> None:
        self.method = method
        self.url = url
        self.headers = headers


class _HeaderLines:
    """Read-only header lines in wire order, as the library's component resolver reads them."""

    def __init__(self, lines: list[tuple[str, str]]) -> None:
        self._lines = lines

    def items(self) -> list[tuple[str, str]]:
        return list(self._lines)


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, keyid: str, private: Ed25519PrivateKey | None, public: Ed25519PublicKey | None) -> None:
        self.keyid, self.private, self.public = keyid, private, public

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        if key_id != self.keyid or self.private is None:
            raise KeyError(key_id)
        return self.private

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        return self.public if key_id == self.keyid else None


# --- client side -------------------------------------------------------------------------------------


def sign_request(
    request: httpx.Request, private_key: Ed25519PrivateKey, keyid: str, *, now: float | None = None
) -> None:
    """Sign ``request`` in place: ``Content-Digest`` when it has a body, ``Signature-Input``, ``Signature``.

    Any earlier signature and digest are replaced, so calling this again (a retry) signs afresh with a
    new nonce and ``created``. A request with a body must have a ``Content-Type``.
    """
    body = request.content
    for name in ("content-digest", "signature-input", "signature"):
        if name in request.headers:
            del request.headers[name]
    if body and "content-type" not in request.headers:
        raise ValueError("a signed request with a body needs a Content-Type header")
    host = request.headers.get("host") or request.url.netloc.decode("ascii")
    url = target_uri(request.url.scheme, host, request.url.raw_path.decode("ascii"))
    created = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(keyid, private_key, None))
    signer.sign(
        _Message(request.method, url, request.headers),
        key_id=keyid,
        created=created,
        nonce=new_nonce(),
        label=LABEL,
        include_alg=True,
        covered_component_ids=COVERED_WITH_BODY if body else COVERED_WITHOUT_BODY,
        body=body if body else None,
    )


class RequestSigner(httpx.Auth):
    """``httpx`` auth that signs every request, and every retry of it, afresh (new nonce and ``created``)."""

    requires_request_body = True

    def __init__(self, private_key: Ed25519PrivateKey, keyid: str) -> None:
        self.private_key = private_key
        self.keyid = keyid

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        sign_request(request, self.private_key, self.keyid)
        yield request


# --- server side -------------------------------------------------------------------------------------


def _header_lines(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    # Starlette's Headers.items() yields every field line, repeated names included.
    return [(name.lower(), value) for name, value in headers.items()]


def _single(lines: list[tuple[str, str]], name: str) -> str | None:
    values = [value for key, value in lines if key == name]
    return ", ".join(values) if values else None


def _parse_dictionary(value: str, name: str) -> dict[str, Any]:
    def reject_duplicate(key: str, context: str) -> None:
        if context == "dictionary":
            raise ValueError(f"duplicate member {key!r}")

    try:
        parsed = http_sf.parse(value.encode("latin-1"), tltype="dictionary", on_duplicate_key=reject_duplicate)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise RequestSignatureError(Phrase("malformed {name} header: {error}", name=name, error=str(exc))) from exc
    if not isinstance(parsed, dict):
        raise RequestSignatureError(Phrase("malformed {name} header", name=name))
    return parsed


def _check_nonce(nonce: Any) -> str:
    if not isinstance(nonce, str) or not nonce:
        raise RequestSignatureError(Phrase("signature has no nonce parameter"))
    if not _BASE64URL.match(nonce):
        raise RequestSignatureError(_NONCE_NOT_BASE64URL)
    try:
        raw = base64.urlsafe_b64decode(nonce + "=" * (-len(nonce) % 4))
    except (binascii.Error, ValueError) as exc:
        raise RequestSignatureError(_NONCE_NOT_BASE64URL) from exc
    if len(raw) * 8 < MIN_NONCE_BITS:
        raise RequestSignatureError(
            Phrase("nonce has {bits} bits, fewer than {minimum}", bits=len(raw) * 8, minimum=MIN_NONCE_BITS)
        )
    return nonce


def _content_digest(field: str | None) -> bytes:
    """RFC 9530: the ``sha-256`` member of ``Content-Digest``, the digest the signature covers."""
    if field is None:
        raise RequestSignatureError(Phrase("a request with a body needs a Content-Digest header"))
    member = _parse_dictionary(field, "Content-Digest").get("sha-256")
    if member is None or not isinstance(member[0], bytes) or len(member[0]) != hashlib.sha256().digest_size:
        raise RequestSignatureError(Phrase("Content-Digest must carry a sha-256 byte sequence"))
    return member[0]


@functools.lru_cache(maxsize=16)
def _parsed_origins(origins: tuple[str, ...]) -> frozenset[str]:
    # A node's origins are fixed for its life: parsed once, not for every request.
    return frozenset(parse_origins(origins))


def _check_origin(url: str, origins: Collection[str]) -> None:
    """The ``@target-uri`` must name this node (docs/design.md §4), not another node or host."""
    origin = origin_of(url)
    if origin is None or origin not in _parsed_origins(tuple(origins)):
        raise RequestSignatureError(
            Phrase(
                "request is addressed to {target}, which is not this node; a signed request must target one of its "
                "public origins: {origins}",
                target=repr(origin or url),
                origins=", ".join(origins),
            )
        )


def _sf_string(value: str) -> str:
    """RFC 8941 section 4.1.6: a String, as the library serializes one (printable ASCII, escaped)."""
    if not (value.isascii() and value.isprintable()):
        raise RequestSignatureError(Phrase("malformed signature headers"))
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _signature_params(covered: tuple[str, ...], params: Mapping[str, Any]) -> str:
    """The ``@signature-params`` value: the inner list of covered components and its parameters, in the
    order received, serialized as RFC 8941 section 4.1.1.2 says (what the signer serialized and signed)."""
    text = "(" + " ".join(_sf_string(name) for name in covered) + ")"
    for name, value in params.items():
        text += f";{name}={value}" if type(value) is int else f";{name}={_sf_string(value)}"
    return text


def _signature_base(
    method: str, url: str, lines: list[tuple[str, str]], covered: tuple[str, ...], params: Mapping[str, Any]
) -> bytes:
    """RFC 9421 section 2.5: the signature base of a request, for the profile's covered components.

    Each component's value is resolved by the library's ``HTTPSignatureComponentResolver`` (its strict
    ``@target-uri`` parsing, its field value normalization), with the checks the library's verifier makes on
    each line (section 2.5: no CR or LF; printable field values; derived values without surrounding spaces;
    an ASCII base). ``covered`` and ``params`` were checked against the profile by the caller.
    """
    fields = [(name, value) for name, value in lines if name in covered]
    try:
        resolver = HTTPSignatureComponentResolver(_Message(method, url, _HeaderLines(fields)))  # type: ignore[no-untyped-call]
        values = [resolver.resolve(Item(name)) for name in covered]
    except HTTPMessageSignaturesException as exc:
        raise RequestSignatureError(Phrase("signature does not verify: {why}", why=str(exc))) from exc
    base_lines = []
    for name, value in zip(covered, values, strict=True):
        if not isinstance(value, str) or "\r" in value or "\n" in value:
            raise RequestSignatureError(Phrase("signature does not verify: {why}", why=f"bad value of {name}"))
        derived = name.startswith("@")
        if value and (
            not value.replace("\t", " ").isprintable()
            if not derived
            else not value.isprintable() or value.startswith(" ") or value.endswith(" ")
        ):
            raise RequestSignatureError(Phrase("signature does not verify: {why}", why=f"bad value of {name}"))
        base_lines.append(f'"{name}": {value}')
    base_lines.append(f'"@signature-params": {_signature_params(covered, params)}')
    base = "\n".join(base_lines)
    if not base.isascii():
        raise RequestSignatureError(Phrase("signature does not verify: {why}", why="non-ASCII signature base"))
    return base.encode()


def verify_request_headers(
    method: str,
    url: str,
    headers: Mapping[str, str],
    *,
    has_body: bool,
    resolve_key: Callable[[str], ResolvedRequestKey],
    now: float,
    skew_s: int = 300,
    origins: Collection[str] | None = None,
) -> SignedHeaders:
    """Check a request's signature without its body; ``RequestSignatureError`` on any failure.

    ``url`` is the target URI rebuilt by the server (:func:`target_uri_from_scope`); ``has_body`` what
    the framing announces (:func:`declares_body`); ``origins`` the server's public origins (None: not
    checked, for a client that verifies a message it built). ``headers`` may be a mapping or Starlette
    ``Headers`` (every field line is used); ``resolve_key`` maps a keyid to a key valid for
    ``authentication`` now and raises (``PilotSchemaError`` or ``LookupError``) otherwise.
    """
    lines = _header_lines(headers)
    sig_input_text = _single(lines, "signature-input")
    signature_text = _single(lines, "signature")
    if sig_input_text is None or signature_text is None:
        raise RequestSignatureError(Phrase("request is not signed: Signature-Input and Signature are required"))
    if origins is not None:
        _check_origin(url, origins)
    inputs = _parse_dictionary(sig_input_text, "Signature-Input")
    signatures = _parse_dictionary(signature_text, "Signature")
    if list(inputs) != [LABEL] or list(signatures) != [LABEL]:
        raise RequestSignatureError(Phrase("expected exactly one signature labelled {label}", label=repr(LABEL)))
    members, params = inputs[LABEL]
    signature_value, _ = signatures[LABEL]
    if not isinstance(members, list) or not isinstance(signature_value, bytes):
        raise RequestSignatureError(Phrase("malformed signature headers"))

    covered = tuple(item for item, item_params in members if isinstance(item, str) and not item_params)
    expected = COVERED_WITH_BODY if has_body else COVERED_WITHOUT_BODY
    if len(covered) != len(members) or len(covered) != len(expected) or set(covered) != set(expected):
        template = (
            "covered components must be {expected} for a request with a body, not {covered}"
            if has_body
            else "covered components must be {expected} for a request without a body, not {covered}"
        )
        raise RequestSignatureError(Phrase(template, expected=" ".join(expected), covered=" ".join(map(str, covered))))
    unknown = set(params) - _PARAMETERS
    if unknown:
        raise RequestSignatureError(
            Phrase("unexpected signature parameters: {parameters}", parameters=", ".join(sorted(unknown)))
        )
    if "alg" in params and (type(params["alg"]) is not str or params["alg"] != ALGORITHM):
        raise RequestSignatureError(
            Phrase("signature algorithm must be {expected}, not {found}", expected=ALGORITHM, found=repr(params["alg"]))
        )
    created = params.get("created")
    if type(created) is not int:
        raise RequestSignatureError(Phrase("signature has no integer created parameter"))
    if abs(now - created) > skew_s:
        template = (
            "signature created {seconds} s old; allowed +-{skew} s"
            if created < now
            else "signature created {seconds} s in the future; allowed +-{skew} s"
        )
        raise RequestSignatureError(Phrase(template, seconds=abs(int(now) - created), skew=skew_s))
    nonce = _check_nonce(params.get("nonce"))
    keyid = params.get("keyid")
    if not isinstance(keyid, str) or not keyid:
        raise RequestSignatureError(Phrase("signature has no keyid parameter"))
    digest = _content_digest(_single(lines, "content-digest")) if has_body else None

    try:
        key = resolve_key(keyid)
    except (PilotSchemaError, LookupError) as exc:
        raise RequestSignatureError(
            Phrase("key {key} cannot authenticate requests: {why}", key=keyid, why=str(exc))
        ) from exc

    # The signature base holds the Content-Digest header, not the body: it verifies without the body.
    public_key = key.public_key
    if not isinstance(public_key, Ed25519PublicKey):
        raise RequestSignatureError(Phrase("signature does not verify: {why}", why=f"{keyid} is not an Ed25519 key"))
    base = _signature_base(method.upper(), url, lines, covered, params)
    try:
        public_key.verify(signature_value, base)
    except InvalidSignature as exc:
        raise RequestSignatureError(Phrase("signature does not verify: {why}", why="wrong signature")) from exc
    return SignedHeaders(keyid=keyid, key=key, created=created, nonce=nonce, covered=covered, content_digest=digest)


def verify_request_body(signed: SignedHeaders, body: bytes, *, nonce_store: NonceStore, now: float) -> VerifiedRequest:
    """Finish :func:`verify_request_headers`: the body against the signed digest, then spend the nonce."""
    if signed.content_digest is None:
        if body:
            raise RequestSignatureError(Phrase("the request has a body its signature does not cover"))
    elif not hmac.compare_digest(signed.content_digest, hashlib.sha256(body).digest()):
        raise RequestSignatureError(Phrase("Content-Digest does not match the body"))

    # Only now, with a verified signature, may the nonce be spent (RFC 9421 section 7.2.2).
    if not nonce_store.remember(signed.keyid, signed.nonce, now):
        raise ReplayError(
            Phrase(
                "nonce already used by {key} within the last {seconds} s", key=signed.keyid, seconds=_ttl(nonce_store)
            )
        )
    return VerifiedRequest(
        keyid=signed.keyid, key=signed.key, created=signed.created, nonce=signed.nonce, covered=signed.covered
    )


class _HeaderChecks(TypedDict):
    """The keyword arguments :func:`verify_request` passes on to :func:`verify_request_headers`."""

    resolve_key: Callable[[str], ResolvedRequestKey]
    now: float
    skew_s: NotRequired[int]
    origins: NotRequired[Collection[str] | None]


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    nonce_store: NonceStore,
    **checks: Unpack[_HeaderChecks],
) -> VerifiedRequest:
    """Verify a request against the profile, body included; who signed it, or ``RequestSignatureError``.

    :func:`verify_request_headers` (with ``has_body`` = whether ``body`` is empty, and ``checks``: its
    ``resolve_key``, ``now``, ``skew_s`` and ``origins``) then :func:`verify_request_body`.
    """
    signed = verify_request_headers(method, url, headers, has_body=bool(body), **checks)
    return verify_request_body(signed, body, nonce_store=nonce_store, now=checks["now"])


def _ttl(store: NonceStore) -> int:
    return int(getattr(store, "ttl_s", 600))
