"""VC-JOSE-COSE enveloped credentials: round trip, header, alg names, tampering and malformed JWS."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.jose import (
    ENVELOPED_TYPE,
    EnvelopedCredential,
    is_enveloped,
    read_enveloped,
    sign_enveloped,
    verify_enveloped,
)
from schemas.keys import key_from_seed

KEY = key_from_seed(b"jose")
KID = "did:web:exporter.example#key-1"
CREDENTIAL = {
    "@context": ["https://www.w3.org/ns/credentials/v2"],
    "type": ["VerifiableCredential", "ExampleCredential"],  # proof mechanics only: no record type
    "issuer": "did:web:exporter.example",
    "credentialSubject": {"name": "Ferme du Soleil – Durian", "area": 12.5, "plots": [1, 2]},
}
PREFIX = "data:application/vc+jwt,"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jws(header: Any, payload: bytes, key: Ed25519PrivateKey = KEY, raw_header: bytes | None = None) -> str:
    head = _b64(raw_header if raw_header is not None else json.dumps(header).encode())
    body = _b64(payload)
    signature = key.sign(f"{head}.{body}".encode())
    return f"{head}.{body}.{_b64(signature)}"


def _envelope(token: str) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/credentials/v2", "type": ENVELOPED_TYPE, "id": PREFIX + token}


def test_sign_and_verify_round_trip() -> None:
    enveloped = sign_enveloped(CREDENTIAL, KEY, KID)
    assert set(enveloped) == {"@context", "type", "id"}
    assert enveloped["@context"] == "https://www.w3.org/ns/credentials/v2"
    assert is_enveloped(enveloped) and not is_enveloped(CREDENTIAL)
    result = verify_enveloped(enveloped, KEY.public_key())
    assert isinstance(result, EnvelopedCredential)
    assert result.header == {"alg": "EdDSA", "kid": KID, "typ": "vc+jwt", "cty": "vc"}
    assert result.kid == KID and result.alg == "EdDSA"
    assert result.payload == CREDENTIAL
    assert PREFIX + result.jws == enveloped["id"]


def test_payload_is_the_credential_json_itself() -> None:
    token = sign_enveloped(CREDENTIAL, KEY, KID)["id"].removeprefix(PREFIX)
    payload = base64.urlsafe_b64decode(token.split(".")[1] + "==")
    assert json.loads(payload) == CREDENTIAL
    assert "Ferme du Soleil – Durian".encode() in payload  # UTF-8, not \\u escapes


def test_ed25519_alg_name_is_accepted() -> None:
    token = _jws({"alg": "Ed25519", "kid": KID, "typ": "vc+jwt", "cty": "vc"}, json.dumps(CREDENTIAL).encode())
    result = verify_enveloped(_envelope(token), KEY.public_key())
    assert result.alg == "Ed25519" and result.payload == CREDENTIAL


def test_wrong_key_is_proof_invalid() -> None:
    with pytest.raises(VerificationError) as info:
        verify_enveloped(sign_enveloped(CREDENTIAL, KEY, KID), key_from_seed(b"other").public_key())
    assert info.value.code is Code.PROOF_INVALID
    assert info.value.problems[0].path == "/id"


def test_tampered_payload_is_proof_invalid() -> None:
    head, _, signature = sign_enveloped(CREDENTIAL, KEY, KID)["id"].removeprefix(PREFIX).split(".")
    forged = {**CREDENTIAL, "issuer": "did:web:attacker.example"}
    token = f"{head}.{_b64(json.dumps(forged).encode())}.{signature}"
    with pytest.raises(VerificationError) as info:
        verify_enveloped(_envelope(token), KEY.public_key())
    assert info.value.code is Code.PROOF_INVALID


def test_every_flipped_signature_character_is_proof_invalid() -> None:
    token = sign_enveloped(CREDENTIAL, KEY, KID)["id"].removeprefix(PREFIX)
    head, body, signature = token.split(".")
    for position in range(len(signature) - 1):  # the last character carries padding bits too
        char = "A" if signature[position] != "A" else "B"
        changed = signature[:position] + char + signature[position + 1 :]
        with pytest.raises(VerificationError) as info:
            verify_enveloped(_envelope(f"{head}.{body}.{changed}"), KEY.public_key())
        assert info.value.code is Code.PROOF_INVALID


def test_large_credential_beyond_joserfc_default_cap() -> None:
    big = {**CREDENTIAL, "blob": "x" * 300_000}
    assert verify_enveloped(sign_enveloped(big, KEY, KID), KEY.public_key()).payload == big


GOOD_HEADER = {"alg": "EdDSA", "kid": KID, "typ": "vc+jwt", "cty": "vc"}
PAYLOAD = json.dumps(CREDENTIAL).encode()

MALFORMED: list[tuple[str, dict[str, Any], Code, str]] = [
    (
        "not-enveloped-type",
        {**_envelope(_jws(GOOD_HEADER, PAYLOAD)), "type": "VerifiableCredential"},
        Code.SCHEMA_INVALID,
        "/type",
    ),
    (
        "missing-context",
        {k: v for k, v in _envelope(_jws(GOOD_HEADER, PAYLOAD)).items() if k != "@context"},
        Code.SCHEMA_INVALID,
        "/@context",
    ),
    (
        "missing-id",
        {"@context": "https://www.w3.org/ns/credentials/v2", "type": ENVELOPED_TYPE},
        Code.SCHEMA_INVALID,
        "/id",
    ),
    (
        "other-media-type",
        {**_envelope(""), "id": "data:application/vc+sd-jwt," + _jws(GOOD_HEADER, PAYLOAD)},
        Code.SCHEMA_INVALID,
        "/id",
    ),
    ("payload-not-json", _envelope(_jws(GOOD_HEADER, b"not json")), Code.SCHEMA_INVALID, "/id"),
    ("payload-duplicate-keys", _envelope(_jws(GOOD_HEADER, b'{"a":1,"a":2}')), Code.SCHEMA_INVALID, "/id"),
    ("payload-array", _envelope(_jws(GOOD_HEADER, b"[1]")), Code.SCHEMA_INVALID, "/id"),
    ("wrong-typ", _envelope(_jws({**GOOD_HEADER, "typ": "JWT"}, PAYLOAD)), Code.SCHEMA_INVALID, "/id"),
    ("alg-es256", _envelope(_jws({**GOOD_HEADER, "alg": "ES256"}, PAYLOAD)), Code.CRYPTOSUITE_UNSUPPORTED, "/id"),
    ("alg-none", _envelope(_jws({**GOOD_HEADER, "alg": "none"}, PAYLOAD)), Code.CRYPTOSUITE_UNSUPPORTED, "/id"),
    ("alg-hs256", _envelope(_jws({**GOOD_HEADER, "alg": "HS256"}, PAYLOAD)), Code.CRYPTOSUITE_UNSUPPORTED, "/id"),
    ("alg-missing", _envelope(_jws({"kid": KID}, PAYLOAD)), Code.CRYPTOSUITE_UNSUPPORTED, "/id"),
    ("kid-missing", _envelope(_jws({"alg": "EdDSA", "typ": "vc+jwt"}, PAYLOAD)), Code.PROOF_MISSING, "/id"),
    ("kid-not-string", _envelope(_jws({**GOOD_HEADER, "kid": 7}, PAYLOAD)), Code.PROOF_INVALID, "/id"),
    ("two-parts", _envelope("abc.def"), Code.PROOF_INVALID, "/id"),
    ("four-parts", _envelope(_jws(GOOD_HEADER, PAYLOAD) + ".x"), Code.PROOF_INVALID, "/id"),
    ("padded-base64", _envelope(_jws(GOOD_HEADER, PAYLOAD).replace(".", "=.", 1)), Code.PROOF_INVALID, "/id"),
    (
        "standard-base64-chars",
        _envelope("a+b/." + _jws(GOOD_HEADER, PAYLOAD).split(".", 1)[1]),
        Code.PROOF_INVALID,
        "/id",
    ),
    ("header-not-json", _envelope(_jws(None, PAYLOAD, raw_header=b"{alg")), Code.PROOF_INVALID, "/id"),
    ("header-not-object", _envelope(_jws(None, PAYLOAD, raw_header=b'["EdDSA"]')), Code.PROOF_INVALID, "/id"),
    (
        "header-duplicate-alg",
        _envelope(_jws(None, PAYLOAD, raw_header=b'{"alg":"EdDSA","alg":"none","kid":"k"}')),
        Code.PROOF_INVALID,
        "/id",
    ),
    (
        "crit-extension",
        _envelope(_jws({**GOOD_HEADER, "crit": ["b64"], "b64": False}, PAYLOAD)),
        Code.PROOF_INVALID,
        "/id",
    ),
    ("short-signature", _envelope(_jws(GOOD_HEADER, PAYLOAD).rsplit(".", 1)[0] + ".AAAA"), Code.PROOF_INVALID, "/id"),
]


@pytest.mark.parametrize(("name", "doc", "code", "path"), MALFORMED, ids=[case[0] for case in MALFORMED])
def test_malformed_envelopes(name: str, doc: dict[str, Any], code: Code, path: str) -> None:
    for function in (read_enveloped, lambda d: verify_enveloped(d, KEY.public_key())):
        with pytest.raises(VerificationError) as info:
            function(doc)
        assert info.value.code is code, str(info.value)
        assert info.value.problems[0].path == path
