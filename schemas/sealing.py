"""Sealed credentials: a signed credential encrypted, untouched, to the destination port's key-agreement key.

docs/design.md §§4, 8 (issue 15). A credential holding a field of a category the destination's policy
marks ``sealed`` travels as a compact JWE (RFC 7516 §7.1) whose plaintext is the RFC 8785 bytes of the
signed credential, proof included: the digest the manifest pins (``schemas.digest.credential_digest``)
is the same before sealing and after opening, and no signature changes. :func:`seal` makes one;
:func:`open_sealed` opens one with the private keys a port holds, by ``kid``.

The profile; anything else is refused from the protected header alone, before any key is looked up:

- ``alg`` ``ECDH-ES+A256KW`` (RFC 7518 §4.6) over X25519 (RFC 8037 §3.2), ``enc`` ``A256GCM`` (RFC 7518
  §5.3); any other (``RSA-OAEP``, ``dir``, ``ECDH-ES``, ``A128GCM``...) is ``SEALED_ALGORITHM_UNSUPPORTED``;
- ``kid`` present: the id of the port's ``keyAgreement`` key in the trust list (docs/design.md §5). The
  key is chosen by it among the keys the opener holds, never taken from the message: ``jwk``, ``jku``,
  ``x5u``, ``x5c``, ``x5t`` and ``x5t#S256`` are refused;
- ``epk`` an X25519 public JWK (``kty`` ``OKP``, ``crv`` ``X25519``, ``x``) and nothing more; ``apu`` and
  ``apv`` (RFC 7518 §4.6.1) are allowed, as other JOSE libraries may set them;
- no ``zip`` (compression before encryption leaks through the length, RFC 8725 §3.6), no ``crit`` (we
  understand no extension, RFC 7516 §4.1.13), no other parameter;
- ``typ`` ``JOSE`` and ``cty`` ``vc``: always emitted, and checked when present.

Why those ``typ``/``cty`` values. VC-JOSE-COSE (W3C Recommendation 2025-05-15) secures credentials with
JWS, SD-JWT and COSE only: it defines no encrypted form and registers no ``application/vc+jwe`` (its
media types are ``vc+jwt``, ``vp+jwt``, ``vc+sd-jwt``, ``vp+sd-jwt``, ``vc+cose``, ``vp+cose``; its
drafts called JWE "out of scope"). So we use registered media types only. ``cty`` ``vc``: the plaintext
is an ``application/vc`` document (the media type of VC Data Model 2.0, in IANA's registry since 2024;
the ``cty`` VC-JOSE-COSE §3.1.1 gives the same content in a JWS; RFC 7516 §4.1.12 drops the
``application/`` prefix). ``typ`` ``JOSE``: the whole object is ``application/jose``, a JOSE compact
serialization (RFC 7516 §4.1.11 and RFC 7515 §4.1.9; RFC 7515 §9.2.1 registers ``application/jose`` for
the JWS and the JWE Compact Serializations alike), the same media type as its ``data:`` URL below. Not
``vc+jwt``: VC-JOSE-COSE reserves that for a JWS, which a verifier would try to check as a signature.
Not ``JWT`` either (RFC 7519 §5.2): the plaintext is not a JWT claims set.

How it travels inside JSON (a submission's ``credentials``): the enveloping pattern of VC Data Model 2.0
(enveloped verifiable credentials: the secured form in a ``data:`` URL in ``id``) that ``schemas.jose``
uses for a JWS, with the JWE in a ``data:`` URL of media type ``application/jose``: ``{"@context":
"https://www.w3.org/ns/credentials/v2", "type": "EnvelopedVerifiableCredential", "id":
"data:application/jose,<JWE>"}`` (:func:`sealed_credential`). The media type tells it from a signed
envelope (``data:application/vc+jwt,``); a reader that knows only VC-JOSE-COSE refuses an unknown media
type rather than misreading it. Beware: ``schemas.jose.is_enveloped`` is true for a sealed credential too
(same ``type``), so a reader asks :func:`is_sealed` first, opens it, and hands the opened credential to
the verifier.

Errors are ``VerificationError`` with the codes of docs/design.md §7: ``SEALED_ALGORITHM_UNSUPPORTED``,
``SEALED_KEY_UNKNOWN`` (no key held for the ``kid``), ``SEALED_INVALID`` (anything else: malformed,
outside the profile, fails to decrypt and authenticate, i.e. tampered or sealed to another key, or a
plaintext that is not one strict-JSON object). Messages never quote the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.digest import credential_digest
from schemas.errors import JsonMalformedError, KeyFormatError, VerificationError
from schemas.jose import b64url_decode
from schemas.jsonio import parse_json

__all__ = [
    "ALG",
    "CTY",
    "ENC",
    "ENVELOPED_TYPE",
    "SEALED_DATA_URL_PREFIX",
    "TYP",
    "OpenedCredential",
    "is_sealed",
    "open_sealed",
    "open_sealed_credential",
    "read_sealed",
    "seal",
    "sealed_credential",
    "sealed_header",
]

ALG = "ECDH-ES+A256KW"
ENC = "A256GCM"
TYP = "JOSE"
CTY = "vc"
ENVELOPED_TYPE = "EnvelopedVerifiableCredential"
SEALED_DATA_URL_PREFIX = "data:application/jose,"
VC_V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_ENVELOPE_MEMBERS = frozenset({"@context", "type", "id"})

#: Header parameters that would let the message choose the decryption key or fetch one.
_KEY_CARRYING = frozenset({"jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"})
#: Every header parameter a sealed credential may carry.
_ALLOWED_HEADER = frozenset({"alg", "enc", "kid", "typ", "cty", "epk", "apu", "apv"})
_EPK_MEMBERS = frozenset({"kty", "crv", "x"})
#: RFC 3394 key wrap of a 256-bit CEK; the 96-bit GCM IV and 128-bit tag (RFC 7518 §§4.4, 5.3).
_PART_LENGTHS = {"encrypted key": 40, "initialization vector": 12, "authentication tag": 16}
_X25519_LENGTH = 32
#: The largest credential a port accepts is bounded by the 16 MiB batch body (docs/design.md §7).
_MAX_PLAINTEXT = 16 * 1024 * 1024


class _SealRegistry(jwe.JWERegistry):
    """joserfc's JWE registry, sized for a credential: its 64 kB ciphertext default is too small."""

    max_protected_header_length = 4096
    max_ciphertext_length = 4 * _MAX_PLAINTEXT // 3 + 4


