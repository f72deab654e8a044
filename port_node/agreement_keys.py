"""The port's ``keyAgreement`` private keys: what opens the credentials sealed to it (docs/design.md §§4, 5).

They live in the port's keyring file (``keys/<short id>.pem``, ``schemas.keyring``) beside its signing keys,
as blocks of purpose ``keyAgreement``, encrypted when ``PILOT_KEY_PASSPHRASE`` is set. ``AgreementKeys``
reads them at start-up (a keyring it cannot read stops the port there), and looks at the file again on
every use: when its inode, size or modification time changed, the keys are read anew, so a key destroyed
by ``pilot keys destroy`` or by the port's own retention (``port_node.key_retention``) stops opening
anything at once, without a restart. A key destroyed leaves a tombstone line in the file
(``schemas.keyring.destroy_key``): ``destroyed`` says which keys are gone, and since when, so that the
port can say why content sealed to one can no longer be read (docs/keys.md).

A keyring that can no longer be read while the port runs (a wrong passphrase after a rewrite, a corrupt
block, a missing file) leaves the port holding no key at all: it fails closed, logs why once, and says so
in ``problem`` (``GET /health``), rather than going on with keys the file may no longer hold.

``StaticAgreementKeys`` holds fixed keys, for the stand-in ports of the tests and the conformance kit.
``KeysOnDemand`` hands them to ``schemas.assess`` as a mapping that asks its source only when a sealed
credential looks a key up: a submission in clear text costs no look at the keyring file.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from node_core.durable_files import update_locked
from schemas.errors import KeyFormatError
from schemas.keyring import destroy_key, destroyed_keys, load_agreement_keys
from schemas.time import format_time

__all__ = ["AgreementKeySource", "AgreementKeys", "KeysOnDemand", "StaticAgreementKeys"]

log = logging.getLogger(__name__)

#: What tells one version of the keyring file from another: (inode, size, modification time in ns).
_Stamp = tuple[int, int, int]


class AgreementKeySource(Protocol):
    """Where intake gets the private keys that open sealed credentials."""

    def private_keys(self) -> dict[str, X25519PrivateKey]:
        """The keys held now, by key id (the ``kid`` a sealed credential names)."""
        ...


class KeysOnDemand(Mapping[str, X25519PrivateKey]):
    """The keys of ``source`` as a read-only mapping, fetched on its first use and then kept (one submission).

    Fetched at first use, the keys are those held at the moment the first sealed credential is opened:
    a key destroyed before that opens nothing, as with keys fetched up front.
    """

    __slots__ = ("_keys", "_source")

    def __init__(self, source: AgreementKeySource) -> None:
        self._source = source
        self._keys: dict[str, X25519PrivateKey] | None = None

    def _held(self) -> dict[str, X25519PrivateKey]:
        if self._keys is None:
            self._keys = self._source.private_keys()
        return self._keys

    def __getitem__(self, kid: str) -> X25519PrivateKey:
        return self._held()[kid]

    def __iter__(self) -> Iterator[str]:
        return iter(self._held())

    def __len__(self) -> int:
        return len(self._held())

    @property
    def fetched(self) -> bool:
        """Whether the source was asked (a sealed credential looked a key up)."""
        return self._keys is not None


@dataclass(frozen=True)
class StaticAgreementKeys:
    """Keys that never change, for ports stood up by tests and the conformance kit."""

    keys: Mapping[str, X25519PrivateKey] = field(default_factory=dict)

    def private_keys(self) -> dict[str, X25519PrivateKey]:
        """The fixed keys."""
        return dict(self.keys)


class AgreementKeys:
    """The ``keyAgreement`` keys of one port's keyring file, kept in step with the file (module doc)."""

    def __init__(self, key_file: Path, passphrase: bytes | None = None) -> None:
        self.key_file = key_file
        self._passphrase = passphrase
        self._lock = threading.Lock()
        self._stamp: _Stamp | None = None
        self._keys: dict[str, X25519PrivateKey] = {}
        self._destroyed: dict[str, datetime] = {}
        self._loaded = False
        #: Why the keyring could not be read at the last look, else None.
        self.problem: str | None = None
        stamp = _stamp_of(key_file)  # OSError: no keyring, no port
        self._read(key_file.read_bytes(), stamp)  # KeyFormatError: a bad keyring stops the port at start-up

    def private_keys(self) -> dict[str, X25519PrivateKey]:
        """The keys held now, by key id; the file is read again first if it changed."""
        self._refresh()
        return dict(self._keys)

    def destroyed(self) -> dict[str, datetime]:
        """The keys destroyed from the keyring (key id -> when), from its tombstones."""
        self._refresh()
        return dict(self._destroyed)

    def destroy(self, kid: str, at: datetime) -> None:
        """Remove key ``kid`` from the keyring for good, a tombstone dated ``at`` in its place.

        The file is replaced atomically (a reader sees the old file or the new one) and durably (fsync of
        the file and of its directory), mode 0600; every other block is kept byte for byte.
        KeyFormatError when the keyring holds no such key.
        """
        with self._lock:
            update_locked(self.key_file, lambda keyring: destroy_key(keyring, kid, at), mode=0o600)
        self._refresh()

    def _refresh(self) -> None:
        try:
            stamp = _stamp_of(self.key_file)
        except OSError as exc:
            self._fail(f"the keyring file cannot be read: {type(exc).__name__}", None)
            return
        if stamp == self._stamp:
            return
        with self._lock:
            if stamp == self._stamp:
                return
            try:
                with self.key_file.open("rb") as handle:
                    stamp = _stamp_of_handle(handle.fileno())  # the version actually read
                    data = handle.read()
                self._read(data, stamp)
            except KeyFormatError as exc:
                self._fail(f"the keyring file cannot be read: {exc}", stamp)  # not again until it changes
            except OSError as exc:
                self._fail(f"the keyring file cannot be read: {type(exc).__name__}", None)

    def _read(self, data: bytes, stamp: _Stamp) -> None:
        keys = {entry.verification_method: entry.private_key for entry in load_agreement_keys(data, self._passphrase)}
        destroyed = destroyed_keys(data)
        if self._loaded:  # not at start-up: a key was destroyed while the port runs
            for kid in sorted(destroyed.keys() - self._destroyed.keys()):
                when = format_time(destroyed[kid])
                log.warning("keyAgreement key destroyed", extra={"kid": kid, "destroyed_at": when})
        self._keys, self._destroyed, self._stamp, self._loaded = keys, destroyed, stamp, True
        if self.problem is not None:
            log.info("keyring readable again", extra={"key_file": str(self.key_file)})
        self.problem = None

    def _fail(self, problem: str, stamp: _Stamp | None) -> None:
        """Hold no key (fail closed); log the problem when it is new."""
        if problem != self.problem:
            log.error("keyAgreement keys unavailable", extra={"key_file": str(self.key_file), "detail": problem})
        self._keys, self._stamp, self.problem = {}, stamp, problem


def _stamp_of(path: Path) -> _Stamp:
    stat = path.stat()
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def _stamp_of_handle(fd: int) -> _Stamp:
    stat = os.fstat(fd)
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)
