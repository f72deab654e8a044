"""parse_json's orjson fast path returns exactly what the strict parser returns, or leaves it the input.

Differential tests: on generated JSON texts (dumped Python values; hand-built texts with duplicate member
names, big integers, exponents, escapes, surrogate escapes, odd whitespace and nesting; byte-level
mutations of those; random bytes) ``parse_json`` and ``_parse_strict`` either both return values equal
under a type-aware comparison (``1`` is not ``1.0``, ``-0.0`` is not ``0.0``, member order counts) or both
raise ``JsonMalformedError`` with the same message and position. Other tests pin the orjson behaviour the
fast path relies on, and that the fast path is really taken on a typical submission.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import jsonio
from schemas.errors import JsonMalformedError
from schemas.jsonio import _NOT_FAST, MAX_DEPTH, _parse_fast, _parse_strict, parse_json
from tests.schemas.test_jsonio import HOSTILE, VALID

SETTINGS = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types all the way down, floats by sign too, dict members in order."""
    pairs = [(a, b)]  # iterative: the nesting tests go deeper than the recursion limit allows
    while pairs:
        x, y = pairs.pop()
        if type(x) is not type(y):
            return False
        if isinstance(x, dict):
            if list(x) != list(y):
                return False
            pairs.extend((x[key], y[key]) for key in x)
        elif isinstance(x, list):
            if len(x) != len(y):
                return False
            pairs.extend(zip(x, y, strict=True))
        elif isinstance(x, float):
            if x != y or math.copysign(1.0, x) != math.copysign(1.0, y):
                return False
        elif x != y:
            return False
    return True


def _outcome(parse: Any, data: Any, max_depth: int) -> tuple[str, Any, Any]:
    """("value", value, None) or ("error", message, position); any other exception fails the test."""
    try:
        return ("value", parse(data, max_depth=max_depth), None)
    except JsonMalformedError as exc:
        return ("error", str(exc), exc.position)


def _assert_same_outcome(first: tuple[str, Any, Any], second: tuple[str, Any, Any], data: Any) -> None:
    assert first[0] == second[0], (data, first, second)
    if first[0] == "value":
        assert _same(first[1], second[1]), (data, first[1], second[1])
    else:
        assert first == second, (data, first, second)


def assert_agree(data: Any, max_depth: int = MAX_DEPTH) -> tuple[str, Any, Any]:
    """parse_json and the strict parser return the same value, or raise the same error; returns it."""
    strict = _outcome(_parse_strict, data, max_depth)
    _assert_same_outcome(_outcome(parse_json, data, max_depth), strict, data)
    return strict


def _takes_fast_path(data: bytes, max_depth: int = MAX_DEPTH) -> bool:
    return _parse_fast(data, max_depth) is not _NOT_FAST


# -- generated inputs -------------------------------------------------------------------------------

