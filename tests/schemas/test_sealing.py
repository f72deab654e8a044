"""Sealed credentials (docs/design.md §4): round trip, the profile enforced from the header, tampering, plaintext.

Foreign JWEs (another alg or enc, ``zip``, a key in the header...) are made here with joserfc directly or by
rewriting the protected header, as a careless or hostile sender would. "Refused before any decryption" is
shown by a key store that records every lookup: without a key, nothing can be decrypted.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jwe
from joserfc.jwk import OctKey, OKPKey, RSAKey

from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.errors import KeyFormatError, VerificationError
from schemas.jose import is_enveloped, sign_enveloped
from schemas.keys import key_from_seed, x25519_key_from_seed
from schemas.sealing import (
    ALG,
    CTY,
    ENC,
    SEALED_DATA_URL_PREFIX,
    TYP,
    OpenedCredential,
    is_sealed,
    open_sealed,
    open_sealed_credential,
    read_sealed,
    seal,
    sealed_credential,
)
from tests.support.files import vector

PORT_KEY = x25519_key_from_seed(b"sealing tests/cn-port-03/keyAgreement-1")
KID = "did:web:pilot.example:cn-port-03#key-agreement-1"
OTHER_KEY = x25519_key_from_seed(b"sealing tests/another port")
OTHER_KID = "did:web:pilot.example:cn-port-01#key-agreement-1"
KEYS = {KID: PORT_KEY}
#: A signed conformity credential (embedded eddsa-jcs-2022 proof) and a signed VC-JOSE-COSE envelope.
SIGNED = json.loads(vector("valid/credential-conformity-credential.json").read_text())
ENVELOPED = json.loads(vector("valid/credential-facility-record-jose.json").read_text())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class RecordingKeys(Mapping[str, X25519PrivateKey]):
    """A port's key store that records every key looked up: no lookup, no decryption."""

    def __init__(self, keys: Mapping[str, X25519PrivateKey]) -> None:
        self._keys = dict(keys)
        self.looked_up: list[str] = []

    def __getitem__(self, kid: str) -> X25519PrivateKey:
        self.looked_up.append(kid)
        return self._keys[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)


def _refused(token: str, keys: Mapping[str, X25519PrivateKey] = KEYS) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        open_sealed(token, keys)
    return info.value


def _foreign(
    header: dict[str, Any],
    plaintext: bytes,
    key: Any = None,
    algorithms: list[str] | None = None,
) -> str:
    """A JWE made with joserfc directly, as another sender would (not through ``seal``)."""
    key = key if key is not None else OKPKey.import_key(PORT_KEY.public_key())
    registry = jwe.JWERegistry(algorithms=algorithms or [header["alg"], header["enc"]], strict_check_header=False)
    return jwe.encrypt_compact(header, plaintext, key, registry=registry)


def _with_header(token: str, header: dict[str, Any] | bytes) -> str:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return ".".join([_b64(raw), *token.split(".")[1:]])


