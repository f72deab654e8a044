"""Strict JSON parsing: every hostile input is a JsonMalformedError (code JSON_MALFORMED), nothing else."""

from __future__ import annotations

import json

import pytest

from schemas.codes import Code
from schemas.errors import JsonMalformedError
from schemas.jsonio import MAX_SAFE_INTEGER, dumps_compact, parse_json

# Named hostile cases: (name, input, a fragment the message must contain so a tester can act on it).
HOSTILE: list[tuple[str, bytes | str, str]] = [
    ("empty", b"", "empty"),
    ("only-whitespace", b" \r\n\t ", "empty"),
    ("bom-bytes", b'\xef\xbb\xbf{"a": 1}', "byte order mark"),
    ("bom-str", '\ufeff{"a": 1}', "byte order mark"),
    ("invalid-utf8", b'{"a": "\xff"}', "invalid UTF-8"),
    ("overlong-utf8", b'{"a": "\xc0\xaf"}', "invalid UTF-8"),
    ("utf8-encoded-surrogate", b'{"a": "\xed\xa0\x80"}', "invalid UTF-8"),
    ("truncated-utf8", b'"\xe2\x82"', "invalid UTF-8"),
    ("nan", b'{"a": NaN}', "NaN"),
    ("infinity", b"[Infinity]", "Infinity"),
    ("minus-infinity", b"[-Infinity]", "-Infinity"),
    ("float-overflow", b"[1e400]", "overflows"),
    ("negative-float-overflow", b"[-1e400]", "overflows"),
    ("duplicate-key", b'{"a": 1, "a": 2}', "duplicate"),
    ("duplicate-key-deep", b'{"x": [{"y": {"b": 1, "c": 2, "b": 3}}]}', "'b'"),
    ("int-too-big", b"[9007199254740993]", "2**53"),
    ("int-too-small", b"[-9007199254740993]", "2**53"),
    ("int-huge", b"[" + b"9" * 5000 + b"]", "2**53"),
    ("too-deep-arrays", b"[" * 65 + b"]" * 65, "nesting deeper than 64"),
    ("too-deep-mixed", b'{"a":' * 33 + b"[" * 32 + b"]" * 32 + b"}" * 33, "nesting deeper than 64"),
    ("trailing-garbage", b'{"a": 1} x', "Extra data"),
    ("two-values", b"1 2", "Extra data"),
    ("trailing-comma", b"[1, 2,]", "Expecting value"),
    ("single-quotes", b"{'a': 1}", "Expecting property name"),
    ("unquoted-key", b"{a: 1}", "Expecting property name"),
    ("unterminated-string", b'{"a": "abc', "Unterminated string"),
    ("control-char-in-string", b'["a\x01b"]', "Invalid control character"),
    ("leading-zero", b"[01]", "Expecting"),
    ("comment", b"[1] // no", "Extra data"),
    ("lone-high-surrogate-escape", b'["\\ud800"]', "surrogate"),
    ("lone-low-surrogate-escape-in-key", b'{"\\udc00": 1}', "surrogate"),
    ("lone-surrogate-in-str-input", '["\ud800"]', "surrogate"),
]


@pytest.mark.parametrize(("name", "data", "fragment"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_input_is_json_malformed(name: str, data: bytes | str, fragment: str) -> None:
    with pytest.raises(JsonMalformedError) as info:
        parse_json(data)
    assert info.value.code is Code.JSON_MALFORMED
    assert fragment in str(info.value), str(info.value)


def test_hundred_thousand_open_brackets_never_recurse() -> None:
    # The position is that of the 65th opening bracket.
    cases = [(b"[" * 100_000, 64), (b"[" * 100_000 + b"]" * 100_000, 64), (b'{"a":' * 100_000, 64 * 5)]
    for data, position in cases:
        with pytest.raises(JsonMalformedError) as info:
            parse_json(data)
        assert info.value.position == position


def test_depth_scan_ignores_brackets_inside_strings() -> None:
    text = '["' + "[" * 500 + '\\"' + "{" * 500 + '"]'
    assert parse_json(text) == ["[" * 500 + '"' + "{" * 500]


def test_unterminated_string_after_escaped_quotes_is_fast_and_malformed() -> None:
    with pytest.raises(JsonMalformedError):
        parse_json(b'["' + b'\\"' * 200_000)


def test_depth_limit_is_inclusive_and_configurable() -> None:
    assert parse_json(b"[" * 64 + b"]" * 64) is not None
    assert parse_json(b"[[[]]]", max_depth=3) == [[[]]]
    with pytest.raises(JsonMalformedError, match="deeper than 2"):
        parse_json(b"[[[]]]", max_depth=2)


def test_safe_integer_bounds() -> None:
    assert parse_json(str(MAX_SAFE_INTEGER)) == 2**53 - 1
    assert parse_json(str(-MAX_SAFE_INTEGER)) == -(2**53 - 1)
    for edge in ("9007199254740992", "-9007199254740992"):
        with pytest.raises(JsonMalformedError):
            parse_json(edge)
    assert parse_json("1e300") == 1e300
    assert parse_json("-0") == 0


def test_error_position_is_a_byte_offset() -> None:
    with pytest.raises(JsonMalformedError) as info:
        parse_json('{"é": 1} x'.encode())
    assert info.value.position == 10
    assert "at byte 10" in str(info.value)


def test_non_text_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse_json(42)  # type: ignore[arg-type]


VALID = [
    "null",
    "true",
    "0",
    "-1.5e-7",
    '"a \\u00e9 \\ud83d\\ude02 \\n"',
    "[]",
    "{}",
    '{"a": [1, 2.5, {"b": null}], "c": "\\u0000"}',
    '{"geometry": {"type": "Polygon", "coordinates": [[[101.1, 3.1], [101.2, 3.1], [101.1, 3.1]]]}}',
]


@pytest.mark.parametrize("text", VALID)
def test_valid_json_round_trips(text: str) -> None:
    value = parse_json(text.encode())
    assert value == json.loads(text)
    assert parse_json(dumps_compact(value)) == value
    assert parse_json(text) == value


def test_dumps_compact_is_compact_utf8_in_given_order() -> None:
    assert dumps_compact({"b": 1, "a": ["é", None]}) == '{"b":1,"a":["é",null]}'.encode()
