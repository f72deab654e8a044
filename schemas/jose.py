"""VC-JOSE-COSE enveloped credentials: a compact JWS whose payload is the credential itself.

Securing Verifiable Credentials using JOSE and COSE (W3C Recommendation 2025) §3.1.1: the JWS payload
is the credential's JSON; the protected header has ``alg``, ``kid`` (the verificationMethod), ``typ``
``vc+jwt`` and ``cty`` ``vc``. VC Data Model 2.0 §4.13 (enveloped credentials): inside JSON it
travels as ``{"@context": ".../credentials/v2", "type": "EnvelopedVerifiableCredential",
"id": "data:application/vc+jwt,<JWS>"}``.

We emit ``alg`` ``EdDSA`` (RFC 8037 §3.1) and accept ``Ed25519`` too (RFC 9864 §2, which deprecates
the polymorphic ``EdDSA``); both mean Ed25519 here. joserfc signs and verifies; its own ``EdDSA``
algorithm warns on every use (RFC 9864) and its default registry caps payloads at 128 kB, so a private
registry holds one quiet Ed25519-only algorithm under both names. :func:`read_enveloped` parses the
JWS itself (RFC 7515 §7.1) so that every malformed part gets a precise code.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwa import JWSAlgModel
from joserfc.jwk import OKPKey

from schemas.codes import Code
from schemas.errors import JsonMalformedError, VerificationError
from schemas.jsonio import dumps_compact, parse_json
from schemas.keys import public_key_bytes

__all__ = [
    "ACCEPTED_ALGS",
    "ENVELOPED_TYPE",
    "JWS_DATA_URL_PREFIX",
    "EnvelopedCredential",
    "b64url",
    "b64url_decode",
    "credential_payload",
    "is_enveloped",
    "read_enveloped",
    "sign_enveloped",
    "verify_enveloped",
]

ENVELOPED_TYPE = "EnvelopedVerifiableCredential"
JWS_DATA_URL_PREFIX = "data:application/vc+jwt,"
_ENVELOPE_MEMBERS = frozenset({"@context", "type", "id"})
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
#: ``alg`` values accepted on verification; the first is the one emitted.
ACCEPTED_ALGS = ("EdDSA", "Ed25519")
_TYP = "vc+jwt"
_CTY = "vc"
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_SIGNATURE_LENGTH = 64


class _Ed25519Alg(JWSAlgModel):
    """Ed25519 (RFC 8032) for JWS, registered under a given ``alg`` name; refuses Ed448 keys."""

    key_type = "OKP"

    def __init__(self, name: str) -> None:
        self.name = name
        self.description = f"Ed25519 signatures, alg {name}"

    def sign(self, msg: bytes, key: Any) -> bytes:
        op_key = key.get_op_key("sign")
        if not isinstance(op_key, Ed25519PrivateKey):
            raise JoseError(f"alg {self.name} here requires an Ed25519 private key")
        return op_key.sign(msg)

    def verify(self, msg: bytes, sig: bytes, key: Any) -> bool:
        op_key = key.get_op_key("verify")
        if not isinstance(op_key, Ed25519PublicKey):
            return False
        try:
            op_key.verify(sig, msg)
        except InvalidSignature:
            return False
        return True


class _VcJwsRegistry(jws.JWSRegistry):
    """The only algorithms an enveloped credential may use, and a payload cap fit for docs/design.md §7 batches."""

    algorithms: dict[str, JWSAlgModel] = {name: _Ed25519Alg(name) for name in ACCEPTED_ALGS}  # noqa: RUF012
    recommended: list[str] = list(ACCEPTED_ALGS)  # noqa: RUF012
    max_payload_length = 16 * 1024 * 1024
    max_header_length = 4096


_REGISTRY = _VcJwsRegistry(algorithms=ACCEPTED_ALGS, strict_check_header=False)


@dataclass(frozen=True)
class EnvelopedCredential:
    """A well-formed enveloped credential: its JWS, protected header, and strictly parsed payload."""

    jws: str
    header: dict[str, Any]
    kid: str
    alg: str
    payload: dict[str, Any]


def b64url(data: bytes) -> str:
    """RFC 7515 §2 base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(part: str) -> bytes:
    """RFC 7515 §2 base64url without padding; ValueError on any other form."""
    if _BASE64URL.fullmatch(part) is None or len(part) % 4 == 1:
        raise ValueError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    except binascii.Error as exc:  # pragma: no cover - the pattern and length check exclude it
        raise ValueError(str(exc)) from exc


def is_enveloped(doc: Mapping[str, Any]) -> bool:
    """Whether ``doc`` claims to be an enveloped credential (its ``type``), well-formed or not."""
    return isinstance(doc, Mapping) and doc.get("type") == ENVELOPED_TYPE


def credential_payload(credential: Mapping[str, Any]) -> dict[str, Any]:
    """The credential itself: the JWS payload of an enveloped one (decoded, NOT verified), else the document."""
    return dict(read_enveloped(credential).payload) if is_enveloped(credential) else dict(credential)


