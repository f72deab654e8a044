"""C2SP signed notes, tlog checkpoints, Ed25519 cosignatures and the tlog-witness add-checkpoint body.

Specifications implemented (all C2SP, https://c2sp.org/):

- ``signed-note`` v1: text ending in a newline, a blank line, then one or more signature lines
  ``— <key name> base64(key ID || signature)``; Ed25519 signatures (type 0x01) over the text; key IDs
  SHA-256(name || 0x0A || type || public key)[:4]; verifier keys ``name+hex key ID+base64(type || key)``.
- ``tlog-checkpoint`` v1: the note text is origin, tree size, base64 root hash, then extension lines.
- ``tlog-cosignature`` v1, Ed25519 (type 0x04): the signature is an 8-byte big-endian timestamp then an
  Ed25519 signature over ``cosignature/v1\\ntime <timestamp>\\n`` followed by the whole note text.
- ``tlog-witness``: the ``add-checkpoint`` request body (``old <size>``, proof lines, blank line, note).

Parsing is strict and every malformed or unverifiable input raises
``VerificationError`` with code ``CHECKPOINT_INVALID``; foreign errors (``InvalidSignature``,
``binascii.Error``, ``UnicodeError``) are translated at this boundary. Signing-side helpers raise
``ValueError`` for arguments that could never produce a valid note (a programming error, not bad data).
Signature lines from unknown keys are ignored, as signed-note §Signatures requires; a signature from the
requested key that fails to verify rejects the whole note (the spec's SHOULD).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from schemas.codes import Code
from schemas.errors import VerificationError

__all__ = [
    "COSIGNATURE_TYPE",
    "ED25519_TYPE",
    "MAX_NOTE_BYTES",
    "MAX_PROOF_LINES",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteSignature",
    "SignedNote",
    "cosign_checkpoint",
    "cosignature_key_id",
    "ed25519_key_id",
    "format_add_checkpoint",
    "parse_add_checkpoint",
    "parse_signed_note",
    "sign_checkpoint",
    "sign_note",
    "verifier_key",
    "verify_checkpoint",
    "verify_cosignature",
    "verify_note",
]

#: signed-note §Signature types: 0x01 is Ed25519 over the note text.
ED25519_TYPE = 0x01
#: signed-note §Signature types / tlog-cosignature §Format: 0x04 is a timestamped Ed25519 cosignature.
COSIGNATURE_TYPE = 0x04

#: signed-note §Format: verifiers SHOULD cap the number of signatures and MUST accept at least 16.
MAX_SIGNATURES = 100
#: Cap on a note's UTF-8 size; room for 100 post-quantum signatures of about 5 kB.
MAX_NOTE_BYTES = 512 * 1024
#: tlog-witness §add-checkpoint: a client MUST NOT send more than 63 consistency proof lines.
MAX_PROOF_LINES = 63

_EM_DASH = "\u2014"
_SIGNATURE_PREFIX = _EM_DASH + " "
_KEY_ID_SIZE = 4
_ED25519_SIGNATURE_SIZE = 64
_TIMESTAMP_SIZE = 8
_MAX_TIMESTAMP = 2**63 - 1
_MAX_U64 = 2**64 - 1
_ROOT_HASH_SIZE = 32
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")


def _fail(message: str) -> VerificationError:
    return VerificationError.single(Code.CHECKPOINT_INVALID, "", message)


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _b64decode(text: str, what: str) -> bytes:
    """Strict RFC 4648 §4 base64: standard alphabet, padded, canonical (no stray bits)."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise _fail(f"{what} is not valid base64: {text[:80]!r}") from exc
    if _b64encode(raw) != text:
        raise _fail(f"{what} is not canonical base64: {text[:80]!r}")
    return raw


def _parse_decimal(text: str, what: str) -> int:
    """An ASCII decimal with no leading zeroes that fits in a u64 (tlog-checkpoint, tlog-witness)."""
    if not _DECIMAL.fullmatch(text):
        raise _fail(f"{what} {text[:40]!r} is not a decimal without leading zeroes")
    value = int(text)
    if value > _MAX_U64:
        raise _fail(f"{what} {text} does not fit in 64 bits")
    return value


