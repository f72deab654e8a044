"""The published sealed vectors (docs/design.md §11, docs/vectors.md): submissions to cn-port-03 with a sealed DCC.

cn-port-03's policy marks ``laboratory`` sealed, so a conformity credential carrying laboratory results
travels to it only as a sealed credential (``schemas.sealing``: a compact JWE to its ``keyAgreement`` key).
Layout, beside the other vectors (which all target cn-port-01, and stay as they are):

    sealed/valid/*.json, sealed/invalid/*.json   whole submissions to cn-port-03
    sealed/expected.json                         file name -> {"kind", "expect", "at", "port"}

They are judged with the private keyAgreement keys in ``keys/cn-port-03.pem`` (``key-4`` current, ``key-5``
retired on 2026-06-30), published like every sandbox key, for tests only. Every invalid vector is the valid
one with one thing changed and a manifest signed anew under its own ``submissionId``:

- ``wrong-recipient``: the DCC sealed to cn-port-01's key-4 (``SEALED_KEY_UNKNOWN``);
- ``tampered-ciphertext``: one character of the JWE ciphertext changed (``SEALED_INVALID``);
- ``retired-key``: sealed to cn-port-03's retired key-5 (``SEALED_KEY_RETIRED``);
- ``algorithm-unsupported``: the JWE header says ``enc`` ``A128GCM`` (``SEALED_ALGORITHM_UNSUPPORTED``);
- ``clear-laboratory``: the DCC in clear text (``DATA_CATEGORY_SEALING_REQUIRED``);
- ``nothing-to-seal``: a facility record, which holds no sealed category, sealed as well (``SEALING_NOT_EXPECTED``).

Reproducibility. Sealing is randomised (an ephemeral key, a content key and an IV drawn for each JWE), and
joserfc's public API takes none of them from the caller, so the same credential never seals to the same
bytes twice. ``SealedTokens`` keeps a token already published instead: one that opens, with the sandbox's
keys, under the same ``kid`` and header to exactly the bytes that would be sealed now. A token is never
kept for a plaintext or a key that changed; then a fresh one is drawn. ``pilot conformance vectors --out DIR``
passes the files already in ``DIR``, so regenerating in place gives the same bytes; into an empty directory
the sealed files differ only in their JWEs, which open to the same plaintext.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pilot.participants import PORTS
from pilot.sandbox import AGREEMENT_KEY_LABEL, RETIRED_AGREEMENT_KEY_LABEL, Sandbox, pretty_json
from pilot.synthetic import (
    SignedConsignment,
    Signer,
    build_world,
    laboratory_results,
    plan_consignment,
    record_type_of,
    sign_consignment,
    stable_id,
    with_laboratory_results,
)
from schemas.canonical import canonicalize
from schemas.errors import PilotSchemaError
from schemas.jose import b64url, b64url_decode
from schemas.jsonio import parse_json
from schemas.keyring import AgreementKeyEntry
from schemas.sealing import ALG, CTY, ENC, TYP, is_sealed, open_sealed, read_sealed, seal, sealed_credential

__all__ = [
    "SEALED_DIR",
    "SEALED_EXPORTER",
    "SEALED_PORT",
    "SealedTokens",
    "SealedVectorSet",
    "committed_sealed_tokens",
    "sealed_tokens_of",
]

SEALED_DIR = "sealed"
SEALED_PORT = "cn-port-03"
SEALED_EXPORTER = "ru-exp-01"
_TRANSPORT = {p.short_id: p.transport_mode for p in PORTS}

Doc = dict[str, Any]


def sealed_tokens_of(document: Any) -> list[str]:
    """The JWE of every sealed credential a submission document carries, in order."""
    credentials = document.get("credentials") if isinstance(document, dict) else None
    tokens = []
    for credential in credentials if isinstance(credentials, list) else []:
        if is_sealed(credential):
            try:
                tokens.append(read_sealed(credential))
            except PilotSchemaError:
                continue
    return tokens


def committed_sealed_tokens(directory: Path | None) -> list[str]:
    """Every sealed token in the sealed vectors already in ``directory`` (none when there is none)."""
    folder = directory / SEALED_DIR if directory is not None else None
    if folder is None or not folder.is_dir():
        return []
    tokens = []
    for path in sorted(folder.rglob("*.json")):
        if path.name == "expected.json":
            continue
        try:
            tokens += sealed_tokens_of(parse_json(path.read_bytes()))
        except PilotSchemaError:
            continue
    return tokens


class SealedTokens:
    """Seals credentials for the vectors, keeping a published token that opens to the very same plaintext.

    ``keys``: every sandbox keyAgreement private key by key id, to open the published tokens with.
    """

    def __init__(self, published: Iterable[str], keys: Mapping[str, X25519PrivateKey]) -> None:
        self._published = list(dict.fromkeys(published))
        self._keys = dict(keys)

    def seal(self, credential: Mapping[str, Any], entry: AgreementKeyEntry) -> str:
        """A compact JWE of ``credential`` to ``entry``'s public key: a published one if it fits, else new."""
        kid = entry.verification_method
        plaintext = canonicalize(dict(credential))
        for token in self._published:
            if self._opens_to(token, kid, plaintext):
                return token
        return seal(credential, entry.private_key.public_key(), kid)

    def _opens_to(self, token: str, kid: str, plaintext: bytes) -> bool:
        try:
            opened = open_sealed(token, self._keys)
        except PilotSchemaError:
            return False
        header = {k: v for k, v in opened.header.items() if k != "epk"}
        return (
            header == {"alg": ALG, "enc": ENC, "kid": kid, "typ": TYP, "cty": CTY}
            and canonicalize(opened.credential) == plaintext
        )