def _header_of(token: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(_unb64(token.split(".")[0]))
    return header


def _flip(token: str, index: int) -> str:
    parts = token.split(".")
    data = bytearray(_unb64(parts[index]))
    data[0] ^= 0x01
    parts[index] = _b64(bytes(data))
    return ".".join(parts)


# -- Round trip -------------------------------------------------------------------------------------


@pytest.mark.parametrize("credential", [SIGNED, ENVELOPED], ids=["embedded-proof", "enveloped-jws"])
def test_round_trip_keeps_the_credential_and_its_digest(credential: dict[str, Any]) -> None:
    token = seal(credential, PORT_KEY.public_key(), KID)
    opened = open_sealed(token, KEYS)
    assert isinstance(opened, OpenedCredential)
    assert opened.credential == credential
    assert opened.digest == credential_digest(credential)
    assert opened.kid == KID and opened.token == token
    assert {name: opened.header[name] for name in ("alg", "enc", "kid", "typ", "cty")} == {
        "alg": ALG,
        "enc": ENC,
        "kid": KID,
        "typ": TYP,
        "cty": CTY,
    }
    # The plaintext is the RFC 8785 bytes of the signed credential, proof included: nothing re-signed.
    plain = jwe.decrypt_compact(token, OKPKey.import_key(PORT_KEY), algorithms=[ALG, ENC]).plaintext
    assert plain == canonicalize(credential)


def test_each_seal_is_fresh_and_all_open_to_the_same_credential() -> None:
    first, second = (seal(SIGNED, PORT_KEY.public_key(), KID) for _ in range(2))
    assert first != second
    assert _header_of(first)["epk"] != _header_of(second)["epk"]
    assert open_sealed(first, KEYS).digest == open_sealed(second, KEYS).digest == credential_digest(SIGNED)


def test_a_port_with_several_keys_opens_with_the_one_kid_names() -> None:
    token = seal(SIGNED, OTHER_KEY.public_key(), OTHER_KID)
    keys = RecordingKeys({KID: PORT_KEY, OTHER_KID: OTHER_KEY})
    assert open_sealed(token, keys).kid == OTHER_KID
    assert keys.looked_up == [OTHER_KID]


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(max_size=20),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
            max_leaves=12,
        ),
        max_size=6,
    )
)
def test_any_json_object_round_trips_with_its_digest(credential: dict[str, Any]) -> None:
    opened = open_sealed(seal(credential, PORT_KEY.public_key(), KID), KEYS)
    assert opened.credential == credential
    assert opened.digest == credential_digest(credential)


# -- The JSON form ----------------------------------------------------------------------------------


def test_the_json_form_is_an_enveloped_credential_with_a_jose_data_url() -> None:
    token = seal(SIGNED, PORT_KEY.public_key(), KID)
    doc = sealed_credential(token)
    assert doc == {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "type": "EnvelopedVerifiableCredential",
        "id": SEALED_DATA_URL_PREFIX + token,
    }
    assert is_sealed(doc) and read_sealed(doc) == token
    assert open_sealed_credential(doc, KEYS).credential == SIGNED
    # A sealed credential is an enveloped one by type: readers must ask is_sealed first.
    assert is_enveloped(doc)


@pytest.mark.parametrize(
    "doc",
    [SIGNED, ENVELOPED, sign_enveloped(SIGNED, key_from_seed(b"sealing"), "did:x#k"), {"type": "X"}, [], "text"],
    ids=["embedded-proof", "enveloped-vector", "enveloped-jws", "other-type", "array", "string"],
)
def test_clear_credentials_are_not_sealed(doc: Any) -> None:
    assert not is_sealed(doc)


@pytest.mark.parametrize(
    ("name", "change", "path"),
    [
        ("extra-member", {"credentialSubject": {}}, ""),
        ("other-context", {"@context": ["https://example.org/other"]}, "/@context"),
        ("jws-data-url", {"id": "data:application/vc+jwt,a.b.c"}, "/id"),
        ("base64-data-url", {"id": "data:application/jose;base64,YQ"}, "/id"),
    ],
)
def test_read_sealed_refuses_a_bad_envelope(name: str, change: dict[str, Any], path: str) -> None:
    doc = {**sealed_credential(seal(SIGNED, PORT_KEY.public_key(), KID)), **change}
    with pytest.raises(VerificationError) as info:
        read_sealed(doc)
    assert info.value.code is Code.SEALED_INVALID
    assert info.value.problems[0].path == path


def test_reasons_of_the_json_form_point_at_its_id() -> None:
    doc = sealed_credential(seal(SIGNED, OTHER_KEY.public_key(), OTHER_KID))
    with pytest.raises(VerificationError) as info:
        open_sealed_credential(doc, KEYS)
    assert info.value.code is Code.SEALED_KEY_UNKNOWN
    assert info.value.problems[0].path == "/id"