def sign_enveloped(credential: Mapping[str, Any], private_key: Ed25519PrivateKey, kid: str) -> dict[str, Any]:
    """The enveloped form of ``credential``: a JWS (alg EdDSA, kid, typ vc+jwt, cty vc) in a data: URL."""
    header = {"alg": ACCEPTED_ALGS[0], "kid": kid, "typ": _TYP, "cty": _CTY}
    seed = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    key = OKPKey.import_key(
        {"kty": "OKP", "crv": "Ed25519", "x": b64url(public_key_bytes(private_key)), "d": b64url(seed)}
    )
    token = jws.serialize_compact(header, dumps_compact(dict(credential)), key, registry=_REGISTRY)
    return {"@context": VC_V2_CONTEXT, "type": ENVELOPED_TYPE, "id": JWS_DATA_URL_PREFIX + token}


def _schema(path: str, message: str) -> VerificationError:
    return VerificationError.single(Code.SCHEMA_INVALID, path, message)


def _malformed(message: str) -> VerificationError:
    return VerificationError.single(Code.PROOF_INVALID, "/id", message)


def read_enveloped(doc: Mapping[str, Any]) -> EnvelopedCredential:
    """Parse an enveloped credential and its JWS, checking shape and header; no cryptography."""
    if not is_enveloped(doc):
        raise _schema("/type", f"not an enveloped credential: type must be {ENVELOPED_TYPE!r}")
    context = doc.get("@context")
    if _context_head(context) != VC_V2_CONTEXT:
        raise _schema("/@context", f"an enveloped credential's @context must start with {VC_V2_CONTEXT}")
    extra = sorted(set(doc) - _ENVELOPE_MEMBERS)
    if extra:
        # The envelope is not signed (only the JWS in its id is), so a member beside the three would
        # travel unsigned, outside the digest that pins the credential (docs/design.md §4).
        # Member names are input: the message counts them and names none (reasons never quote input).
        raise _schema("", f"an enveloped credential has only @context, type and id; found {len(extra)} other")
    ident = doc.get("id")
    if not isinstance(ident, str) or not ident.startswith(JWS_DATA_URL_PREFIX):
        raise _schema("/id", f"id must be a data: URL starting with {JWS_DATA_URL_PREFIX!r}")
    token = ident[len(JWS_DATA_URL_PREFIX) :]
    parts = token.split(".")
    if len(parts) != 3:
        raise _malformed(f"a compact JWS has 3 parts separated by '.', found {len(parts)}")
    try:
        header_bytes, payload_bytes, signature = (b64url_decode(part) for part in parts)
    except ValueError as exc:
        raise _malformed("a JWS part is not unpadded base64url (RFC 7515 §2)") from exc
    try:
        header = parse_json(header_bytes)
    except JsonMalformedError as exc:
        raise _malformed("the JWS protected header is not strict JSON") from exc
    if not isinstance(header, dict):
        raise _malformed("the JWS protected header is not a JSON object")
    alg = header.get("alg")
    if alg not in ACCEPTED_ALGS:
        raise VerificationError.single(
            Code.CRYPTOSUITE_UNSUPPORTED, "/id", f"the JWS alg is not one of {', '.join(ACCEPTED_ALGS)}"
        )
    if "crit" in header:
        # RFC 7515 §4.1.11: we understand no extension, so a critical one must be refused.
        raise _malformed("the JWS header lists critical extensions this verifier does not support")
    kid = header.get("kid")
    if kid is None:
        raise VerificationError.single(Code.PROOF_MISSING, "/id", "the JWS header has no kid")
    if not isinstance(kid, str) or not kid:
        raise _malformed("the JWS header kid must be a non-empty string")
    for name, expected in (("typ", _TYP), ("cty", _CTY)):
        if name in header and header[name] != expected:
            raise _schema("/id", f"the JWS header {name} must be {expected!r}")
    if len(signature) != _SIGNATURE_LENGTH:
        raise _malformed(f"an Ed25519 JWS signature is 64 bytes, found {len(signature)}")
    try:
        payload = parse_json(payload_bytes)
    except JsonMalformedError as exc:
        raise _schema("/id", "the JWS payload is not strict JSON") from exc
    if not isinstance(payload, dict):
        raise _schema("/id", "the JWS payload is not a JSON object (a credential)")
    return EnvelopedCredential(jws=token, header=header, kid=kid, alg=alg, payload=payload)


def _context_head(context: Any) -> Any:
    if isinstance(context, list):
        return context[0] if context else None
    return context


def verify_enveloped(doc: Mapping[str, Any], public_key: Ed25519PublicKey) -> EnvelopedCredential:
    """Parse ``doc`` (as :func:`read_enveloped`) and check its JWS signature with ``public_key``."""
    enveloped = read_enveloped(doc)
    key = OKPKey.import_key({"kty": "OKP", "crv": "Ed25519", "x": b64url(public_key_bytes(public_key))})
    try:
        jws.deserialize_compact(enveloped.jws, key, registry=_REGISTRY)
    except JoseError as exc:
        raise VerificationError.single(
            Code.PROOF_INVALID, "/id", f"the JWS signature does not verify ({exc.error})"
        ) from exc
    return enveloped