_EDGE_NUMBERS = [
    "0",
    "-0",
    "-0.0",
    "0.0",
    "-0e0",
    "-0.0e5",
    "1e400",
    "-1e400",
    "1e-400",
    "-1e-400",
    "1E2",
    "1e+2",
    "999999999999999",
    "-999999999999999",
    "1000000000000000",
    "9007199254740991",
    "-9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "-9007199254740993",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "-9223372036854775809",
    "1" + "0" * 30,
    "1.7976931348623157e308",
    "1.7976931348623158e308",
    "1.7976931348623159e308",
    "2.4703282292062327e-324",
    "2.4703282292062328e-324",
    "5e-324",
    "123456789012345.123456789012345",
    "0.000000000000001",
    "1e999999999999999",
    "0e999999999999999",
    "1e0000000000000001",
    "NaN",
    "Infinity",
    "-Infinity",
    "01",
    "-01",
    "1.",
    ".5",
    "+1",
    "1e",
    "1e+",
    "-",
    "0x10",
]
# Well-formed JSON numbers (some out of range, overflowing or underflowing), then the edge list.
GOOD_NUMBERS = st.from_regex(r"-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,24})?([eE][-+]?[0-9]{1,4})?", fullmatch=True)
NUMBERS = st.sampled_from(_EDGE_NUMBERS) | GOOD_NUMBERS
# Pieces of string contents: escapes, escaped colons, paired surrogate escapes, brackets and colons that
# must not count, raw non-ASCII, long digit runs; then pieces the strict parser refuses.
_GOOD_STRING_PIECES = [
    "a",
    "é",
    "😂",
    ":",
    "[",
    "]",
    "{",
    "}",
    ",",
    '\\"',
    "\\\\",
    "\\/",
    "\\n",
    "\\t",
    "\\u0041",
    "\\u00e9",
    "\\u003a",
    "\\u003A",
    "\\u0000",
    "\\ud83d\\ude02",
    "\\uD83D\\uDE02",
    "\x7f",
    "\u2028",
    "\ufffe",
    "1234567890123456",
]
_BAD_STRING_PIECES = ["\\ud800", "\\udc00", "\\ud800\\u0041", "\\x", "\\u12", "\x01", "\x1f", "\t", "\n"]
GOOD_STRINGS = st.lists(st.sampled_from(_GOOD_STRING_PIECES), max_size=5).map(lambda p: '"' + "".join(p) + '"')
STRINGS = st.lists(st.sampled_from(_GOOD_STRING_PIECES + _BAD_STRING_PIECES), max_size=5).map(
    lambda pieces: '"' + "".join(pieces) + '"'
)
# Few distinct names, so duplicates (also spelled differently: "a" and "\u0061") are frequent.
_NAMES = ['"a"', '"b"', '"\\u0061"', '":"', '"\\u003a"', '"a:b"', '""']
GOOD_LITERALS = st.sampled_from(["true", "false", "null"])
LITERALS = st.sampled_from(["true", "false", "null", "True", "nul", "NaN"])
# JSON whitespace; then characters other parsers (or str.isspace) take for whitespace.
GOOD_WS = st.sampled_from(["", "", "", " ", "\n", "\t", "\r\n", "  "])
WS = GOOD_WS | st.sampled_from(["\x0c", "\x0b", "\xa0", "\u2028", "\x1c", "\x00"])


def _texts(
    leaves: st.SearchStrategy[str], names: st.SearchStrategy[str], ws: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """JSON-like texts: arrays and objects of ``leaves``, members named by ``names``, ``ws`` between tokens."""

    def containers(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        item = st.tuples(ws, children, ws).map("".join)
        member = st.tuples(ws, names, ws, ws, children, ws).map(lambda p: f"{p[0]}{p[1]}{p[2]}:{p[3]}{p[4]}{p[5]}")
        arrays = st.lists(item, max_size=4).map(lambda items: "[" + ",".join(items) + "]")
        objects = st.lists(member, max_size=4).map(lambda members: "{" + ",".join(members) + "}")
        return arrays | objects

    return st.tuples(ws, st.recursive(leaves, containers, max_leaves=20), ws).map("".join)


# Well-formed texts: both parsers usually accept them, so values are compared (duplicates, big integers,
# exponents, escapes, nesting are what remains). Then texts with hostile pieces anywhere.
GOOD_TEXTS = _texts(GOOD_NUMBERS | GOOD_STRINGS | GOOD_LITERALS, st.sampled_from(_NAMES) | GOOD_STRINGS, GOOD_WS)
BUILT_TEXTS = _texts(NUMBERS | STRINGS | LITERALS, st.sampled_from(_NAMES) | STRINGS, WS)

_KEY_TEXT = st.text(max_size=4) | st.sampled_from(["a", "b", ":", "a:b", "[", "{", "\\", '"', "\n", "😂"])
_INTS = st.integers(-(2**53), 2**53) | st.integers(-(2**70), 2**70) | st.integers(-999, 999)
VALUES = st.recursive(
    st.none() | st.booleans() | _INTS | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEY_TEXT, children, max_size=4),
    max_leaves=30,
)
DUMP_OPTIONS = st.fixed_dictionaries(
    {
        "ensure_ascii": st.booleans(),
        "indent": st.sampled_from([None, 0, 2, "\t"]),
        "separators": st.sampled_from([None, (",", ":"), (", ", ": ")]),
    }
)
DEPTHS = st.sampled_from([MAX_DEPTH, MAX_DEPTH, 1, 2, 3, 4, 0, -1, 100])
# Bytes that break texts in interesting ways: quotes, escapes, structure, invalid UTF-8, a BOM, NUL,
# non-JSON whitespace, exponent letters, digits that lengthen a number.
_MUTATION_BYTES = [
    b'"',
    b"\\",
    b":",
    b",",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\xff",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xe2\x82",
    b"\xef\xbb\xbf",
    b"\x00",
    b"\x0c",
    b"e",
    b"E",
    b"-",
    b".",
    b"0",
    b"9" * 16,
    b"u",
    b" ",
]


@st.composite
def mutated(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> bytes:
    data = bytearray(draw(texts).encode("utf-8"))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "replace", "delete"]))
        if op == "delete":
            del data[at : at + draw(st.integers(1, 3))]
        else:
            piece = draw(st.sampled_from(_MUTATION_BYTES))
            data[at : at + (len(piece) if op == "replace" else 0)] = piece
    return bytes(data)