# -- Keys -------------------------------------------------------------------------------------------


def test_sealed_to_another_key_under_this_kid_does_not_open() -> None:
    token = seal(SIGNED, OTHER_KEY.public_key(), KID)
    keys = RecordingKeys(KEYS)
    assert _refused(token, keys).code is Code.SEALED_INVALID
    assert keys.looked_up == [KID]  # refused by the cryptography, not before it


def test_an_unknown_kid_is_its_own_code_and_is_not_quoted() -> None:
    kid = "did:web:pilot.example:cn-port-01#SECRET-LOOKING-KID"
    error = _refused(seal(SIGNED, OTHER_KEY.public_key(), kid))
    assert error.code is Code.SEALED_KEY_UNKNOWN
    assert "SECRET-LOOKING-KID" not in str(error)


def test_seal_refuses_a_key_that_is_not_x25519() -> None:
    with pytest.raises(KeyFormatError):
        seal(SIGNED, key_from_seed(b"an Ed25519 key").public_key(), KID)  # type: ignore[arg-type]


def test_seal_refuses_a_low_order_key() -> None:
    with pytest.raises(KeyFormatError):
        seal(SIGNED, X25519PublicKey.from_public_bytes(bytes(32)), KID)


@pytest.mark.parametrize("kid", ["", None, 7])
def test_seal_refuses_a_kid_that_is_not_a_non_empty_string(kid: Any) -> None:
    with pytest.raises(VerificationError) as info:
        seal(SIGNED, PORT_KEY.public_key(), kid)
    assert info.value.code is Code.SEALED_INVALID


def test_seal_refuses_a_sealed_credential() -> None:
    sealed = sealed_credential(seal(SIGNED, PORT_KEY.public_key(), KID))
    with pytest.raises(VerificationError) as info:
        seal(sealed, PORT_KEY.public_key(), KID)
    assert info.value.code is Code.SEALED_INVALID


def test_a_key_store_holding_another_kind_of_key_is_a_key_error() -> None:
    token = seal(SIGNED, PORT_KEY.public_key(), KID)
    with pytest.raises(KeyFormatError):
        open_sealed(token, {KID: key_from_seed(b"an Ed25519 key")})  # type: ignore[dict-item]


# -- Tampering: each part is authenticated -------------------------------------------------------


def _truncated_ciphertext(token: str) -> str:
    parts = token.split(".")
    parts[3] = parts[3][:-4]
    return ".".join(parts)


def _reordered_header(token: str) -> str:
    """The same header members in another order: a valid header whose bytes, the AAD, differ."""
    header = _header_of(token)
    return _with_header(token, dict(reversed(list(header.items()))))


@pytest.mark.parametrize(
    ("name", "tamper"),
    [
        ("protected-header", _reordered_header),
        ("encrypted-key", lambda token: _flip(token, 1)),
        ("initialization-vector", lambda token: _flip(token, 2)),
        ("ciphertext", lambda token: _flip(token, 3)),
        ("authentication-tag", lambda token: _flip(token, 4)),
        ("ciphertext-truncated", _truncated_ciphertext),
    ],
)
def test_tampered_parts_do_not_open(name: str, tamper: Any) -> None:
    tampered = tamper(seal(SIGNED, PORT_KEY.public_key(), KID))
    keys = RecordingKeys(KEYS)
    error = _refused(tampered, keys)
    assert error.code is Code.SEALED_INVALID
    assert keys.looked_up == [KID]


# -- The profile, enforced from the header before any key is looked up --------------------------


def _ours(**header: Any) -> dict[str, Any]:
    return {"alg": ALG, "enc": ENC, "kid": KID, "typ": TYP, "cty": CTY, **header}


def _rewritten(**changes: Any) -> str:
    """A sealed credential whose protected header is rewritten: members set, or removed when None."""
    token = seal(SIGNED, PORT_KEY.public_key(), KID)
    header = _header_of(token)
    for name, value in changes.items():
        if value is None:
            header.pop(name, None)
        else:
            header[name] = value
    return _with_header(token, header)