def _key_name_problem(name: str) -> str | None:
    """signed-note §Format: key names are non-empty, with no Unicode spaces and no plus (U+002B)."""
    if not name:
        return "key name is empty"
    if "+" in name:
        return f"key name {name!r} contains '+'"
    if any(ch.isspace() for ch in name) or _CONTROL.search(name):
        return f"key name {name!r} contains a space or control character"
    return None


def _text_problem(text: str, what: str) -> str | None:
    """signed-note §Format: valid UTF-8, no control characters but newline, ending in a newline."""
    if not text.endswith("\n"):
        return f"{what} does not end with a newline"
    if _CONTROL.search(text):
        return f"{what} contains a control character"
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return f"{what} is not valid UTF-8"
    if size > MAX_NOTE_BYTES:
        return f"{what} is {size} bytes, more than {MAX_NOTE_BYTES}"
    return None


# ---------------------------------------------------------------------------------------------------
# Checkpoints (tlog-checkpoint §Note text).
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The note text of a tlog checkpoint: origin, tree size, root hash and optional extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or _CONTROL.search(self.origin):
            raise ValueError(f"checkpoint origin {self.origin!r} is empty or contains a control character")
        if isinstance(self.size, bool) or not 0 <= self.size <= _MAX_U64:
            raise ValueError(f"checkpoint size {self.size!r} is not a u64")
        if len(self.root_hash) != _ROOT_HASH_SIZE:
            raise ValueError(f"checkpoint root hash is {len(self.root_hash)} bytes, expected 32")
        for line in self.extensions:
            if not line or "\n" in line or _CONTROL.search(line):
                raise ValueError(f"checkpoint extension line {line!r} is empty or contains a control character")

    def body(self) -> str:
        """The note text: ``<origin>\\n<size>\\n<base64 root>\\n`` then one line per extension."""
        lines = [self.origin, str(self.size), _b64encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def from_body(cls, body: str) -> Checkpoint:
        """Parse a checkpoint note text strictly; VerificationError(CHECKPOINT_INVALID) if malformed."""
        problem = _text_problem(body, "checkpoint")
        if problem:
            raise _fail(problem)
        lines = body[:-1].split("\n")
        # tlog-checkpoint §Note text: at least three non-empty lines; extension lines are non-empty.
        if len(lines) < 3:
            raise _fail(f"checkpoint has {len(lines)} lines, expected at least 3")
        origin, size_text, root_text, *extensions = lines
        if not origin:
            raise _fail("checkpoint origin is empty")
        size = _parse_decimal(size_text, "checkpoint size")
        root_hash = _b64decode(root_text, "checkpoint root hash")
        if len(root_hash) != _ROOT_HASH_SIZE:
            raise _fail(f"checkpoint root hash is {len(root_hash)} bytes, expected 32")
        for i, line in enumerate(extensions):
            if not line:
                raise _fail(f"checkpoint extension line {i + 1} is empty")
        return cls(origin, size, root_hash, tuple(extensions))


# ---------------------------------------------------------------------------------------------------
# Signed notes (signed-note §Format, §Signatures).
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line: key name, 4-byte key ID, and the signature bytes that follow the key ID."""

    name: str
    key_id: bytes
    signature: bytes

    def __post_init__(self) -> None:
        problem = _key_name_problem(self.name)
        if problem:
            raise ValueError(problem)
        if len(self.key_id) != _KEY_ID_SIZE:
            raise ValueError(f"key ID is {len(self.key_id)} bytes, expected 4")
        if not self.signature:
            raise ValueError("signature is empty")

    def line(self) -> str:
        """``— <name> <base64(key ID || signature)>\\n`` (em dash U+2014)."""
        return f"{_SIGNATURE_PREFIX}{self.name} {_b64encode(self.key_id + self.signature)}\n"


@dataclass(frozen=True)
class SignedNote:
    """A note text and its signature lines, in order."""

    body: str
    signatures: tuple[NoteSignature, ...] = ()

    def text(self) -> str:
        """The wire form: the text, a blank line, then the signature lines."""
        return self.body + "\n" + "".join(sig.line() for sig in self.signatures)

    def with_signature(self, signature: NoteSignature) -> SignedNote:
        """A copy with ``signature`` appended (e.g. a witness cosignature)."""
        return SignedNote(self.body, (*self.signatures, signature))


def _raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes_raw()


def _key_id(name: str, signature_type: int, public_key: Ed25519PublicKey) -> bytes:
    # signed-note §Signatures: key ID = SHA-256(key name || 0x0A || signature type || public key)[:4].
    material = name.encode("utf-8") + b"\n" + bytes([signature_type]) + _raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


def ed25519_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The key ID of an Ed25519 note key (signed-note §Ed25519 signatures, type 0x01)."""
    return _key_id(name, ED25519_TYPE, public_key)


def cosignature_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The key ID of an Ed25519 cosigner (tlog-cosignature §Format, type 0x04)."""
    return _key_id(name, COSIGNATURE_TYPE, public_key)


def verifier_key(name: str, public_key: Ed25519PublicKey, *, cosignature: bool = False) -> str:
    """The vkey string ``<name>+<hex key ID>+<base64(type byte || public key)>`` of signed-note."""
    problem = _key_name_problem(name)
    if problem:
        raise ValueError(problem)
    signature_type = COSIGNATURE_TYPE if cosignature else ED25519_TYPE
    key_id = _key_id(name, signature_type, public_key)
    return f"{name}+{key_id.hex()}+{_b64encode(bytes([signature_type]) + _raw_public_key(public_key))}"


def _parse_signature_line(line: str, number: int) -> NoteSignature:
    # signed-note §Format: em dash, space, key name, space, base64 signature.
    if not line.startswith(_SIGNATURE_PREFIX):
        raise _fail(f"signature line {number} does not start with an em dash and a space")
    parts = line[len(_SIGNATURE_PREFIX) :].split(" ")
    if len(parts) != 2:
        raise _fail(f"signature line {number} is not '— <key name> <base64 signature>'")
    name, encoded = parts
    problem = _key_name_problem(name)
    if problem:
        raise _fail(f"signature line {number}: {problem}")
    raw = _b64decode(encoded, f"signature line {number}")
    # signed-note §Format: a signature is the base64 of 4+n bytes, the key ID and then the signature.
    if len(raw) <= _KEY_ID_SIZE:
        raise _fail(f"signature line {number} holds {len(raw)} bytes, too short for a key ID and a signature")
    return NoteSignature(name, raw[:_KEY_ID_SIZE], raw[_KEY_ID_SIZE:])


def parse_signed_note(text: str) -> SignedNote:
    """Split a signed note into its text and signature lines, strictly (signed-note §Format).

    Checks: valid UTF-8 with no control character but newline, at most MAX_NOTE_BYTES; the text ends in
    a newline and is separated from the signatures by the last blank line; one to MAX_SIGNATURES
    well-formed signature lines, each ending in a newline. Signatures are not verified here.
    """
    problem = _text_problem(text, "signed note")
    if problem:
        raise _fail(problem)
    # "the text is separated from the signatures by the last empty line in the note".
    split = text.rfind("\n\n")
    if split < 0:
        raise _fail("signed note has no blank line between its text and its signatures")
    body, block = text[: split + 1], text[split + 2 :]
    if not block:
        raise _fail("signed note has no signature lines")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _fail(f"signed note has {len(lines)} signatures, more than {MAX_SIGNATURES}")
    signatures = tuple(_parse_signature_line(line, i + 1) for i, line in enumerate(lines))
    return SignedNote(body, signatures)


def _body_bytes(note: SignedNote) -> bytes:
    try:
        return note.body.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise _fail("note text is not valid UTF-8") from exc


def _matching(note: SignedNote, name: str, key_id: bytes, kind: str) -> list[NoteSignature]:
    # signed-note §Signatures: only a line matching both the key name and the key ID is from the key.
    matched = [sig for sig in note.signatures if sig.name == name and sig.key_id == key_id]
    if not matched:
        raise _fail(f"no {kind} by {name!r} with key ID {key_id.hex()}")
    return matched


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> NoteSignature:
    """An Ed25519 signature line over ``body`` (signed-note §Ed25519 signatures)."""
    problem = _text_problem(body, "note text") or _key_name_problem(name)
    if problem:
        raise ValueError(problem)
    key_id = ed25519_key_id(name, private_key.public_key())
    return NoteSignature(name, key_id, private_key.sign(body.encode("utf-8")))


def verify_note(note: SignedNote, name: str, public_key: Ed25519PublicKey) -> None:
    """Check that ``note`` carries a valid Ed25519 signature by key (``name``, ``public_key``).

    Lines from other keys are ignored; if no line matches the key, or a matching line does not
    verify, raises VerificationError(CHECKPOINT_INVALID).
    """
    message = _body_bytes(note)
    for sig in _matching(note, name, ed25519_key_id(name, public_key), "signature"):
        if len(sig.signature) != _ED25519_SIGNATURE_SIZE:
            raise _fail(f"signature by {name!r} is {len(sig.signature)} bytes, expected 64")
        try:
            public_key.verify(sig.signature, message)
        except InvalidSignature as exc:
            raise _fail(f"signature by {name!r} does not verify") from exc


def sign_checkpoint(checkpoint: Checkpoint, name: str, private_key: Ed25519PrivateKey) -> SignedNote:
    """The checkpoint as a signed note with one Ed25519 signature (tlog-checkpoint §Signatures)."""
    body = checkpoint.body()
    return SignedNote(body, (sign_note(body, name, private_key),))


def verify_checkpoint(text: str, name: str, public_key: Ed25519PublicKey, *, origin: str | None = None) -> Checkpoint:
    """Parse a signed checkpoint, verify the signature by (``name``, ``public_key``), return its content.

    ``name`` is the signing key's name (the pilot's logs use their origin). If ``origin`` is given the
    checkpoint's origin line must equal it. Raises VerificationError(CHECKPOINT_INVALID) otherwise.
    """
    note = parse_signed_note(text)
    verify_note(note, name, public_key)
    checkpoint = Checkpoint.from_body(note.body)
    if origin is not None and checkpoint.origin != origin:
        raise _fail(f"checkpoint origin is {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint


# ---------------------------------------------------------------------------------------------------
# Cosignatures (tlog-cosignature v1, Ed25519).
# ---------------------------------------------------------------------------------------------------


def _cosigned_message(body: str, timestamp: int) -> bytes:
    # tlog-cosignature §Ed25519 signed message: the header line, the timestamp line (ASCII decimal, no
    # leading zeroes), then the whole note text of the checkpoint including extension lines.
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign_checkpoint(checkpoint_body: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> NoteSignature:
    """A tlog-cosignature/v1 line over a checkpoint's note text, made at POSIX time ``timestamp``.

    The signature bytes are ``timestamp`` as 8 big-endian bytes then the 64-byte Ed25519 signature;
    the key ID uses type 0x04. A body that is not a checkpoint raises VerificationError.
    """
    Checkpoint.from_body(checkpoint_body)
    if isinstance(timestamp, bool) or not 0 <= timestamp <= _MAX_TIMESTAMP:
        raise ValueError(f"timestamp {timestamp!r} is outside 0..2**63-1")
    problem = _key_name_problem(name)
    if problem:
        raise ValueError(problem)
    signature = private_key.sign(_cosigned_message(checkpoint_body, timestamp))
    key_id = cosignature_key_id(name, private_key.public_key())
    return NoteSignature(name, key_id, timestamp.to_bytes(_TIMESTAMP_SIZE, "big") + signature)


def verify_cosignature(note: SignedNote, name: str, public_key: Ed25519PublicKey) -> int:
    """Verify the cosignature by (``name``, ``public_key``) on ``note`` and return its timestamp.

    If the cosigner signed the note more than once, every matching line must verify and the latest
    timestamp is returned. Raises VerificationError(CHECKPOINT_INVALID) otherwise.
    """
    _body_bytes(note)
    timestamps = []
    for sig in _matching(note, name, cosignature_key_id(name, public_key), "cosignature"):
        # tlog-cosignature §Format: timestamped_signature = u64 timestamp || ed25519_signature[64].
        if len(sig.signature) != _TIMESTAMP_SIZE + _ED25519_SIGNATURE_SIZE:
            raise _fail(f"cosignature by {name!r} is {len(sig.signature)} bytes, expected 72")
        timestamp = int.from_bytes(sig.signature[:_TIMESTAMP_SIZE], "big")
        if timestamp > _MAX_TIMESTAMP:
            raise _fail(f"cosignature by {name!r} has timestamp {timestamp}, beyond 2**63-1")
        try:
            public_key.verify(sig.signature[_TIMESTAMP_SIZE:], _cosigned_message(note.body, timestamp))
        except InvalidSignature as exc:
            raise _fail(f"cosignature by {name!r} does not verify") from exc
        timestamps.append(timestamp)
    return max(timestamps)


# ---------------------------------------------------------------------------------------------------
# tlog-witness add-checkpoint request body.
# ---------------------------------------------------------------------------------------------------


def format_add_checkpoint(old_size: int, consistency_proof: Sequence[bytes], checkpoint_text: str) -> bytes:
    """The body of ``POST <prefix>/add-checkpoint`` (tlog-witness §add-checkpoint).

    ``old <old_size>``, one base64 line per proof hash, an empty line, then the signed checkpoint.
    """
    if isinstance(old_size, bool) or not 0 <= old_size <= _MAX_U64:
        raise ValueError(f"old size {old_size!r} is not a u64")
    if len(consistency_proof) > MAX_PROOF_LINES:
        raise ValueError(f"{len(consistency_proof)} proof hashes, more than {MAX_PROOF_LINES}")
    for i, element in enumerate(consistency_proof):
        if len(element) != _ROOT_HASH_SIZE:
            raise ValueError(f"proof hash {i} is {len(element)} bytes, expected 32")
    try:
        parse_signed_note(checkpoint_text)
    except VerificationError as exc:
        raise ValueError(f"not a signed note: {exc}") from exc
    proof_lines = "".join(_b64encode(element) + "\n" for element in consistency_proof)
    return f"old {old_size}\n{proof_lines}\n{checkpoint_text}".encode()


def parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], str]:
    """Parse an add-checkpoint request body into ``(old size, consistency proof, signed note text)``.

    Strict: UTF-8; ``old <decimal without leading zeroes>``; at most 63 proof lines, each the base64
    of a 32-byte hash; an empty line; a well-formed signed note (signatures are not verified here).
    Raises VerificationError(CHECKPOINT_INVALID) on anything else.
    """
    if len(body) > MAX_NOTE_BYTES + 4096:
        raise _fail(f"add-checkpoint body is {len(body)} bytes, too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail("add-checkpoint body is not valid UTF-8") from exc
    first_end = text.find("\n")
    if first_end < 0:
        raise _fail("add-checkpoint body has no old size line")
    old_line = text[:first_end]
    if not old_line.startswith("old "):
        raise _fail(f"add-checkpoint body does not start with 'old <size>': {old_line[:40]!r}")
    old_size = _parse_decimal(old_line[4:], "old size")
    proof: list[bytes] = []
    position = first_end + 1
    while True:
        end = text.find("\n", position)
        if end < 0:
            raise _fail("add-checkpoint body has no empty line before the checkpoint")
        line = text[position:end]
        position = end + 1
        if not line:
            break
        if len(proof) == MAX_PROOF_LINES:
            raise _fail(f"add-checkpoint body has more than {MAX_PROOF_LINES} proof lines")
        element = _b64decode(line, f"proof line {len(proof) + 1}")
        if len(element) != _ROOT_HASH_SIZE:
            raise _fail(f"proof line {len(proof) + 1} is {len(element)} bytes, expected 32")
        proof.append(element)
    checkpoint_text = text[position:]
    parse_signed_note(checkpoint_text)
    return old_size, proof, checkpoint_text