# -- differential properties ------------------------------------------------------------------------


@settings(SETTINGS, max_examples=600)
@given(VALUES, DUMP_OPTIONS, DEPTHS)
def test_dumped_values_agree(value: Any, options: dict[str, Any], max_depth: int) -> None:
    assert_agree(json.dumps(value, **options).encode(), max_depth)


@settings(SETTINGS, max_examples=1500)
@given(GOOD_TEXTS, DEPTHS)
def test_well_formed_texts_agree(text: str, max_depth: int) -> None:
    assert_agree(text.encode(), max_depth)


@settings(SETTINGS, max_examples=800)
@given(BUILT_TEXTS, DEPTHS)
def test_hostile_texts_agree(text: str, max_depth: int) -> None:
    assert_agree(text.encode(), max_depth)


@settings(SETTINGS, max_examples=800)
@given(mutated(GOOD_TEXTS | VALUES.map(json.dumps)), DEPTHS)
def test_mutated_texts_agree(data: bytes, max_depth: int) -> None:
    assert_agree(data, max_depth)


@settings(SETTINGS, max_examples=300)
@given(st.binary(max_size=40))
def test_random_bytes_agree(data: bytes) -> None:
    assert_agree(data)


@settings(SETTINGS, max_examples=300)
@given(GOOD_TEXTS | BUILT_TEXTS, st.sampled_from(["str", "bytearray", "memoryview"]))
def test_other_input_types_agree(text: str, kind: str) -> None:
    """A str, bytearray or memoryview gives what its UTF-8 bytes give, on both paths."""
    raw = text.encode()
    data: Any = {"str": text, "bytearray": bytearray(raw), "memoryview": memoryview(raw)}[kind]
    _assert_same_outcome(assert_agree(data), _outcome(parse_json, raw, MAX_DEPTH), data)


@settings(SETTINGS, max_examples=2000)
@given(
    st.integers(0, 10**40),
    st.integers(0, 40),
    st.integers(-340, 340),
    st.booleans(),
)
def test_number_literals_agree(mantissa: int, point: int, exponent: int, negative: bool) -> None:
    """Floats both ways round the same (every digit string, exponents to both overflow and underflow)."""
    digits = str(mantissa)
    point = min(point, len(digits) - 1)
    body = digits[: len(digits) - point] + ("." + digits[len(digits) - point :] if point else "")
    for literal in (body, f"{body}e{exponent}", f"{body}E{exponent:+d}"):
        assert_agree(("-" if negative else "") + literal)


@settings(SETTINGS, max_examples=500)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_shortest_float_reprs_agree(value: float) -> None:
    for text in (repr(value), json.dumps(value), orjson.dumps(value).decode()):
        assert_agree(f"[{text}]")


