"""RFC 9421 request signatures: round trip through an app, named failure cases, the RFC's ed25519 example."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from fastapi import FastAPI, Request
from http_message_signatures import HTTPMessageSigner, HTTPMessageVerifier, MappingKeyResolver, algorithms

from node_core.body import read_limited_body
from node_core.http_signatures import (
    COVERED_WITH_BODY,
    COVERED_WITHOUT_BODY,
    LABEL,
    ReplayError,
    RequestSignatureError,
    RequestSigner,
    new_nonce,
    sign_request,
    target_uri,
    target_uri_from_scope,
    verify_request,
)
from node_core.nonces import MemoryNonceStore
from node_core.problems import install_problem_handlers
from schemas.codes import Code
from schemas.errors import VerificationError

KEYID = "did:web:pilot.example:ru-exp-01#key-1"
URL = "http://port.test:8101/v1/submissions?dry=1"
NOW = 1_900_000_000.0
VECTOR = json.loads((Path(__file__).parent / "vectors" / "rfc9421-b26-ed25519.json").read_text())

CLIENT_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))


@dataclass(frozen=True)
class FakeResolvedKey:
    participant_id: str
    did: str
    role: str
    public_key: Ed25519PublicKey


class FakeKeyResolver:
    """Stands in for ``schemas.trust`` in these tests: one known key, purpose ``authentication``."""

    def __init__(self, keys: dict[str, Ed25519PublicKey]) -> None:
        self.keys = keys

    def resolve_key(self, verification_method: str, purpose: str, at: datetime) -> FakeResolvedKey:
        if verification_method not in self.keys or purpose != "authentication":
            raise VerificationError.single(Code.ISSUER_UNKNOWN, "", f"unknown key {verification_method}")
        did = verification_method.split("#")[0]
        return FakeResolvedKey(did.rsplit(":", 1)[1], did, "exporter", self.keys[verification_method])

    def for_time(self, now: float) -> Callable[[str], FakeResolvedKey]:
        return lambda keyid: self.resolve_key(keyid, "authentication", datetime.fromtimestamp(now, UTC))


RESOLVER = FakeKeyResolver({KEYID: CLIENT_KEY.public_key()})


def signed(body: bytes | None = b'{"a": 1}', *, now: float = NOW, key: Ed25519PrivateKey = CLIENT_KEY) -> httpx.Request:
    headers = {"Content-Type": "application/json"} if body else {}
    request = httpx.Request("POST" if body else "GET", URL, content=body, headers=headers)
    sign_request(request, key, KEYID, now=now)
    return request


def custom_signed(
    *,
    covered: tuple[str, ...] = COVERED_WITH_BODY,
    nonce: str | None = None,
    alg_id: str = "ed25519",
    label: str = LABEL,
    include_alg: bool = True,
) -> httpx.Request:
    """A request signed through the library directly, to make signatures the profile must refuse."""

    class Algorithm(algorithms.ED25519):
        algorithm_id = alg_id

    request = httpx.Request("POST", URL, content=b'{"a": 1}', headers={"Content-Type": "application/json"})
    signer = HTTPMessageSigner(
        signature_algorithm=Algorithm,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEYID: CLIENT_KEY}),
    )
    signer.sign(
        request,
        key_id=KEYID,
        created=datetime.fromtimestamp(NOW, UTC),
        nonce=nonce if nonce is not None else new_nonce(),
        label=label,
        include_alg=include_alg,
        covered_component_ids=covered,
        body=request.content if "content-digest" in covered else None,
    )
    return request


def verify(
    request: httpx.Request,
    *,
    now: float = NOW,
    store: MemoryNonceStore | None = None,
    body: bytes | None = None,
) -> Any:
    return verify_request(
        request.method,
        URL,
        request.headers,
        request.content if body is None else body,
        resolve_key=RESOLVER.for_time(now),
        nonce_store=store if store is not None else MemoryNonceStore(),
        now=now,
    )


# --- the good path -----------------------------------------------------------------------------------


def test_signed_post_and_get_verify() -> None:
    post = verify(signed())
    assert post.keyid == KEYID and post.participant_id == "ru-exp-01"
    assert set(post.covered) == set(COVERED_WITH_BODY)
    get = verify(signed(None))
    assert set(get.covered) == set(COVERED_WITHOUT_BODY)


def test_wire_format_of_the_profile() -> None:
    request = signed()
    assert request.headers["content-digest"].startswith("sha-256=:")
    sig_input = request.headers["signature-input"]
    assert sig_input.startswith('sig1=("@method" "@target-uri" "content-digest" "content-type");created=')
    assert f'keyid="{KEYID}"' in sig_input and 'alg="ed25519"' in sig_input
    nonce = sig_input.split('nonce="')[1].split('"')[0]
    assert len(base64.urlsafe_b64decode(nonce + "==")) == 16 and "=" not in nonce


def test_created_exactly_at_the_skew_limit_is_accepted() -> None:
    verify(signed(now=NOW - 300))
    verify(signed(now=NOW + 300))


def test_resigning_replaces_the_signature_with_a_fresh_nonce() -> None:
    request = signed()
    first = request.headers["signature-input"]
    sign_request(request, CLIENT_KEY, KEYID, now=NOW)
    assert request.headers["signature-input"] != first
    assert len(request.headers.get_list("signature")) == 1
    verify(request)


def test_failed_signature_does_not_burn_the_nonce() -> None:
    store = MemoryNonceStore()
    nonce = new_nonce()
    forged = custom_signed(nonce=nonce)
    forged.headers["content-type"] = "text/plain"  # breaks the signature, keeps the nonce
    with pytest.raises(RequestSignatureError):
        verify(forged, store=store)
    verify(custom_signed(nonce=nonce), store=store)


def test_target_uri_is_rebuilt_from_the_scope() -> None:
    scope = {
        "type": "http",
        "scheme": "http",
        "headers": [(b"host", b"port.test:8101")],
        "raw_path": b"/v1/a%20b",
        "path": "/v1/a b",
        "query_string": b"x=1",
    }
    assert target_uri_from_scope(scope) == "http://port.test:8101/v1/a%20b?x=1"
    assert target_uri("HTTP", "h", "") == "http://h/"


# --- named failures ----------------------------------------------------------------------------------


def _unsigned() -> tuple[httpx.Request, dict[str, Any]]:
    return httpx.Request("POST", URL, content=b"{}", headers={"Content-Type": "application/json"}), {}


def _wrong_key() -> tuple[httpx.Request, dict[str, Any]]:
    return signed(key=OTHER_KEY), {}


def _body_changed() -> tuple[httpx.Request, dict[str, Any]]:
    return signed(b'{"a": 1}'), {"body": b'{"a": 2}'}


def _no_content_type() -> tuple[httpx.Request, dict[str, Any]]:
    return custom_signed(covered=("@method", "@target-uri", "content-digest")), {}


def _old() -> tuple[httpx.Request, dict[str, Any]]:
    return signed(now=NOW - 301), {}


def _future() -> tuple[httpx.Request, dict[str, Any]]:
    return signed(now=NOW + 301), {}


def _short_nonce() -> tuple[httpx.Request, dict[str, Any]]:
    short = base64.urlsafe_b64encode(bytes(15)).rstrip(b"=").decode()
    return custom_signed(nonce=short), {}


def _unknown_keyid() -> tuple[httpx.Request, dict[str, Any]]:
    request = httpx.Request("POST", URL, content=b"{}", headers={"Content-Type": "application/json"})
    sign_request(request, CLIENT_KEY, "did:web:pilot.example:nobody#key-1", now=NOW)
    return request, {}


def _alg_mismatch() -> tuple[httpx.Request, dict[str, Any]]:
    return custom_signed(alg_id="rsa-pss-sha512"), {}


def _other_label() -> tuple[httpx.Request, dict[str, Any]]:
    return custom_signed(label="sig2"), {}


def _two_signatures() -> tuple[httpx.Request, dict[str, Any]]:
    request = signed()
    request.headers["signature-input"] += ", " + request.headers["signature-input"].replace("sig1=", "sig2=", 1)
    request.headers["signature"] += ", " + request.headers["signature"].replace("sig1=", "sig2=", 1)
    return request, {}


def _extra_component() -> tuple[httpx.Request, dict[str, Any]]:
    return custom_signed(covered=(*COVERED_WITH_BODY, "content-length")), {}


def _other_host() -> tuple[httpx.Request, dict[str, Any]]:
    request = signed()
    return request, {"url": "http://elsewhere.test:8101/v1/submissions?dry=1"}


def _no_nonce() -> tuple[httpx.Request, dict[str, Any]]:
    request = signed()
    text = request.headers["signature-input"]
    request.headers["signature-input"] = text.split(';nonce="')[0]
    return request, {}


FAILURES: dict[str, tuple[Callable[[], tuple[httpx.Request, dict[str, Any]]], Code]] = {
    "no signature": (_unsigned, Code.REQUEST_SIGNATURE_INVALID),
    "wrong key": (_wrong_key, Code.REQUEST_SIGNATURE_INVALID),
    "body changed after signing (digest mismatch)": (_body_changed, Code.REQUEST_SIGNATURE_INVALID),
    "covered set missing content-type": (_no_content_type, Code.REQUEST_SIGNATURE_INVALID),
    "covered set with an extra component": (_extra_component, Code.REQUEST_SIGNATURE_INVALID),
    "created 301 s old": (_old, Code.REQUEST_SIGNATURE_INVALID),
    "created 301 s in the future": (_future, Code.REQUEST_SIGNATURE_INVALID),
    "nonce of 120 bits": (_short_nonce, Code.REQUEST_SIGNATURE_INVALID),
    "no nonce": (_no_nonce, Code.REQUEST_SIGNATURE_INVALID),
    "unknown keyid": (_unknown_keyid, Code.REQUEST_SIGNATURE_INVALID),
    "alg is not ed25519": (_alg_mismatch, Code.REQUEST_SIGNATURE_INVALID),
    "label is not sig1": (_other_label, Code.REQUEST_SIGNATURE_INVALID),
    "two signatures": (_two_signatures, Code.REQUEST_SIGNATURE_INVALID),
    "target URI of another host": (_other_host, Code.REQUEST_SIGNATURE_INVALID),
}


@pytest.mark.parametrize("case", list(FAILURES), ids=list(FAILURES))
def test_refused(case: str) -> None:
    make, code = FAILURES[case]
    request, overrides = make()
    with pytest.raises(RequestSignatureError) as info:
        verify_request(
            request.method,
            overrides.get("url", URL),
            request.headers,
            overrides.get("body", request.content),
            resolve_key=RESOLVER.for_time(NOW),
            nonce_store=MemoryNonceStore(),
            now=NOW,
        )
    assert info.value.code == code
    assert info.value.status == 401
    assert not isinstance(info.value, ReplayError)


def test_replayed_nonce() -> None:
    store = MemoryNonceStore()
    request = signed()
    verify(request, store=store)
    with pytest.raises(ReplayError) as info:
        verify(request, store=store, now=NOW + 10)
    assert info.value.code == Code.REQUEST_REPLAYED and info.value.status == 401


def test_nonce_may_be_reused_after_its_lifetime() -> None:
    store = MemoryNonceStore(ttl_s=600)
    request = signed()
    verify(request, store=store)
    # Outside the created window anyway, so only the store is exercised here.
    assert store.remember(KEYID, "n" * 22, NOW)
    assert not store.remember(KEYID, "n" * 22, NOW + 599)
    assert store.remember(KEYID, "n" * 22, NOW + 600)


def test_body_without_content_type_cannot_be_signed() -> None:
    request = httpx.Request("POST", URL, content=b"{}")
    with pytest.raises(ValueError, match="Content-Type"):
        sign_request(request, CLIENT_KEY, KEYID)


# --- through an application --------------------------------------------------------------------------


def make_app(store: MemoryNonceStore) -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.api_route("/v1/echo", methods=["GET", "POST"])
    async def echo(request: Request) -> dict[str, Any]:
        body = await read_limited_body(request, 1024)
        now = time.time()
        verified = verify_request(
            request.method,
            target_uri_from_scope(request),
            request.headers,
            body,
            resolve_key=RESOLVER.for_time(now),
            nonce_store=store,
            now=now,
        )
        return {"keyid": verified.keyid, "participant": verified.participant_id, "bytes": len(body)}

    return app


def test_round_trip_through_an_app_with_retries_signed_afresh() -> None:
    store = MemoryNonceStore()
    app = make_app(store)

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://port.test:8101", auth=RequestSigner(CLIENT_KEY, KEYID)
        ) as client:
            first = await client.post("/v1/echo?x=1", json={"hello": "world"})
            again = await client.post("/v1/echo?x=1", json={"hello": "world"})  # a retry: new nonce
            get = await client.get("/v1/echo")
            replay = client.build_request("POST", "/v1/echo", json={"a": 1})
            sign_request(replay, CLIENT_KEY, KEYID)
            once = await client.send(replay, auth=None)
            twice = await client.send(replay, auth=None)
            async with httpx.AsyncClient(transport=transport, base_url="http://port.test:8101") as plain:
                unsigned = await plain.post("/v1/echo", json={"a": 1})
            return [first, again, get, once, twice, unsigned]

    first, again, get, once, twice, unsigned = asyncio.run(run())
    assert first.status_code == 200, first.text
    assert first.json() == {"keyid": KEYID, "participant": "ru-exp-01", "bytes": 17}
    assert again.status_code == 200 and get.status_code == 200 and once.status_code == 200
    assert twice.status_code == 401 and twice.json()["code"] == "REQUEST_REPLAYED"
    assert twice.headers["content-type"] == "application/problem+json"
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "REQUEST_SIGNATURE_INVALID"


# --- RFC 9421 Appendix B.2.6 -------------------------------------------------------------------------


def _vector_request() -> httpx.Request:
    request = VECTOR["request"]
    return httpx.Request(
        request["method"], request["url"], headers=request["headers"], content=request["body"].encode()
    )


def test_rfc9421_b26_signature_base_and_signature() -> None:
    private = load_pem_private_key(VECTOR["private_key_pem"].encode(), None)
    assert isinstance(private, Ed25519PrivateKey)
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={VECTOR["keyid"]: private}),
    )
    request = _vector_request()
    prepared = signer.prepare(
        request,
        key_id=VECTOR["keyid"],
        created=datetime.fromtimestamp(VECTOR["created"], UTC),
        label=VECTOR["label"],
        include_alg=False,
        covered_component_ids=VECTOR["covered"],
    )
    assert prepared.signature_base.decode() == VECTOR["signature_base"]
    signer.apply(request, prepared, private.sign(prepared.signature_base))
    assert request.headers["signature-input"] == VECTOR["signature_input"]
    assert request.headers["signature"] == VECTOR["signature"]  # Ed25519 is deterministic


def test_rfc9421_b26_published_signature_verifies() -> None:
    public = load_pem_public_key(VECTOR["public_key_pem"].encode())
    assert isinstance(public, Ed25519PublicKey)
    request = _vector_request()
    request.headers["Signature-Input"] = VECTOR["signature_input"]
    request.headers["Signature"] = VECTOR["signature"]

    class NoClock(HTTPMessageVerifier):
        def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
            return None

    verifier = NoClock(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={VECTOR["keyid"]: public}, private_keys={}),
    )
    [result] = verifier.verify(request, max_age=None)
    assert result.label == "sig-b26"
