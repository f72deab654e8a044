"""Each shortcut of the verification path agrees with the plain computation it replaces, on many inputs.

Per-class field plans against a full walk of the model, the base58 decoder against the ``base58``
package, the unsecured document's bytes cut from the whole document's against canonicalizing it,
the quote-split depth scan against its regex, the array-built polygon against ``shapely``'s class.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import base58
import pytest
import shapely
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from shapely.geometry import Polygon as ShapelyPolygon

from schemas.canonical import canonicalize
from schemas.codes import Code
from schemas.data_integrity import (
    _with_proof,
    _without_proof,
    read_proof,
    sign_data_integrity,
    sign_data_integrity_canonical,
    verify_data_integrity,
)
from schemas.errors import KeyFormatError, VerificationError
from schemas.jsonio import _STRING, _outside_strings
from schemas.keys import key_from_seed
from schemas.models import CREDENTIAL_TYPES, DataCategory, field_categories, validate_model
from schemas.models.base import PilotModel, _escape, _may_hold_model, cat_field, category_of
from schemas.models.geometry import _region_box, _shape
from schemas.multikey import (
    _b58decode,
    decode_multibase_base58btc,
    decode_multikey,
    decode_x25519_multikey,
    encode_multikey,
    encode_x25519_multikey,
)
from tests.support import examples as ex

# -- field categories: a plan per model class -------------------------------------------------------


def _walk_every_value(value: Any, pointer: str, out: list[tuple[str, DataCategory]]) -> None:
    """The walk before plans: every field of every model, every item of every list and dict."""
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            member = getattr(value, name)
            if member is None:
                continue
            inner = f"{pointer}/{_escape(info.alias or name)}"
            out.append((inner, category_of(type(value), name)))
            _walk_every_value(member, inner, out)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _walk_every_value(item, f"{pointer}/{index}", out)
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk_every_value(item, f"{pointer}/{_escape(str(key))}", out)


def _without_optional_members(doc: Any, keep: int) -> Any:
    """``doc`` with every ``keep``-th optional-looking member dropped (to vary which fields are present)."""
    if isinstance(doc, dict):
        names = [name for name in doc if name not in {"@context", "id", "type", "issuer", "credentialSubject"}]
        dropped = set(names[keep % max(len(names), 1) :: 3]) if keep else set()
        return {name: _without_optional_members(value, keep) for name, value in doc.items() if name not in dropped}
    if isinstance(doc, list):
        return [_without_optional_members(item, keep) for item in doc]
    return doc


@pytest.mark.parametrize("name", sorted(CREDENTIAL_TYPES))
def test_field_categories_match_a_walk_of_every_value(name: str) -> None:
    checked = 0
    for keep in range(4):
        doc = _without_optional_members(ex.EXAMPLES[name](), keep)
        model, _ = validate_model(CREDENTIAL_TYPES[name], doc)
        if model is None:
            continue  # dropped a member the record needs
        expected: list[tuple[str, DataCategory]] = []
        _walk_every_value(model, "", expected)
        assert field_categories(model) == expected
        checked += 1
    assert checked >= 1


class _Inner(PilotModel):
    value: int = cat_field(DataCategory.COMMERCIAL)


class _Uncategorized(PilotModel):
    label: str = cat_field(DataCategory.PUBLIC)
    note: str | None = None  # no category: a bug, found when the field is present
    loose: dict[str, Any] | None = cat_field(DataCategory.PUBLIC, default=None)


def test_a_field_without_category_fails_only_when_present() -> None:
    assert field_categories(_Uncategorized(label="x")) == [("/label", DataCategory.PUBLIC)]
    with pytest.raises(TypeError, match="note has no data category"):
        field_categories(_Uncategorized(label="x", note="y"))


def test_a_model_inside_an_untyped_member_is_still_found() -> None:
    # ``dict[str, Any]`` may hold a model (built in code, not parsed): such members are walked.
    inner = _Inner(value=3)
    model = _Uncategorized.model_construct(label="x", loose={"a/b": [inner]})
    assert field_categories(model) == [
        ("/label", DataCategory.PUBLIC),
        ("/loose", DataCategory.PUBLIC),
        ("/loose/a~1b/0/value", DataCategory.COMMERCIAL),
    ]


@pytest.mark.parametrize(
    ("annotation", "walked"),
    [
        (str, False),
        (int | None, False),
        (list[float], False),
        (list[list[list[float]]], False),
        (Literal["a", "b"], False),
        (DataCategory, False),
        (_Inner, True),
        (list[_Inner] | None, True),
        (dict[str, _Inner], True),
        (dict[str, Any], True),
        (Any, True),
        (list, True),
        (object, True),
    ],
)
def test_which_field_types_are_walked(annotation: Any, walked: bool) -> None:
    assert _may_hold_model(annotation) is walked


# -- base58 -------------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=80), st.integers(0, 4))
def test_base58_decoder_matches_the_package(data: bytes, zeros: int) -> None:
    encoded = base58.b58encode(bytes(zeros) + data).decode("ascii")
    if not encoded:
        return  # the empty string is refused before decoding
    assert _b58decode(encoded) == base58.b58decode(encoded) == bytes(zeros) + data
    assert decode_multibase_base58btc("z" + encoded) == bytes(zeros) + data


@settings(max_examples=200, deadline=None, database=None)
@given(st.text("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", min_size=1, max_size=100))
def test_base58_decoder_matches_the_package_on_any_digits(text: str) -> None:
    assert _b58decode(text) == base58.b58decode(text)


# -- the unsecured document's bytes, cut from the whole document's --------------------------------------

_KEY = key_from_seed(b"fast paths")

_chars = st.sampled_from(["a", "z", "é", '"', "\\", "/", "\ue000", "\U0001f602", "p", "q"]) | st.characters(
    codec="utf-8"
)
_names = st.sampled_from(["@context", "id", "type", "proo", "proof0", "proofs", "q", "pr", "z", "é"]) | st.text(
    _chars, max_size=6
)
_scalars = (
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.floats(allow_nan=False, allow_infinity=False)
)
_json = st.recursive(
    _scalars | st.text(_chars, max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_names, children, max_size=3),
    max_leaves=4,
)


@settings(max_examples=150, deadline=None, database=None)
@given(st.dictionaries(_names, _json, max_size=5), _json)
def test_unsecured_bytes_cut_from_the_whole_match_canonicalizing(members: dict[str, Any], proof: Any) -> None:
    document = {**members, "proof": proof}
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    assert _without_proof(document, canonicalize(document)) == canonicalize(unsecured)


@settings(max_examples=150, deadline=None, database=None)
@given(st.dictionaries(_names, _json, max_size=5), _json)
def test_secured_bytes_spliced_into_the_unsecured_match_canonicalizing(members: dict[str, Any], proof: Any) -> None:
    unsecured = {name: value for name, value in members.items() if name != "proof"}
    assert _with_proof(unsecured, canonicalize(unsecured), proof) == canonicalize({**unsecured, "proof": proof})


@settings(max_examples=100, deadline=None, database=None)
@given(st.dictionaries(_names, _json, max_size=5))
def test_signing_to_canonical_bytes_matches_canonicalizing_the_signed(document: dict[str, Any]) -> None:
    signed = sign_data_integrity(document, _KEY, "did:web:farm.example#key-1", created="2026-01-01T00:00:00Z")
    canonical = sign_data_integrity_canonical(
        document, _KEY, "did:web:farm.example#key-1", created="2026-01-01T00:00:00Z"
    )
    assert canonical == canonicalize(signed)  # Ed25519 signatures are deterministic (RFC 8032)


def test_unsecured_bytes_are_not_cut_from_bytes_of_another_proof() -> None:
    document = {"id": "a", "proof": {"x": 1}, "type": ["T"]}
    other = canonicalize({"id": "a", "proof": {"x": 2}, "type": ["T"]})
    assert _without_proof(document, other) is None


_SIGNED = sign_data_integrity(
    {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:x", "type": ["VerifiableCredential"], "z": 1.5},
    _KEY,
    "did:web:farm.example#key-1",
    created="2026-01-01T00:00:00Z",
)


@pytest.mark.parametrize(
    ("change", "verifies"),
    [
        (lambda d: None, True),
        (lambda d: d.update(z=2.5), False),
        (lambda d: d.update(validUntil="2027-01-01T00:00:00Z"), False),
        (lambda d: d["proof"].update(created="2026-01-02T00:00:00Z"), False),
        # The document is hashed with the proof's @context (vc-di-eddsa §3.3.2 step 4), not its own.
        (lambda d: d.update({"@context": [*d["@context"], "https://other.example/v1"]}), True),
        (lambda d: d.update({"@context": d["@context"][0]}), True),
    ],
    ids=["intact", "member", "added-after-proof", "proof-option", "longer-context", "context-string"],
)
def test_verifying_with_the_whole_bytes_decides_as_without(change: Any, verifies: bool) -> None:
    document = copy.deepcopy(_SIGNED)
    change(document)
    outcomes: list[list[tuple[str, str]] | None] = []
    for canonical in (None, canonicalize(document)):
        try:
            verify_data_integrity(document, _KEY.public_key(), read_proof(document), canonical=canonical)
            outcomes.append(None)
        except VerificationError as exc:
            outcomes.append([(p.code, p.path) for p in exc.problems])
    assert outcomes[0] == outcomes[1]
    assert (outcomes[0] is None) is verifies


def test_a_proof_read_once_carries_its_decoded_signature() -> None:
    proof = read_proof(_SIGNED)
    assert proof.signature == decode_multibase_base58btc(_SIGNED["proof"]["proofValue"])
    assert len(proof.signature) == 64
    with pytest.raises(VerificationError) as caught:
        read_proof({**_SIGNED, "proof": {**_SIGNED["proof"], "proofValue": "z" + "1" * 10}})
    assert caught.value.problems[0].code == Code.PROOF_INVALID


# -- the depth scan's text outside strings --------------------------------------------------------------


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.sampled_from([b'"', b"\\", b"[", b"]", b"{", b"}", b"a", b":", b",", b"\\\\", b'\\"']), max_size=40))
def test_text_outside_strings_matches_the_regex(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    assert _outside_strings(data) == _STRING.sub(b"", data)


# -- polygons -----------------------------------------------------------------------------------------

_coordinate = st.floats(-180, 180, allow_nan=False) | st.integers(-180, 180)


@settings(max_examples=100, deadline=None, database=None)
@given(
    st.lists(st.lists(st.tuples(_coordinate, _coordinate, _coordinate), min_size=3, max_size=7), min_size=1, max_size=3)
)
def test_polygon_built_from_arrays_matches_shapely_class(rings: list[list[tuple[float, float, float]]]) -> None:
    closed = [[list(p[:2]) if index % 2 else list(p) for index, p in enumerate([*ring, ring[0]])] for ring in rings]
    plain = [[(p[0], p[1]) for p in ring] for ring in closed]
    expected = ShapelyPolygon(plain[0], plain[1:])
    built = _shape(closed)
    assert shapely.to_wkb(built) == shapely.to_wkb(expected)
    assert built.is_valid == expected.is_valid


def test_region_box_is_made_once() -> None:
    first = _region_box((35.6, 50.1, 38.9, 51.2))
    assert _region_box((35.6, 50.1, 38.9, 51.2)) is first
    assert first.bounds == (35.6, 50.1, 38.9, 51.2)


# -- public keys, decoded once --------------------------------------------------------------------------


def test_public_keys_are_decoded_once_and_bad_values_still_refused() -> None:
    text = encode_multikey(_KEY.public_key())
    assert decode_multikey(text) is decode_multikey(text)
    assert decode_multikey(text).public_bytes_raw() == _KEY.public_key().public_bytes_raw()
    agreement = encode_x25519_multikey(X25519PrivateKey.from_private_bytes(bytes(range(1, 33))).public_key())
    assert decode_x25519_multikey(agreement) is decode_x25519_multikey(agreement)
    for bad in (["z6Mk"], None, "z", text[:-2], agreement):
        with pytest.raises(KeyFormatError):
            decode_multikey(bad)  # type: ignore[arg-type]