@pytest.mark.parametrize("depth", [1, 2, 3, 4, 63, 64, 65, 66, 200, 255, 1024, 1025])
@pytest.mark.parametrize("max_depth", [0, 1, 2, 3, 64, 100, 2000])
def test_nesting_agrees(depth: int, max_depth: int) -> None:
    for opener, closer, leaf in (("[", "]", "1"), ('{"a":', "}", "[]"), ('[{"b":', "}]", '"x"')):
        assert_agree((opener * depth + leaf + closer * depth).encode(), max_depth)
    assert_agree(("[" * depth + "]" * depth).encode(), max_depth)


EDGE_TEXTS = (
    [case[1] for case in HOSTILE]
    + [text.encode() for text in VALID]
    + [f"[{number}]".encode() for number in _EDGE_NUMBERS]
    + [number.encode() for number in _EDGE_NUMBERS]
    + [
        b'{"a":1,"a":2}',
        b'{"a":1,"\\u0061":2}',
        b'{"a":1,"a":2,"\\u003a":3}',
        b'{"a:":{"b":1},"a:":2}',
        b'{"x":{"a":1},"y":{"a":1}}',
        b'[{"a":1},{"a":1}]',
        b'"\\ud83d\\ude02"',
        b'"\\ud800\\udc00"',
        b'"\xef\xbf\xbf"',
        b"\t[1]\r\n",
        b"[1]\x0c",
        b"\x0c[1]",
        b"[1]\xa0",
        b"true",
        b'"x"',
        b"null",
        b"1",
    ]
)


@pytest.mark.parametrize("data", EDGE_TEXTS)
def test_edge_texts_agree(data: bytes | str) -> None:
    assert_agree(data)


# -- the fast path is taken, and each check works -----------------------------------------------------


def test_fast_path_is_taken_on_a_typical_submission(monkeypatch: pytest.MonkeyPatch) -> None:
    from pilot.bench.workload import make_work

    body = make_work(2, "m")[1].body
    expected = _parse_strict(body)
    assert _takes_fast_path(body)

    def no_strict(raw: bytes, max_depth: int) -> Any:
        raise AssertionError("the strict parser ran")

    monkeypatch.setattr(jsonio, "_parse_strict_bytes", no_strict)
    assert _same(parse_json(body), expected)
    assert _same(parse_json(body.decode()), expected)


@pytest.mark.parametrize(
    "text",
    [
        "null",
        "true",
        "0",
        "-0",
        "-0.0",
        '"x"',
        "[]",
        "{}",
        "-1.5e-7",
        "[1.5e300]",
        '{"a": [1, 2.5, {"b": null}], "c": "\\u0000", "d": "a:b[{"}',
        '{"geometry": {"type": "Polygon", "coordinates": [[[101.1, 3.1], [101.2, 3.1], [101.1, 3.1]]]}}',
        " \t\r\n[999999999999999, -999999999999999]\n",
        "[" * 64 + "]" * 64,
    ],
)
def test_fast_path_is_taken_on_plain_documents(text: str) -> None:
    assert _takes_fast_path(text.encode())
    assert_agree(text)