_REGISTRY = _SealRegistry(algorithms=[ALG, ENC])


@dataclass(frozen=True)
class OpenedCredential:
    """A sealed credential opened: its JWE, checked header, the ``kid`` used, the credential and its digest.

    ``credential`` is decrypted and authenticated, NOT verified: hand it to ``schemas.verify`` like a
    clear one. ``digest`` is ``credential_digest(credential)``, the value a manifest pins.
    """

    token: str
    header: dict[str, Any]
    kid: str
    credential: dict[str, Any]
    digest: str


def _invalid(path: str, message: str) -> VerificationError:
    return VerificationError.single(Code.SEALED_INVALID, path, message)


def _okp_key(key: X25519PrivateKey | X25519PublicKey) -> OKPKey:
    return OKPKey.import_key(key)


def seal(credential: Mapping[str, Any], recipient_public_key: X25519PublicKey, kid: str) -> str:
    """The compact JWE of ``credential`` (its RFC 8785 bytes, untouched) for ``recipient_public_key``.

    ``kid`` is the recipient's ``keyAgreement`` key id in the trust list. Each call draws a fresh
    ephemeral key and IV, so two seals of one credential differ; both open to the same bytes.
    """
    if not isinstance(recipient_public_key, X25519PublicKey):
        raise KeyFormatError(f"a credential is sealed to an X25519 key, not {type(recipient_public_key).__name__}")
    if not isinstance(kid, str) or not kid:
        raise _invalid("", "a sealed credential's kid must be a non-empty string")
    if is_sealed(credential):
        raise _invalid("", "the credential is already sealed; a sealed credential is never sealed again")
    plaintext = canonicalize(dict(credential))
    header = {"alg": ALG, "enc": ENC, "kid": kid, "typ": TYP, "cty": CTY}
    try:
        return jwe.encrypt_compact(header, plaintext, _okp_key(recipient_public_key), registry=_REGISTRY)
    except (JoseError, ValueError) as exc:
        # cryptography refuses a low-order recipient key (RFC 7748 §6.1) with a ValueError.
        raise KeyFormatError(f"cannot seal to this X25519 key: {exc}") from exc