_PLAIN = canonicalize(SIGNED)
_EPK = _header_of(seal(SIGNED, PORT_KEY.public_key(), KID))["epk"]

BEFORE_DECRYPTION: dict[str, tuple[Callable[[], str], Code]] = {
    # Another key management or content encryption algorithm, made by a real JOSE library.
    "alg-RSA-OAEP": (
        lambda: _foreign(_ours(alg="RSA-OAEP"), _PLAIN, RSAKey.generate_key(2048)),
        Code.SEALED_ALGORITHM_UNSUPPORTED,
    ),
    "alg-dir": (
        lambda: _foreign(_ours(alg="dir"), _PLAIN, OctKey.generate_key(256)),
        Code.SEALED_ALGORITHM_UNSUPPORTED,
    ),
    "alg-ECDH-ES-direct": (lambda: _foreign(_ours(alg="ECDH-ES"), _PLAIN), Code.SEALED_ALGORITHM_UNSUPPORTED),
    "alg-ECDH-ES+A128KW": (lambda: _foreign(_ours(alg="ECDH-ES+A128KW"), _PLAIN), Code.SEALED_ALGORITHM_UNSUPPORTED),
    "enc-A128GCM": (lambda: _foreign(_ours(enc="A128GCM"), _PLAIN), Code.SEALED_ALGORITHM_UNSUPPORTED),
    "enc-A256CBC-HS512": (lambda: _foreign(_ours(enc="A256CBC-HS512"), _PLAIN), Code.SEALED_ALGORITHM_UNSUPPORTED),
    "no-alg": (lambda: _rewritten(alg=None), Code.SEALED_ALGORITHM_UNSUPPORTED),
    "alg-none": (lambda: _rewritten(alg="none"), Code.SEALED_ALGORITHM_UNSUPPORTED),
    "zip-DEF": (lambda: _foreign(_ours(zip="DEF"), _PLAIN, algorithms=[ALG, ENC, "DEF"]), Code.SEALED_INVALID),
    # A key, or where to fetch one, in the header: the key is chosen by kid alone.
    "jwk": (lambda: _rewritten(jwk=_EPK), Code.SEALED_INVALID),
    "jku": (lambda: _rewritten(jku="https://attacker.example/keys.json"), Code.SEALED_INVALID),
    "x5u": (lambda: _rewritten(x5u="https://attacker.example/cert.pem"), Code.SEALED_INVALID),
    "x5c": (lambda: _rewritten(x5c=["MIIB"]), Code.SEALED_INVALID),
    "crit": (lambda: _rewritten(crit=["exp"], exp=1), Code.SEALED_INVALID),
    "unknown-parameter": (lambda: _rewritten(note="hello"), Code.SEALED_INVALID),
    "no-kid": (lambda: _rewritten(kid=None), Code.SEALED_INVALID),
    "empty-kid": (lambda: _rewritten(kid=""), Code.SEALED_INVALID),
    "kid-not-a-string": (lambda: _rewritten(kid=["a"]), Code.SEALED_INVALID),
    "typ-vc+jwt": (lambda: _rewritten(typ="vc+jwt"), Code.SEALED_INVALID),
    "cty-JWT": (lambda: _rewritten(cty="JWT"), Code.SEALED_INVALID),
    "epk-with-private-part": (lambda: _rewritten(epk={**_EPK, "d": _b64(bytes(32))}), Code.SEALED_INVALID),
    "epk-P-256": (lambda: _rewritten(epk={"kty": "EC", "crv": "P-256", "x": _EPK["x"]}), Code.SEALED_INVALID),
    "epk-short": (lambda: _rewritten(epk={**_EPK, "x": _b64(bytes(31))}), Code.SEALED_INVALID),
    "no-epk": (lambda: _rewritten(epk=None), Code.SEALED_INVALID),
    # Not a compact JWE of the profile at all.
    "header-not-json": (lambda: _with_header(seal(SIGNED, PORT_KEY.public_key(), KID), b"{alg"), Code.SEALED_INVALID),
    "header-duplicate-member": (
        lambda: _with_header(
            seal(SIGNED, PORT_KEY.public_key(), KID),
            json.dumps(_ours(epk=_EPK)).encode()[:-1] + b', "alg": "dir"}',
        ),
        Code.SEALED_INVALID,
    ),
    "header-an-array": (lambda: _with_header(seal(SIGNED, PORT_KEY.public_key(), KID), b"[]"), Code.SEALED_INVALID),
    "four-parts": (lambda: seal(SIGNED, PORT_KEY.public_key(), KID).rsplit(".", 1)[0], Code.SEALED_INVALID),
    "a-jws": (lambda: sign_enveloped(SIGNED, key_from_seed(b"s"), "k")["id"].split(",", 1)[1], Code.SEALED_INVALID),
    "padded-base64": (lambda: seal(SIGNED, PORT_KEY.public_key(), KID) + "=", Code.SEALED_INVALID),
    "not-ascii": (lambda: seal(SIGNED, PORT_KEY.public_key(), KID) + "é", Code.SEALED_INVALID),
    "iv-too-short": (
        lambda: ".".join(
            part if index != 2 else _b64(bytes(8))
            for index, part in enumerate(seal(SIGNED, PORT_KEY.public_key(), KID).split("."))
        ),
        Code.SEALED_INVALID,
    ),
    "no-encrypted-key": (
        lambda: ".".join(
            part if index != 1 else "" for index, part in enumerate(seal(SIGNED, PORT_KEY.public_key(), KID).split("."))
        ),
        Code.SEALED_INVALID,
    ),
}


