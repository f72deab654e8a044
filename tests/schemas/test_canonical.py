"""RFC 8785: the published vectors, a differential test against the reference, and the error domain.

The published vectors are cyberphone/json-canonicalization ``testdata/input`` and ``testdata/output``
(SOURCES.md in the reference directory), read from ``<reference dir>/jcs/`` at test time, never copied.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.canonical import canonicalize, canonicalize_reference, format_number
from schemas.codes import Code
from schemas.errors import CanonicalizationError
from schemas.jsonio import parse_json

#: Every file of the upstream testdata (checked against the directory by the first test).
VECTOR_NAMES = ["arrays.json", "french.json", "structures.json", "unicode.json", "values.json", "weird.json"]
CANONICALIZERS = [canonicalize, canonicalize_reference]


@pytest.mark.reference
def test_all_published_vectors_are_present(reference_dir: Path) -> None:
    for side in ("input", "output"):
        assert sorted(path.name for path in (reference_dir / "jcs" / side).glob("*.json")) == VECTOR_NAMES


@pytest.mark.reference
@pytest.mark.parametrize("name", VECTOR_NAMES)
@pytest.mark.parametrize("function", CANONICALIZERS, ids=lambda f: f.__name__)
def test_published_vector(reference_dir: Path, name: str, function: Any) -> None:
    value = parse_json((reference_dir / "jcs" / "input" / name).read_bytes())
    # Compared byte for byte: the upstream output files have no trailing newline.
    assert function(value) == (reference_dir / "jcs" / "output" / name).read_bytes()


# cyberphone/json-canonicalization testdata/README.md: IEEE-754 bit patterns and their ES6 form.
ES6_NUMBERS = [
    ("4340000000000001", "9007199254740994"),
    ("4340000000000002", "9007199254740996"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("8000000000000000", "0"),
    ("0", "0"),
]


@pytest.mark.parametrize(("bits", "expected"), ES6_NUMBERS)
def test_es6_number_serialization(bits: str, expected: str) -> None:
    value = struct.unpack(">d", bytes.fromhex(bits.zfill(16)))[0]
    assert format_number(value) == expected
    for function in CANONICALIZERS:
        assert function([value]) == f"[{expected}]".encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-0.001, "-0.001"),
        (56.0, "56"),
        (2.0**60, "1152921504606847000"),
        (333333333.33333329, "333333333.3333333"),
    ],
)
def test_format_number_known_answers(value: float, expected: str) -> None:
    assert format_number(value) == expected


def test_fast_path_and_general_path_both_agree() -> None:
    # Fast path: no integral/exponent floats, ASCII names. General path: each of the triggers.
    fast = {"b": [1, 2.5, "x,1.0]"], "a": {"é": "\ue000"}}
    general = [{"b": 1.0}, {"b": 1e30}, {"\U0001f602": 1, "\ufb33": 2}, [1e-7]]
    for value in [fast, *general]:
        assert canonicalize(value) == canonicalize_reference(value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("nan", [math.nan]),
        ("infinity", {"a": math.inf}),
        ("negative-infinity", -math.inf),
        ("int-2**53", [2**53]),
        ("int-minus-2**53", {"a": -(2**53)}),
        ("huge-int", [10**30]),
        ("non-string-key", {1: "a"}),
        ("lone-surrogate", ["\ud800"]),
        ("lone-surrogate-key", {"\udc00": 1}),
        ("set", {"a": {1, 2}}),
        ("bytes", [b"x"]),
    ],
)
def test_unrepresentable_values_raise_canonicalization_error(name: str, value: Any) -> None:
    for function in CANONICALIZERS:
        with pytest.raises(CanonicalizationError) as info:
            function(value)
        assert info.value.code is Code.JSON_MALFORMED


def test_safe_integer_edges_are_accepted() -> None:
    for value in (2**53 - 1, -(2**53) + 1, 0, True, None):
        assert canonicalize([value]) == canonicalize_reference([value]) == json.dumps([value]).encode()


def test_deep_nesting_agrees_beyond_orjson_limit() -> None:
    value: Any = []
    for _ in range(300):
        value = [value]
    assert canonicalize(value) == canonicalize_reference(value) == b"[" * 301 + b"]" * 301


def test_subclasses_and_tuples_are_plain_json() -> None:
    from collections import OrderedDict
    from enum import IntEnum, StrEnum

    class Colour(StrEnum):
        RED = "red"

    class Size(IntEnum):
        BIG = 3

    value = OrderedDict([("z", (Colour.RED, Size.BIG)), ("a", 1.0)])
    assert canonicalize(value) == canonicalize_reference(value) == b'{"a":1,"z":["red",3]}'


# Cheap strategies, weighted towards the places where canonicalizers go wrong.
_TRICKY_CHARS = ["a", "Z", "1", "é", "\x00", "\x1f", "\x7f", '"', "\\", "/", "\u2028", "\ue000", "\uffff"]
_TRICKY_CHARS += ["\U0001f602", "\U00010000", "\U0010ffff", "\ufb33", "€"]
_chars = st.sampled_from(_TRICKY_CHARS) | st.characters(codec="utf-8")
_names = st.text(_chars, max_size=4)
_floats = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([-0.0, 5e-324, 1.7976931348623157e308, 1e21, 1e-7, 1e-6, 1e16, 2.0**53, 0.1])
    | st.integers(-(2**60), 2**60).map(float)
)
_scalars = st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _floats | st.text(_chars, max_size=6)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_names, children, max_size=5),
    max_leaves=8,
)


@settings(max_examples=10_000, deadline=None, database=None)
@given(_json)
def test_differential_against_reference(value: Any) -> None:
    assert canonicalize(value) == canonicalize_reference(value)