@pytest.mark.parametrize(
    ("text", "max_depth", "why"),
    [
        ('{"a": 1, "a": 2}', MAX_DEPTH, "duplicate, orjson keeps the last"),
        ('{"x": [{"y": {"b": 1, "c": 2, "b": 3}}]}', MAX_DEPTH, "deep duplicate"),
        ('{"a": 1, "\\u0061": 2}', MAX_DEPTH, "duplicate spelled with an escape"),
        ('{"a": 1, "a": 2, "\\u003a": 3}', MAX_DEPTH, "escaped colon would hide the duplicate"),
        ('{"\\u003a": 1}', MAX_DEPTH, "escaped colon"),
        ("[9007199254740993]", MAX_DEPTH, "orjson returns the out-of-range int"),
        ("[18446744073709551616]", MAX_DEPTH, "orjson returns a float for the out-of-range int"),
        ("[1000000000000000]", MAX_DEPTH, "16 digits: conservative"),
        ('["1234567890123456"]', MAX_DEPTH, "16 digits in a string: conservative"),
        ('["\\ud83d\\ude02"]', MAX_DEPTH, "surrogate escapes are left to the strict parser"),
        ("[[[]]]", 2, "deeper than max_depth"),
        ("[[[1]]]", 3, "as deep as max_depth with items at the bottom: conservative"),
        ("[" * 65 + "]" * 65, MAX_DEPTH, "deeper than MAX_DEPTH"),
        ("[" * 70 + "]" * 70, 100, "deeper than MAX_DEPTH: capped, the strict parser decides"),
        ("[]", 0, "max_depth below 1"),
        ("1e400", MAX_DEPTH, "orjson refuses"),
        ("[1,]", MAX_DEPTH, "orjson refuses"),
        ("", MAX_DEPTH, "orjson refuses"),
    ],
)
def test_fast_path_defers(text: str, max_depth: int, why: str) -> None:
    assert not _takes_fast_path(text.encode(), max_depth), why
    assert_agree(text, max_depth)


def test_large_inputs_go_to_the_strict_parser() -> None:
    # Nested 60 deep, every element on a line of 120 spaces once indented: written out, many times the text.
    hostile = b"[" * 60 + b",".join([b"1"] * 40_000) + b"]" * 60
    assert len(hostile) > jsonio._FAST_PATH_MAX_BYTES
    assert not _takes_fast_path(hostile)
    assert_agree(hostile.decode(), MAX_DEPTH)
    plain = json.dumps({"items": [{"n": n, "name": f"item {n}"} for n in range(5_000)]}).encode()
    assert len(plain) > jsonio._FAST_PATH_MAX_BYTES
    assert not _takes_fast_path(plain)
    assert _takes_fast_path(plain[: plain.index(b"}, {") + 1] + b"]}")


def test_orjson_behaviour_the_fast_path_relies_on() -> None:
    """If an orjson upgrade changes one of these, re-check _parse_fast's reasoning."""
    # What it leaves to the checks.
    assert orjson.loads(b'{"a": 1, "a": 2}') == {"a": 2}
    assert orjson.loads(b"9007199254740993") == 9007199254740993
    assert type(orjson.loads(b"18446744073709551616")) is float
    assert type(orjson.loads(b"-9223372036854775809")) is float
    assert orjson.loads(b"[" * 1024 + b"]" * 1024) is not None
    # What it refuses, like the strict parser.
    for data in [
        b"",
        b" \n",
        b"\xef\xbb\xbf1",
        b"1e400",
        b"-1e400",
        b"1.7976931348623159e308",
        b"NaN",
        b"Infinity",
        b"-Infinity",
        b"1 2",
        b"[1,]",
        b"01",
        b"1.",
        b'"a\x01"',
        b'"a\n"',
        b'"\xff"',
        b'"\xc0\xaf"',
        b'"\xed\xa0\x80"',
        b'"\xf4\x90\x80\x80"',
        b'"\\ud800"',
        b'"\\udc00"',
        b'"\\x"',
        b"\x0c1",
        b"1\x0b",
        b"\xc2\xa01",
    ]:
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(data)
    # Values that must match the strict parser's exactly.
    assert type(orjson.loads(b"-0")) is int
    assert math.copysign(1.0, orjson.loads(b"-0.0")) == -1.0
    assert math.copysign(1.0, orjson.loads(b"-1e-400")) == -1.0
    assert type(orjson.loads(b"1e2")) is float
    # The serialization the depth and duplicate checks read.
    assert orjson.dumps({"a:b": ["c:d\n"]}, option=orjson.OPT_INDENT_2) == b'{\n  "a:b": [\n    "c:d\\n"\n  ]\n}'
    assert orjson.dumps([[[]], {}], option=orjson.OPT_INDENT_2) == b"[\n  [\n    []\n  ],\n  {}\n]"