def sealed_credential(token: str) -> dict[str, Any]:
    """The JSON form of a sealed credential: an ``EnvelopedVerifiableCredential`` with a JWE ``data:`` URL."""
    return {"@context": VC_V2_CONTEXT, "type": ENVELOPED_TYPE, "id": SEALED_DATA_URL_PREFIX + token}


def is_sealed(doc: Any) -> bool:
    """Whether ``doc`` claims to be a sealed credential (enveloped, with a JWE ``data:`` URL), well-formed or not."""
    if not isinstance(doc, Mapping) or doc.get("type") != ENVELOPED_TYPE:
        return False
    ident = doc.get("id")
    return isinstance(ident, str) and ident.startswith(SEALED_DATA_URL_PREFIX)


def read_sealed(doc: Mapping[str, Any]) -> str:
    """The JWE of a sealed credential's JSON form, after checking the envelope's shape; no cryptography."""
    if not is_sealed(doc):
        raise _invalid(
            "/id", f"not a sealed credential: an {ENVELOPED_TYPE} whose id starts {SEALED_DATA_URL_PREFIX!r}"
        )
    context = doc.get("@context")
    head = context[0] if isinstance(context, list) and context else context
    if head != VC_V2_CONTEXT:
        raise _invalid("/@context", f"a sealed credential's @context must start with {VC_V2_CONTEXT}")
    extra = set(doc) - _ENVELOPE_MEMBERS
    if extra:
        # Outside the JWE nothing is authenticated: a member beside the three would travel unprotected.
        raise _invalid("", f"a sealed credential has only @context, type and id; found {len(extra)} other")
    token: str = doc["id"][len(SEALED_DATA_URL_PREFIX) :]
    return token


def open_sealed_credential(doc: Mapping[str, Any], private_keys: Mapping[str, X25519PrivateKey]) -> OpenedCredential:
    """Open the JSON form of a sealed credential (:func:`read_sealed`, then :func:`open_sealed`)."""
    return open_sealed(read_sealed(doc), private_keys, path="/id")


def open_sealed(token: str, private_keys: Mapping[str, X25519PrivateKey], *, path: str = "") -> OpenedCredential:
    """Open a compact JWE with the private key its ``kid`` names among ``private_keys``.

    The header is checked against the profile first (module doc): a JWE outside it is refused
    before any key is looked up. ``path`` is the JSON pointer the reasons carry.
    """
    header = sealed_header(token, path=path)
    kid: str = header["kid"]
    private_key = private_keys.get(kid)
    if private_key is None:
        raise VerificationError.single(
            Code.SEALED_KEY_UNKNOWN, path, "the sealed credential's kid names no key-agreement key held here"
        )
    if not isinstance(private_key, X25519PrivateKey):
        raise KeyFormatError(f"the key held for a kid must be an X25519 private key, not {type(private_key).__name__}")
    try:
        opened = jwe.decrypt_compact(token, _okp_key(private_key), registry=_REGISTRY)
    except (JoseError, ValueError, TypeError, KeyError, AssertionError, InvalidTag, InvalidUnwrap) as exc:
        # joserfc reports a bad tag or key unwrap as DecodeError; cryptography raises ValueError for a
        # low-order ephemeral key; joserfc uses assertions and lookups for a few structural checks.
        raise _invalid(
            path,
            "the sealed credential does not decrypt with the key its kid names (tampered, or sealed to another key)",
        ) from exc
    plaintext = opened.plaintext
    if plaintext is None:  # pragma: no cover - joserfc sets it on success
        raise _invalid(path, "the sealed credential decrypted to nothing")
    credential = _parsed_credential(plaintext, path)
    return OpenedCredential(
        token=token, header=header, kid=kid, credential=credential, digest=credential_digest(credential)
    )


def sealed_header(token: str, *, path: str = "") -> dict[str, Any]:
    """The protected header of a compact JWE, checked against the profile (module doc): no key, no decryption.

    What a port reads first, to learn from ``kid`` which of its keys the credential claims to be sealed
    to before it opens anything. ``path`` is the JSON pointer the reasons carry.
    """
    parts = _split(token, path)
    header = _checked_header(parts[0], path)
    _check_lengths(parts, path)
    return header


