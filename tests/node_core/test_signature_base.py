"""The server's own RFC 9421 signature base (``node_core.http_signatures._signature_base``) against the library.

The server builds the signature base from the headers it parsed once, instead of the library's
``HTTPMessageVerifier.verify`` (module docstring of ``node_core.http_signatures``). These properties hold it
to the library: a signature over the server's base verifies with the library's verifier (Ed25519 makes that
equality of the bytes), for any order of the covered components and of the parameters, any ``keyid`` a
String can carry, and varied targets and field values; and on requests altered after signing, the server
and the library give the same verdict.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import HTTPMessageVerifier, MappingKeyResolver, algorithms
from http_message_signatures.exceptions import HTTPMessageSignaturesException
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import Headers

from node_core.http_signatures import (
    COVERED_WITH_BODY,
    RequestSignatureError,
    _signature_base,
    verify_request_headers,
)

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CREATED = 1_900_000_000
NONCE = base64.urlsafe_b64encode(bytes(range(16))).rstrip(b"=").decode()
DIGEST = "sha-256=:" + base64.b64encode(bytes(32)).decode() + ":"


class _Key:
    def __init__(self, public_key: Ed25519PublicKey) -> None:
        self.public_key = public_key


class _LibraryVerifier(HTTPMessageVerifier):
    """The library's verifier without its clock (the server judges ``created`` with its own)."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


def _sf_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _signature_input(covered: list[str], params: list[tuple[str, Any]]) -> str:
    members = " ".join(f'"{name}"' for name in covered)
    rendered = "".join(f";{name}={value if isinstance(value, int) else _sf_string(value)}" for name, value in params)
    return f"({members}){rendered}"


def _request(url: str, fields: list[tuple[str, str]], signature_input: str, signature: bytes) -> list[tuple[str, str]]:
    return [
        *fields,
        ("signature-input", f"sig1={signature_input}"),
        ("signature", f"sig1=:{base64.b64encode(signature).decode()}:"),
    ]


@dataclass(frozen=True)
class _Message:
    """A request as the library reads one: method, URL as received (httpx would rewrite it), field lines."""

    method: str
    url: str
    headers: Headers


def _headers(lines: list[tuple[str, str]]) -> Headers:
    return Headers(raw=[(name.encode("latin-1"), value.encode("latin-1")) for name, value in lines])


def _library_accepts(method: str, url: str, lines: list[tuple[str, str]], keyid: str) -> bool:
    verifier = _LibraryVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={keyid: KEY.public_key()}, private_keys={}),
    )
    try:
        verifier.verify(_Message(method, url, _headers(lines)), max_age=None)
    except HTTPMessageSignaturesException:
        return False
    return True


def _server_accepts(method: str, url: str, lines: list[tuple[str, str]]) -> bool:
    try:
        verify_request_headers(
            method, url, _headers(lines), has_body=True, resolve_key=lambda _: _Key(KEY.public_key()), now=CREATED
        )
    except RequestSignatureError:
        return False
    return True


_PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=40)
_PATH = st.lists(
    st.sampled_from(["a", "Z", "9", "-", ".", "_", "~", "%2F", "%41", "!", "$", "'", "(", ";", "=", ":", "@", "/"]),
    max_size=12,
)
_QUERY = st.one_of(st.none(), st.lists(st.sampled_from(["a=1", "b=", "c", "x=%20", "d=/?"]), max_size=3))
_AUTHORITY = st.sampled_from(["port.test", "127.0.0.1:8101", "localhost:1", "[::1]:80", "Port.Test:443"])
_CONTENT_TYPE = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "  application/json  ", "a/b;\tq=1"]
)


@st.composite
def _signed_requests(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, str]], str]:
    """A POST signed over the server's base: (method, url, header lines, keyid)."""
    covered = draw(st.permutations(list(COVERED_WITH_BODY)))
    keyid = draw(_PRINTABLE)
    params: list[tuple[str, Any]] = [("created", CREATED), ("keyid", keyid), ("nonce", NONCE)]
    if draw(st.booleans()):
        params.append(("alg", "ed25519"))
    params = draw(st.permutations(params))
    query = draw(_QUERY)
    url = f"http://{draw(_AUTHORITY)}/{''.join(draw(_PATH))}" + ("" if query is None else "?" + "&".join(query))
    fields = [("content-type", draw(_CONTENT_TYPE)), ("content-digest", DIGEST), ("host", "ignored.test")]
    signature_input = _signature_input(covered, params)
    base = _signature_base("POST", url, fields, tuple(covered), dict(params))
    return "POST", url, _request(url, fields, signature_input, KEY.sign(base)), keyid


@settings(max_examples=300, deadline=None)
@given(_signed_requests())
def test_a_signature_over_the_servers_base_verifies_with_the_library(
    request_: tuple[str, str, list[tuple[str, str]], str],
) -> None:
    method, url, lines, keyid = request_
    assert _library_accepts(method, url, lines, keyid)
    assert _server_accepts(method, url, lines)


def _alter(lines: list[tuple[str, str]], name: str, change: Any) -> list[tuple[str, str]]:
    return [(n, change(v) if n == name else v) for n, v in lines]


_ALTERATIONS = {
    "content type": lambda method, url, lines: (method, url, _alter(lines, "content-type", lambda v: v + "x")),
    "content digest": lambda method, url, lines: (
        method,
        url,
        _alter(lines, "content-digest", lambda _: "sha-256=:" + base64.b64encode(b"\1" * 32).decode() + ":"),
    ),
    "method": lambda method, url, lines: ("PUT", url, lines),
    "target path": lambda method, url, lines: (method, url + "x", lines),
    "target query": lambda method, url, lines: (method, url + ("&" if "?" in url else "?") + "z=1", lines),
    "created": lambda method, url, lines: (
        method,
        url,
        _alter(lines, "signature-input", lambda v: v.replace(f"created={CREATED}", f"created={CREATED + 1}")),
    ),
    "nonce": lambda method, url, lines: (
        method,
        url,
        _alter(lines, "signature-input", lambda v: v.replace(NONCE, NONCE[::-1])),
    ),
    "alg as a token": lambda method, url, lines: (
        method,
        url,
        _alter(lines, "signature-input", lambda v: v.replace('alg="ed25519"', "alg=ed25519")),
    ),
    "nothing": lambda method, url, lines: (method, url, lines),
}


@pytest.mark.parametrize("alteration", sorted(_ALTERATIONS))
@settings(max_examples=25, deadline=None)
@given(_signed_requests())
def test_the_server_and_the_library_agree_on_altered_requests(
    alteration: str, request_: tuple[str, str, list[tuple[str, str]], str]
) -> None:
    method, url, lines, keyid = request_
    method, url, lines = _ALTERATIONS[alteration](method, url, lines)
    library = _library_accepts(method, url, lines, keyid)
    assert _server_accepts(method, url, lines) == library
    signature_input = dict(lines)["signature-input"]
    assert library == (alteration == "nothing" or (alteration == "alg as a token" and "alg=" not in signature_input))