@pytest.mark.parametrize("name", sorted(BEFORE_DECRYPTION))
def test_outside_the_profile_is_refused_before_any_key_is_looked_up(name: str) -> None:
    build, code = BEFORE_DECRYPTION[name]
    keys = RecordingKeys(KEYS)
    error = _refused(build(), keys)
    assert error.code is code, error
    assert keys.looked_up == []


def test_a_token_that_is_not_a_string_is_refused() -> None:
    assert _refused(b"a.b.c.d.e").code is Code.SEALED_INVALID  # type: ignore[arg-type]


def test_a_low_order_ephemeral_key_is_refused_without_a_foreign_exception() -> None:
    assert _refused(_rewritten(epk={**_EPK, "x": _b64(bytes(32))})).code is Code.SEALED_INVALID


# -- The plaintext ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "plaintext"),
    [
        ("duplicate-member", b'{"a": 1, "a": 2}'),
        ("nan", b'{"a": NaN}'),
        ("huge-integer", b'{"a": 9007199254740993}'),
        ("invalid-utf8", b'{"a": "\xff"}'),
        ("trailing-data", canonicalize(SIGNED) + b" {}"),
        ("empty", b""),
        ("an-array", b"[1]"),
        ("a-string", b'"credential"'),
        ("sealed-again", canonicalize(sealed_credential(seal(SIGNED, PORT_KEY.public_key(), KID)))),
    ],
)
def test_a_plaintext_that_is_not_one_strict_json_credential_is_refused(name: str, plaintext: bytes) -> None:
    token = _foreign(_ours(), plaintext)
    keys = RecordingKeys(KEYS)
    error = _refused(token, keys)
    assert error.code is Code.SEALED_INVALID
    assert keys.looked_up == [KID]  # it did decrypt: the refusal is about the plaintext


def test_a_foreign_sealer_without_typ_and_cty_still_opens() -> None:
    token = _foreign({"alg": ALG, "enc": ENC, "kid": KID}, canonicalize(SIGNED))
    assert open_sealed(token, KEYS).credential == SIGNED