def _split(token: str, path: str) -> list[bytes]:
    """The five decoded parts of a compact JWE (RFC 7516 §7.1), each checked as unpadded base64url."""
    if not isinstance(token, str) or not token.isascii():
        raise _invalid(path, "a sealed credential is an ASCII compact JWE")
    if len(token) > _REGISTRY.max_ciphertext_length + 8 * 1024:
        raise _invalid(path, "the sealed credential is larger than any credential a port accepts")
    parts = token.split(".")
    if len(parts) != 5:
        raise _invalid(path, f"a compact JWE has 5 parts separated by '.', found {len(parts)}")
    try:
        decoded = [b64url_decode(part) for part in parts]
    except ValueError as exc:
        raise _invalid(path, "a JWE part is not unpadded base64url (RFC 7516 §2)") from exc
    return decoded


def _check_lengths(parts: list[bytes], path: str) -> None:
    """The fixed sizes of the profile's encrypted key, IV and tag; checked once the header is known."""
    for (name, length), value in zip(_PART_LENGTHS.items(), (parts[1], parts[2], parts[4]), strict=True):
        if len(value) != length:
            raise _invalid(path, f"the JWE {name} of {ALG}/{ENC} is {length} bytes, found {len(value)}")


def _checked_header(encoded: bytes, path: str) -> dict[str, Any]:
    """The protected header, parsed strictly and checked against the profile (module doc)."""
    try:
        header = parse_json(encoded)
    except JsonMalformedError as exc:
        raise _invalid(path, "the JWE protected header is not strict JSON") from exc
    if not isinstance(header, dict):
        raise _invalid(path, "the JWE protected header is not a JSON object")
    if header.get("alg") != ALG or header.get("enc") != ENC:
        raise VerificationError.single(
            Code.SEALED_ALGORITHM_UNSUPPORTED, path, f"a sealed credential uses alg {ALG} and enc {ENC} only"
        )
    if "zip" in header:
        raise _invalid(path, "a sealed credential is never compressed (zip)")
    if "crit" in header:
        raise _invalid(path, "the JWE header lists critical extensions this opener does not support")
    if header.keys() & _KEY_CARRYING:
        raise _invalid(path, "the JWE header carries a key or key URL; the key is chosen by kid alone")
    if header.keys() - _ALLOWED_HEADER:
        raise _invalid(
            path, f"the JWE header has {len(header.keys() - _ALLOWED_HEADER)} parameter(s) outside the profile"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _invalid(path, "a sealed credential's header has no kid (a non-empty string)")
    for name, expected in (("typ", TYP), ("cty", CTY)):
        if name in header and header[name] != expected:
            raise _invalid(path, f"a sealed credential's JWE header {name} must be {expected!r}")
    _check_epk(header.get("epk"), path)
    return header


def _check_epk(epk: Any, path: str) -> None:
    """The ephemeral key is a public X25519 JWK and nothing else (RFC 8037 §2, RFC 7518 §4.6.1.1)."""
    if not isinstance(epk, dict) or set(epk) != _EPK_MEMBERS:
        raise _invalid(path, "the JWE epk must be a public JWK with exactly kty, crv and x")
    if epk["kty"] != "OKP" or epk["crv"] != "X25519":
        raise _invalid(path, "the JWE epk must be an X25519 key (kty OKP, crv X25519)")
    x = epk["x"]
    try:
        raw = b64url_decode(x) if isinstance(x, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != _X25519_LENGTH:
        raise _invalid(path, "the JWE epk x must be 32 bytes of unpadded base64url")


def _parsed_credential(plaintext: bytes, path: str) -> dict[str, Any]:
    try:
        credential = parse_json(plaintext)
    except JsonMalformedError as exc:
        raise _invalid(path, "the sealed plaintext is not strict JSON") from exc
    if not isinstance(credential, dict):
        raise _invalid(path, "the sealed plaintext is not a JSON object (a credential)")
    if is_sealed(credential):
        raise _invalid(path, "the sealed plaintext is itself a sealed credential")
    return credential
