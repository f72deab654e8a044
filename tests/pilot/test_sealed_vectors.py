"""Keeping published sealed tokens (``pilot.sealed_vectors.SealedTokens``): a token is kept only when it opens,
under the same key id and header, to exactly the plaintext that would be sealed now."""

from __future__ import annotations

import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pilot.sandbox import build_sandbox
from pilot.sealed_vectors import SealedTokens, committed_sealed_tokens, sealed_tokens_of
from pilot.synthetic import laboratory_results
from schemas.keyring import AgreementKeyEntry
from schemas.sealing import open_sealed, seal
from tests.support.files import VECTORS

SANDBOX = build_sandbox()
CREDENTIAL = json.loads((VECTORS / "valid" / "credential-conformity-credential.json").read_text())


def _entry(port_id: str, label: str = "key-4") -> AgreementKeyEntry:
    return next(e for e in SANDBOX.agreement_keys[port_id] if e.verification_method.endswith("#" + label))


def _keys() -> dict[str, X25519PrivateKey]:
    return {e.verification_method: e.private_key for entries in SANDBOX.agreement_keys.values() for e in entries}


def _tokens(*published: str) -> SealedTokens:
    return SealedTokens(published, _keys())


def test_a_published_token_for_the_same_plaintext_and_key_is_kept() -> None:
    entry = _entry("cn-port-03")
    published = seal(CREDENTIAL, entry.private_key.public_key(), entry.verification_method)
    assert _tokens(published).seal(CREDENTIAL, entry) == published


def test_a_changed_plaintext_is_sealed_afresh() -> None:
    entry = _entry("cn-port-03")
    published = seal(CREDENTIAL, entry.private_key.public_key(), entry.verification_method)
    changed = {**CREDENTIAL, "validUntil": "2036-12-31T00:00:00Z"}
    token = _tokens(published).seal(changed, entry)
    assert token != published
    assert open_sealed(token, {entry.verification_method: entry.private_key}).credential == changed


def test_another_key_is_sealed_afresh() -> None:
    current, retired = _entry("cn-port-03"), _entry("cn-port-03", "key-5")
    published = seal(CREDENTIAL, current.private_key.public_key(), current.verification_method)
    token = _tokens(published).seal(CREDENTIAL, retired)
    assert token != published
    assert open_sealed(token, {retired.verification_method: retired.private_key}).kid == retired.verification_method


def test_a_token_that_does_not_open_is_never_kept() -> None:
    entry = _entry("cn-port-03")
    published = seal(CREDENTIAL, entry.private_key.public_key(), entry.verification_method)
    parts = published.split(".")
    parts[3] = ("B" if parts[3][0] == "A" else "A") + parts[3][1:]
    assert _tokens(".".join(parts)).seal(CREDENTIAL, entry) not in (".".join(parts), published)


def test_the_committed_sealed_vectors_are_read_back(tmp_path: Path) -> None:
    assert committed_sealed_tokens(tmp_path) == []
    tokens = committed_sealed_tokens(VECTORS)
    valid = json.loads((VECTORS / "sealed" / "valid" / "submission-sealed-laboratory.json").read_text())
    assert sealed_tokens_of(valid)[0] in tokens


def test_laboratory_values_name_their_sample_and_differ_by_key() -> None:
    one, other = laboratory_results("s", "020714", "a"), laboratory_results("s", "020714", "b")
    assert one == laboratory_results("s", "020714", "a")
    sample = one[0]["test"].rsplit(" ", 1)[1]
    assert sample.startswith("LAB-") and all(sample in r["test"] and sample in r["result"] for r in one)
    assert {r["result"] for r in one}.isdisjoint({r["result"] for r in other})
    assert all(v.isascii() for r in one for v in r.values())
