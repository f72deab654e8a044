"""C2SP signed notes, checkpoints, cosignatures and add-checkpoint bodies: published examples, round trips,
and tables of malformed input that must fail with CHECKPOINT_INVALID."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.codes import Code
from schemas.errors import VerificationError
from schemas.merkle import MerkleTree, leaf_hash, verify_consistency
from schemas.signed_note import (
    MAX_SIGNATURES,
    Checkpoint,
    NoteSignature,
    SignedNote,
    cosign_checkpoint,
    cosignature_key_id,
    ed25519_key_id,
    format_add_checkpoint,
    parse_add_checkpoint,
    parse_signed_note,
    sign_checkpoint,
    sign_note,
    verifier_key,
    verify_checkpoint,
    verify_cosignature,
    verify_note,
)

# --- Published examples -----------------------------------------------------------------------------

# golang.org/x/mod/sumdb/note, package documentation and note_test.go: the "PeterNeumann" key pair and
# the note it signs (the same example is quoted by the C2SP signed-note implementations).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcE"
    "lZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)

# A checkpoint of the public CT log arche2025h1.staging.ct.transparency.dev with cosignatures from four
# public witnesses, whose verifier keys their operators publish (for instance in the transparency.dev
# witness network configuration). The first line is an RFC 6962 (type 0x05) signature that our
# Ed25519 verifier must skip as an unknown key.
ARCHE_CHECKPOINT = (
    "arche2025h1.staging.ct.transparency.dev\n"
    "1432088532\n"
    "U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n"
    "\n"
    "— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLf"
    "QFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    "— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27l"
    "efwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"
    "— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/"
    "KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2"
    "RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27w"
    "gxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    "— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHS"
    "DwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)
ARCHE_LOG_VKEY = "arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
ARCHE_WITNESS_VKEYS = [
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
]
#: All four witnesses cosigned at the same second (0x6a122120).
ARCHE_COSIGNED_AT = 1779573024

# C2SP tlog-witness, §add-checkpoint: the example request body.
WITNESS_EXAMPLE_BODY = (
    "old 20852014\n"
    "PlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n"
    "jrJZDmY8Y7SyJE0MWLpLozkIVMSMZcD5kvuKxPC3swk=\n"
    "5+pKlUdi2LeF/BcMHBn+Ku6yhPGNCswZZD1X/6QgPd8=\n"
    "/6WVhPs2CwSsb5rYBH5cjHV/wSmA79abXAwhXw3Kj/0=\n"
    "\n"
    "example.com/behind-the-sofa\n"
    "20852163\n"
    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    "\n"
    "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurm"
    "RDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "— example.com/behind-the-sofa opLqBQsREYCgu6xQkYQwJr9fo45a62DN9EdmHXnZ"
    "dXNqlcVGlCum2Wks+49/V6267UEjw6QUXTS5Rovnzv++qbSzm9Q=\n"
).encode()

ORIGIN = "cn-port-01.pilot.example/log"
WITNESS = "cn-port-02.pilot.example/witness"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test log key").digest())
WITNESS_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"test witness key").digest())
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"another key").digest())
ROOT = hashlib.sha256(b"root").digest()


def _public_from_vkey(vkey: str) -> tuple[str, bytes, int, Ed25519PublicKey]:
    name, key_id_hex, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    return name, bytes.fromhex(key_id_hex), raw[0], Ed25519PublicKey.from_public_bytes(raw[1:])


def _rejects(check: Callable[[], object]) -> VerificationError:
    with pytest.raises(VerificationError) as info:
        check()
    assert info.value.code == Code.CHECKPOINT_INVALID
    return info.value


def _signed_checkpoint() -> tuple[Checkpoint, str]:
    checkpoint = Checkpoint(ORIGIN, 42, ROOT)
    return checkpoint, sign_checkpoint(checkpoint, ORIGIN, LOG_KEY).text()


# --- signed-note: the Go example ----------------------------------------------------------------------


def test_go_example_verifier_key_and_key_id() -> None:
    name, key_id, key_type, public_key = _public_from_vkey(GO_VKEY)
    assert (name, key_type) == ("PeterNeumann", 0x01)
    assert ed25519_key_id(name, public_key) == key_id
    assert verifier_key(name, public_key) == GO_VKEY


def test_go_example_signs_byte_for_byte() -> None:
    raw = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert raw[0] == 0x01
    private_key = Ed25519PrivateKey.from_private_bytes(raw[1:])
    # Ed25519 is deterministic (RFC 8032), so our note must equal the published one.
    note = SignedNote(GO_TEXT, (sign_note(GO_TEXT, "PeterNeumann", private_key),))
    assert note.text() == GO_NOTE


def test_go_example_parses_and_verifies() -> None:
    _, _, _, public_key = _public_from_vkey(GO_VKEY)
    note = parse_signed_note(GO_NOTE)
    assert note.body == GO_TEXT
    assert len(note.signatures) == 1
    assert note.text() == GO_NOTE
    verify_note(note, "PeterNeumann", public_key)


def test_go_example_tampering_fails() -> None:
    _, _, _, public_key = _public_from_vkey(GO_VKEY)
    tampered_body = parse_signed_note(GO_NOTE.replace("cryptography", "cryptographY"))
    assert "does not verify" in str(_rejects(lambda: verify_note(tampered_body, "PeterNeumann", public_key)))
    sig = parse_signed_note(GO_NOTE).signatures[0]
    flipped = NoteSignature(sig.name, sig.key_id, bytes([sig.signature[0] ^ 1]) + sig.signature[1:])
    _rejects(lambda: verify_note(SignedNote(GO_TEXT, (flipped,)), "PeterNeumann", public_key))
    # Another name, or another key under the right name, finds no signature from a known key.
    assert "no signature by 'EnochRoot'" in str(
        _rejects(lambda: verify_note(parse_signed_note(GO_NOTE), "EnochRoot", public_key))
    )
    _rejects(lambda: verify_note(parse_signed_note(GO_NOTE), "PeterNeumann", OTHER_KEY.public_key()))


# --- Published checkpoint with witness cosignatures ---------------------------------------------------


def test_public_checkpoint_log_signature() -> None:
    name, _, key_type, public_key = _public_from_vkey(ARCHE_LOG_VKEY)
    assert key_type == 0x01
    checkpoint = verify_checkpoint(ARCHE_CHECKPOINT, name, public_key, origin=name)
    assert checkpoint.size == 1432088532
    assert checkpoint.root_hash == base64.b64decode("U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=")
    assert checkpoint.extensions == ()
    assert parse_signed_note(ARCHE_CHECKPOINT).text() == ARCHE_CHECKPOINT
    clobbered = ARCHE_CHECKPOINT.replace("1432088532", "1432088533")
    _rejects(lambda: verify_checkpoint(clobbered, name, public_key))


@pytest.mark.parametrize("vkey", ARCHE_WITNESS_VKEYS, ids=lambda v: v.split("+")[0])
def test_public_checkpoint_cosignatures(vkey: str) -> None:
    name, key_id, key_type, public_key = _public_from_vkey(vkey)
    assert key_type == 0x04
    assert cosignature_key_id(name, public_key) == key_id
    assert verifier_key(name, public_key, cosignature=True) == vkey
    note = parse_signed_note(ARCHE_CHECKPOINT)
    assert verify_cosignature(note, name, public_key) == ARCHE_COSIGNED_AT
    # A cosignature is not an Ed25519 note signature (different key ID), and it signs the size.
    _rejects(lambda: verify_note(note, name, public_key))
    clobbered = parse_signed_note(ARCHE_CHECKPOINT.replace("1432088532", "1432088533"))
    _rejects(lambda: verify_cosignature(clobbered, name, public_key))


# --- Our own keys: round trips -------------------------------------------------------------------------


def test_checkpoint_sign_and_verify() -> None:
    checkpoint, text = _signed_checkpoint()
    assert text.startswith(f"{ORIGIN}\n42\n{base64.b64encode(ROOT).decode()}\n\n— {ORIGIN} ")
    public_key = LOG_KEY.public_key()
    assert verify_checkpoint(text, ORIGIN, public_key) == checkpoint
    assert verify_checkpoint(text, ORIGIN, public_key, origin=ORIGIN) == checkpoint
    assert "origin is" in str(_rejects(lambda: verify_checkpoint(text, ORIGIN, public_key, origin="x.example/log")))
    _rejects(lambda: verify_checkpoint(text, "cn-port-09.pilot.example/log", public_key))
    _rejects(lambda: verify_checkpoint(text, ORIGIN, OTHER_KEY.public_key()))
    _rejects(lambda: verify_checkpoint(text.replace("\n42\n", "\n43\n"), ORIGIN, public_key))


def test_unknown_signatures_are_ignored_but_a_bad_known_one_rejects() -> None:
    checkpoint, text = _signed_checkpoint()
    stranger = sign_note(checkpoint.body(), "stranger.example/log", OTHER_KEY)
    same_name_other_key = sign_note(checkpoint.body(), ORIGIN, OTHER_KEY)
    note = parse_signed_note(text)
    noisy = SignedNote(note.body, (stranger, same_name_other_key, *note.signatures))
    assert verify_checkpoint(noisy.text(), ORIGIN, LOG_KEY.public_key()) == checkpoint
    good = note.signatures[0]
    broken = NoteSignature(good.name, good.key_id, bytes(64))
    _rejects(lambda: verify_note(note.with_signature(broken), ORIGIN, LOG_KEY.public_key()))
    short = NoteSignature(good.name, good.key_id, b"\x01" * 63)
    assert "63 bytes" in str(
        _rejects(lambda: verify_note(SignedNote(note.body, (short,)), ORIGIN, LOG_KEY.public_key()))
    )


def test_checkpoint_with_extensions_round_trip() -> None:
    checkpoint = Checkpoint(ORIGIN, 0, ROOT, ("ext one", "ext two"))
    assert checkpoint.body().endswith("\next one\next two\n")
    assert Checkpoint.from_body(checkpoint.body()) == checkpoint


@settings(max_examples=100, deadline=None)
@given(
    origin=st.text(
        st.characters(min_codepoint=0x20, exclude_characters="\x7f", codec="utf-8"), min_size=1, max_size=40
    ),
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(st.text(st.characters(min_codepoint=0x20, codec="utf-8"), min_size=1, max_size=20), max_size=3),
)
def test_checkpoint_body_round_trip(origin: str, size: int, root: bytes, extensions: list[str]) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(extensions))
    assert Checkpoint.from_body(checkpoint.body()) == checkpoint


def test_cosignature_round_trip() -> None:
    checkpoint, text = _signed_checkpoint()
    cosig = cosign_checkpoint(checkpoint.body(), WITNESS, WITNESS_KEY, 1_700_000_000)
    assert cosig.key_id == cosignature_key_id(WITNESS, WITNESS_KEY.public_key())
    assert cosig.signature[:8] == (1_700_000_000).to_bytes(8, "big")
    assert len(cosig.signature) == 72
    note = parse_signed_note(text).with_signature(cosig)
    reparsed = parse_signed_note(note.text())
    assert verify_cosignature(reparsed, WITNESS, WITNESS_KEY.public_key()) == 1_700_000_000
    # The log signature still verifies alongside the cosignature.
    assert verify_checkpoint(note.text(), ORIGIN, LOG_KEY.public_key()) == checkpoint
    # Same message format as tlog-cosignature §Ed25519 signed message.
    message = f"cosignature/v1\ntime 1700000000\n{checkpoint.body()}".encode()
    WITNESS_KEY.public_key().verify(cosig.signature[8:], message)


def test_cosignature_failures() -> None:
    checkpoint, text = _signed_checkpoint()
    public_key = WITNESS_KEY.public_key()
    cosig = cosign_checkpoint(checkpoint.body(), WITNESS, WITNESS_KEY, 1_700_000_000)
    note = parse_signed_note(text)
    assert "no cosignature" in str(_rejects(lambda: verify_cosignature(note, WITNESS, public_key)))
    cosigned = note.with_signature(cosig)
    _rejects(lambda: verify_cosignature(cosigned, "cn-port-03.pilot.example/witness", public_key))
    _rejects(lambda: verify_cosignature(cosigned, WITNESS, OTHER_KEY.public_key()))
    _rejects(lambda: verify_note(cosigned, WITNESS, public_key))
    # The timestamp is signed.
    later = NoteSignature(cosig.name, cosig.key_id, (1_700_000_001).to_bytes(8, "big") + cosig.signature[8:])
    _rejects(lambda: verify_cosignature(note.with_signature(later), WITNESS, public_key))
    # The body is signed.
    other_body = SignedNote(Checkpoint(ORIGIN, 43, ROOT).body(), (cosig,))
    _rejects(lambda: verify_cosignature(other_body, WITNESS, public_key))
    # Wrong length, timestamp beyond 2**63 - 1.
    short = NoteSignature(cosig.name, cosig.key_id, cosig.signature[:-1])
    assert "71 bytes" in str(_rejects(lambda: verify_cosignature(note.with_signature(short), WITNESS, public_key)))
    huge = NoteSignature(cosig.name, cosig.key_id, (2**63).to_bytes(8, "big") + cosig.signature[8:])
    assert "beyond" in str(_rejects(lambda: verify_cosignature(note.with_signature(huge), WITNESS, public_key)))


def test_cosignature_covers_extension_lines() -> None:
    body = Checkpoint(ORIGIN, 42, ROOT, ("extension",)).body()
    cosig = cosign_checkpoint(body, WITNESS, WITNESS_KEY, 5)
    assert verify_cosignature(SignedNote(body, (cosig,)), WITNESS, WITNESS_KEY.public_key()) == 5
    changed = body.replace("extension", "extensioN")
    _rejects(lambda: verify_cosignature(SignedNote(changed, (cosig,)), WITNESS, WITNESS_KEY.public_key()))


def test_cosign_rejects_bad_arguments() -> None:
    _rejects(lambda: cosign_checkpoint("not a checkpoint\n", WITNESS, WITNESS_KEY, 1))
    body = Checkpoint(ORIGIN, 1, ROOT).body()
    for timestamp in (-1, 2**63):
        with pytest.raises(ValueError, match="timestamp"):
            cosign_checkpoint(body, WITNESS, WITNESS_KEY, timestamp)
    with pytest.raises(ValueError, match="'\\+'"):
        cosign_checkpoint(body, "a+b", WITNESS_KEY, 1)


def test_signing_side_value_errors() -> None:
    with pytest.raises(ValueError, match="newline"):
        sign_note("no newline", ORIGIN, LOG_KEY)
    with pytest.raises(ValueError, match="empty"):
        sign_note("text\n", "", LOG_KEY)
    with pytest.raises(ValueError, match="space"):
        verifier_key("a b", LOG_KEY.public_key())
    with pytest.raises(ValueError, match="key ID"):
        NoteSignature("name", b"abc", b"sig")
    with pytest.raises(ValueError, match="empty"):
        NoteSignature("name", b"abcd", b"")
    with pytest.raises(ValueError, match="root hash"):
        Checkpoint(ORIGIN, 1, b"short")
    with pytest.raises(ValueError, match="u64"):
        Checkpoint(ORIGIN, -1, ROOT)
    with pytest.raises(ValueError, match="origin"):
        Checkpoint("", 1, ROOT)
    with pytest.raises(ValueError, match="extension"):
        Checkpoint(ORIGIN, 1, ROOT, ("",))


# --- Malformed notes and checkpoints ------------------------------------------------------------------

_GOOD_LINE = GO_NOTE[len(GO_TEXT) + 1 :]
_B64_3 = base64.b64encode(b"abc").decode()
_B64_4 = base64.b64encode(b"abcd").decode()

MALFORMED_NOTES = {
    "missing blank line": GO_TEXT + _GOOD_LINE,
    "no signature lines": GO_TEXT + "\n",
    "trailing junk without newline": GO_NOTE + "junk",
    "trailing junk line": GO_NOTE + "junk\n",
    "trailing blank line": GO_NOTE + "\n",
    "hyphen instead of em dash": GO_TEXT + "\n" + _GOOD_LINE.replace("—", "-"),
    "bad base64": GO_TEXT + "\n— PeterNeumann not*base64!\n",
    "unpadded base64": GO_TEXT + "\n" + _GOOD_LINE.replace("=\n", "\n"),
    "non-canonical base64": GO_TEXT + "\n— PeterNeumann " + _B64_4[:-3] + "B==\n",
    "key id only": GO_TEXT + "\n— PeterNeumann " + _B64_4 + "\n",
    "key id too short": GO_TEXT + "\n— PeterNeumann " + _B64_3 + "\n",
    "empty key name": GO_TEXT + "\n—  " + _GOOD_LINE.split(" ")[2],
    "plus in key name": GO_TEXT + "\n" + _GOOD_LINE.replace("PeterNeumann", "Peter+Neumann"),
    "no-break space in key name": GO_TEXT + "\n" + _GOOD_LINE.replace("PeterNeumann", "Peter\u00a0Neumann"),
    "three fields": GO_TEXT + "\n" + _GOOD_LINE.replace("PeterNeumann", "Peter Neumann"),
    "tab in text": GO_NOTE.replace("If you", "If\tyou"),
    "carriage returns": GO_NOTE.replace("\n", "\r\n"),
    "lone surrogate": GO_NOTE.replace("If", "\ud800"),
    "too many signatures": GO_TEXT + "\n" + _GOOD_LINE * (MAX_SIGNATURES + 1),
    "empty": "",
}


@pytest.mark.parametrize("text", MALFORMED_NOTES.values(), ids=MALFORMED_NOTES.keys())
def test_malformed_notes(text: str) -> None:
    _rejects(lambda: parse_signed_note(text))


def test_sixteen_signatures_are_accepted() -> None:
    # signed-note §Format: verifiers MUST accept at least 16 signatures.
    assert len(parse_signed_note(GO_TEXT + "\n" + _GOOD_LINE * 16).signatures) == 16


def test_last_blank_line_separates() -> None:
    # signed-note §Format: the text may contain empty lines; the last one separates.
    text = "a\n\nb\n"
    signature = sign_note(text, "n", LOG_KEY)
    note = parse_signed_note(text + "\n" + signature.line())
    assert note.body == text
    verify_note(note, "n", LOG_KEY.public_key())


_ROOT_B64 = base64.b64encode(ROOT).decode()
MALFORMED_CHECKPOINTS = {
    "two lines": f"{ORIGIN}\n42\n",
    "empty origin": f"\n42\n{_ROOT_B64}\n",
    "leading zero": f"{ORIGIN}\n042\n{_ROOT_B64}\n",
    "negative size": f"{ORIGIN}\n-1\n{_ROOT_B64}\n",
    "plus sign": f"{ORIGIN}\n+1\n{_ROOT_B64}\n",
    "non-ASCII digits": f"{ORIGIN}\n\u0664\u0662\n{_ROOT_B64}\n",
    "size beyond u64": f"{ORIGIN}\n{2**64}\n{_ROOT_B64}\n",
    "short root": f"{ORIGIN}\n42\n{base64.b64encode(ROOT[:31]).decode()}\n",
    "root not base64": f"{ORIGIN}\n42\n{_ROOT_B64[:-1]}*\n",
    "root unpadded": f"{ORIGIN}\n42\n{_ROOT_B64.rstrip('=')}\n",
    "empty extension": f"{ORIGIN}\n42\n{_ROOT_B64}\n\n",
    "no final newline": f"{ORIGIN}\n42\n{_ROOT_B64}",
    "control character": f"{ORIGIN}\x01\n42\n{_ROOT_B64}\n",
}


@pytest.mark.parametrize("body", MALFORMED_CHECKPOINTS.values(), ids=MALFORMED_CHECKPOINTS.keys())
def test_malformed_checkpoints(body: str) -> None:
    _rejects(lambda: Checkpoint.from_body(body))


def test_signed_note_with_malformed_checkpoint_body() -> None:
    body = f"{ORIGIN}\n042\n{_ROOT_B64}\n"
    text = SignedNote(body, (sign_note(body, ORIGIN, LOG_KEY),)).text()
    assert "leading zeroes" in str(_rejects(lambda: verify_checkpoint(text, ORIGIN, LOG_KEY.public_key())))


# --- tlog-witness add-checkpoint ----------------------------------------------------------------------


def test_witness_example_body_parses() -> None:
    old, proof, text = parse_add_checkpoint(WITNESS_EXAMPLE_BODY)
    assert old == 20852014
    assert len(proof) == 4
    assert all(len(element) == 32 for element in proof)
    checkpoint = Checkpoint.from_body(parse_signed_note(text).body)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert format_add_checkpoint(old, proof, text) == WITNESS_EXAMPLE_BODY


def test_add_checkpoint_round_trip_with_a_real_proof() -> None:
    tree = MerkleTree(leaf_hash(bytes([i])) for i in range(11))
    checkpoint = Checkpoint(ORIGIN, 11, tree.root())
    text = sign_checkpoint(checkpoint, ORIGIN, LOG_KEY).text()
    body = format_add_checkpoint(6, tree.consistency_proof(6), text)
    assert body.startswith(b"old 6\n")
    old, proof, received = parse_add_checkpoint(body)
    assert (old, received) == (6, text)
    verified = verify_checkpoint(received, ORIGIN, LOG_KEY.public_key())
    verify_consistency(old, verified.size, tree.root(6), verified.root_hash, proof)
    assert parse_add_checkpoint(format_add_checkpoint(0, [], text)) == (0, [], text)


def _body(*lines: str, note: str | None = None) -> bytes:
    _, text = _signed_checkpoint()
    return ("".join(line + "\n" for line in lines) + "\n" + (text if note is None else note)).encode()


_HASH_B64 = base64.b64encode(bytes(32)).decode()
MALFORMED_ADD_CHECKPOINT = {
    "empty": b"",
    "not UTF-8": b"old 1\n\xff\n\n",
    "no old line": _body(_HASH_B64),
    "capitalised": _body("Old 1"),
    "leading zero": _body("old 01"),
    "negative": _body("old -1"),
    "two spaces": _body("old  1"),
    "no newline at all": b"old 1",
    "no empty line": _body("old 1", _HASH_B64).replace(b"\n\n", b"\n", 1),
    "bad base64": _body("old 1", "%%%"),
    "short hash": _body("old 1", base64.b64encode(bytes(31)).decode()),
    "64 proof lines": _body("old 1", *[_HASH_B64] * 64),
    "not a signed note": _body("old 1", note="just text\n"),
    "note with trailing junk": _body("old 1", note=_signed_checkpoint()[1] + "junk"),
}


@pytest.mark.parametrize("body", MALFORMED_ADD_CHECKPOINT.values(), ids=MALFORMED_ADD_CHECKPOINT.keys())
def test_malformed_add_checkpoint(body: bytes) -> None:
    _rejects(lambda: parse_add_checkpoint(body))


def test_sixty_three_proof_lines_are_accepted() -> None:
    old, proof, _ = parse_add_checkpoint(_body("old 1", *[_HASH_B64] * 63))
    assert (old, len(proof)) == (1, 63)


def test_format_add_checkpoint_rejects_bad_arguments() -> None:
    _, text = _signed_checkpoint()
    with pytest.raises(ValueError, match="u64"):
        format_add_checkpoint(-1, [], text)
    with pytest.raises(ValueError, match="more than 63"):
        format_add_checkpoint(1, [bytes(32)] * 64, text)
    with pytest.raises(ValueError, match="31 bytes"):
        format_add_checkpoint(1, [bytes(31)], text)
    with pytest.raises(ValueError, match="not a signed note"):
        format_add_checkpoint(1, [], "text\n")