class SealedVectorSet:
    """Builds the sealed vectors for one sandbox; ``files`` maps relative path -> bytes."""

    def __init__(self, sandbox: Sandbox, signer: Signer, at: str, published: Iterable[str] = ()) -> None:
        self.sandbox = sandbox
        self.seed = sandbox.seed
        self.signer = signer
        self.at = at
        keys = {e.verification_method: e.private_key for entries in sandbox.agreement_keys.values() for e in entries}
        self.tokens = SealedTokens(published, keys)
        self.files: dict[str, bytes] = {}
        self.expected: dict[str, dict[str, str]] = {}

    # -- helpers ---------------------------------------------------------------------------------------
    def agreement_key(self, port_id: str, label: str = AGREEMENT_KEY_LABEL) -> AgreementKeyEntry:
        """A port's keyAgreement key by label."""
        for entry in self.sandbox.agreement_keys[port_id]:
            if entry.verification_method.endswith("#" + label):
                return entry
        raise KeyError(f"{port_id}#{label}")

    def add(self, folder: str, name: str, expect: str, document: Doc) -> None:
        self.files[f"{SEALED_DIR}/{folder}/{name}.json"] = pretty_json(document)
        self.expected[f"{name}.json"] = {"kind": "submission", "expect": expect, "at": self.at, "port": SEALED_PORT}

    def laboratory_consignment(self) -> SignedConsignment:
        """The base consignment: ru-exp-01 to cn-port-03, its DCC carrying laboratory results, all signed."""
        consignment_id = f"vec-{SEALED_EXPORTER}-sealed"
        world = build_world(self.seed, SEALED_EXPORTER)
        parts = plan_consignment(self.seed, world, consignment_id, SEALED_PORT, _TRANSPORT[SEALED_PORT])
        results = laboratory_results(self.seed, world.exporter.hs_code, consignment_id)
        parts.certificate = with_laboratory_results(parts.certificate, results)
        return sign_consignment(self.seed, parts, self.signer)

    def sealed_as(self, signed: SignedConsignment, record_type: str, entry: AgreementKeyEntry) -> list[dict[str, Any]]:
        """The consignment's credentials with every clear ``record_type`` one sealed to ``entry``."""
        return [
            sealed_credential(self.tokens.seal(c, entry))
            if not is_sealed(c) and record_type_of(c) == record_type
            else c
            for c in signed.credentials
        ]

    def under_id(self, signed: SignedConsignment, name: str, credentials: list[Doc]) -> Doc:
        """A submission of ``credentials`` under the id ``vec-ru-exp-01-sealed-<name>``: the consignment's
        manifest (pinning the plaintext credentials, as any manifest does) signed anew for that id."""
        submission_id = f"vec-{SEALED_EXPORTER}-sealed-{name}"
        subject = signed.manifest_subject()
        subject["consignmentId"] = submission_id
        manifest = self.signer.issue(
            SEALED_EXPORTER,
            "ConsignmentManifest",
            subject,
            credential_id=stable_id(self.seed, "manifest", submission_id),
        )
        return {"submissionId": submission_id, "manifest": manifest, "credentials": credentials}

    # -- the vectors -----------------------------------------------------------------------------------
    def build(self) -> dict[str, bytes]:
        """Every file of ``sealed/``."""
        dcc = "DigitalConformityCredential"
        signed = self.laboratory_consignment()
        current = self.agreement_key(SEALED_PORT)
        sealed = self.sealed_as(signed, dcc, current)
        self.add("valid", "submission-sealed-laboratory", "accept", {**signed.submission, "credentials": sealed})

        def invalid(name: str, expect: str, credentials: list[Doc]) -> None:
            self.add("invalid", f"submission-sealed-{name}", expect, self.under_id(signed, name, credentials))

        invalid("wrong-recipient", "SEALED_KEY_UNKNOWN", self.sealed_as(signed, dcc, self.agreement_key("cn-port-01")))
        invalid("tampered-ciphertext", "SEALED_INVALID", _rewrite_sealed(sealed, _tamper_ciphertext))
        retired = self.agreement_key(SEALED_PORT, RETIRED_AGREEMENT_KEY_LABEL)
        invalid("retired-key", "SEALED_KEY_RETIRED", self.sealed_as(signed, dcc, retired))
        invalid("algorithm-unsupported", "SEALED_ALGORITHM_UNSUPPORTED", _rewrite_sealed(sealed, _enc_a128gcm))
        invalid("clear-laboratory", "DATA_CATEGORY_SEALING_REQUIRED", copy.deepcopy(signed.credentials))
        facility = SignedConsignment(sealed, signed.manifest)
        invalid("nothing-to-seal", "SEALING_NOT_EXPECTED", self.sealed_as(facility, "DigitalFacilityRecord", current))
        self.files[f"{SEALED_DIR}/expected.json"] = pretty_json(dict(sorted(self.expected.items())))
        return self.files


def _rewrite_sealed(credentials: list[Doc], change: Any) -> list[Doc]:
    """``credentials`` with the JWE of each sealed one passed through ``change`` (token -> token)."""
    return [sealed_credential(change(read_sealed(c))) if is_sealed(c) else c for c in credentials]


def _tamper_ciphertext(token: str) -> str:
    """One base64url character of the ciphertext changed: the GCM tag no longer authenticates it."""
    parts = token.split(".")
    parts[3] = ("B" if parts[3][0] == "A" else "A") + parts[3][1:]
    return ".".join(parts)


def _enc_a128gcm(token: str) -> str:
    """The protected header rewritten to say ``enc`` ``A128GCM``, outside the profile (the rest unchanged)."""
    parts = token.split(".")
    header = json.loads(b64url_decode(parts[0]))
    header["enc"] = "A128GCM"
    parts[0] = b64url(canonicalize(header))
    return ".".join(parts)
