"""What the kit acts with: the sandbox's verified trust list and participants' private keys.

The trust list is read from ``<data dir>/trust-list.json`` and verified against the pinned
``trust-anchor.json`` beside it (docs/design.md §5: never trusting the key inside the list); keys come
from ``<data dir>/keys/<short id>.pem`` and, when a data dir has none, from the published sandbox keys
in ``schemas/vectors/keys`` (docs/design.md §11). A port's ``keyAgreement`` keys (X25519, which open
what is sealed to it) are blocks of the same file, read by ``agreement_keys`` (decrypted with
``PILOT_KEY_PASSPHRASE`` when set).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from node_core.http_signatures import RequestSigner
from pilot.synthetic import Signer
from schemas.errors import KeyFormatError
from schemas.keyring import KeyEntry, load_agreement_keys, load_keyring
from schemas.trust import TrustRegistry, load_trust_list

__all__ = ["VECTORS_DIR", "KitMaterial", "MaterialError"]

VECTORS_DIR = Path(__file__).resolve().parents[2] / "schemas" / "vectors"


class MaterialError(ValueError):
    """The data dir lacks something the kit needs (a trust list, an anchor, a key, a token)."""


@dataclass
class KitMaterial:
    """The sandbox a run uses: the data dir, its verified trust list, and keys loaded on demand."""

    data_dir: Path
    registry: TrustRegistry
    _keyrings: dict[str, list[KeyEntry]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, data_dir: Path) -> KitMaterial:
        """The material of ``data_dir``; MaterialError when its trust list or anchor is missing or bad."""
        trust_list, anchor = data_dir / "trust-list.json", data_dir / "trust-anchor.json"
        for path in (trust_list, anchor):
            if not path.is_file():
                raise MaterialError(f"{path} does not exist: run `pilot init --data-dir {data_dir}` first")
        try:
            registry = load_trust_list(trust_list, anchor)
        except ValueError as exc:  # VerificationError and friends are ValueErrors
            raise MaterialError(f"{trust_list} does not verify against {anchor}: {exc}") from exc
        return cls(data_dir, registry)

    def keyring(self, short_id: str) -> list[KeyEntry]:
        """Every private key of ``short_id`` (data dir first, then the published sandbox keys)."""
        if short_id not in self._keyrings:
            self._keyrings[short_id] = load_keyring(self._key_file(short_id).read_bytes())
        return self._keyrings[short_id]

    def _key_file(self, short_id: str) -> Path:
        for folder in (self.data_dir / "keys", VECTORS_DIR / "keys"):
            path = folder / f"{short_id}.pem"
            if path.is_file():
                return path
        raise MaterialError(f"no key file for {short_id} in {self.data_dir / 'keys'}")

    def agreement_keys(self, port_id: str) -> dict[str, X25519PrivateKey]:
        """A port's ``keyAgreement`` private keys by key id (those not destroyed), to open what is sealed to it."""
        path = self._key_file(port_id)
        passphrase = os.environ.get("PILOT_KEY_PASSPHRASE")
        try:
            entries = load_agreement_keys(path.read_bytes(), passphrase.encode() if passphrase else None)
        except KeyFormatError as exc:
            raise MaterialError(f"cannot read the keyAgreement keys of {path}: {exc}") from exc
        return {entry.verification_method: entry.private_key for entry in entries}

    def key(self, short_id: str, label: str = "key-1") -> KeyEntry:
        """One key of ``short_id`` by its label (``key-1`` unless told)."""
        for entry in self.keyring(short_id):
            if entry.verification_method.endswith("#" + label):
                return entry
        raise MaterialError(f"{short_id} has no key {label}")

    def request_signer(self, short_id: str, label: str = "key-1") -> RequestSigner:
        """An ``httpx`` auth signing every request as ``short_id`` (RFC 9421, the pilot's profile)."""
        entry = self.key(short_id, label)
        return RequestSigner(entry.private_key, entry.verification_method)

    @functools.cached_property
    def credential_signer(self) -> Signer:
        """Signs credentials as any sandbox participant (certifiers, ``ru-vet``, exporters)."""
        return Signer(_LazyKeyrings(self))

    def token(self, short_id: str) -> str:
        """The operator token of a node, ``<data dir>/tokens/<short id>``."""
        path = self.data_dir / "tokens" / short_id
        if not path.is_file():
            raise MaterialError(f"{path} does not exist: start the node once so that it writes its token")
        return path.read_text().strip()


class _LazyKeyrings(dict[str, list[KeyEntry]]):
    """A keyring mapping that reads a participant's key file the first time it is asked for."""

    def __init__(self, material: KitMaterial) -> None:
        super().__init__()
        self._material = material

    def __missing__(self, short_id: str) -> list[KeyEntry]:
        entries = self._material.keyring(short_id)
        self[short_id] = entries
        return entries
