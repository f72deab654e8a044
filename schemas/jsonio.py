"""Strict parsing of untrusted JSON bytes into Python values, refusing everything I-JSON refuses.

What is refused, each with a :class:`~schemas.errors.JsonMalformedError` (code ``JSON_MALFORMED``):
invalid UTF-8, a byte order mark, empty input, trailing data, ``NaN`` / ``Infinity`` / ``-Infinity``,
a duplicate object member name at any depth (RFC 8259 §4 leaves it open; RFC 7493 §2.3 forbids it),
an integer outside the exactly-interoperable range ±(2**53 - 1) (RFC 7493 §2.2; RFC 8785 refuses
2**53 itself, so the parser does too and nothing it accepts can fail canonicalization), a number that
overflows to infinity, a
string holding an unpaired surrogate (RFC 7493 §2.1), and nesting deeper than ``max_depth``.

Depth is measured before parsing by a linear, non-recursive scan, so hostile input such as 100,000
nested ``[`` can never reach the (recursive) C parser or raise ``RecursionError``. (The orjson fast
path below sees it first; orjson refuses nesting beyond 1024 levels by itself, without recursing in
Python, and the refusal sends the input to the strict parser.)

Speed: :func:`parse_json` first parses an input of up to 64 KiB with ``orjson`` and keeps its value only when
a few cheap checks prove the strict parser would return the same value (on a 10.5 KB submission, 120 us ->
50 us); any other input, and every error, goes through the strict parser, so messages and positions are the
strict parser's. See :func:`_parse_fast` for why each check is enough.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any, Final, NoReturn

import orjson

from schemas.errors import JsonMalformedError

__all__ = ["MAX_DEPTH", "MAX_SAFE_INTEGER", "dumps_compact", "parse_json"]

#: Deepest nesting of arrays and objects accepted; the top-level container is depth 1 (docs/design.md §7).
MAX_DEPTH = 64
#: Largest integer magnitude accepted (docs/design.md §7: "an integer beyond +-2^53").
MAX_SAFE_INTEGER = 2**53 - 1

_BOM = b"\xef\xbb\xbf"
# A complete JSON string, or (second branch) an unterminated one swallowing the rest of the input.
# The unrolled form has no nested quantifier over one class, and the fallback branch stops the engine
# from retrying at every later quote: the scan stays linear even on '"\"\"\"...'.
_STRING = re.compile(rb'"[^"\\]*(?:\\[\s\S][^"\\]*)*"|"[\s\S]*')
_STRING_OR_BRACKET = re.compile(rb'"[^"\\]*(?:\\[\s\S][^"\\]*)*"|"|[\[\]{}]')
_NON_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
# Only JSON text with an escaped surrogate can decode to a str with an unpaired one.
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
# 2**53 has 16 digits: a longer digit string is out of range without converting it (and without
# tripping Python's int-from-str digit limit on a megabyte of digits).
_MAX_INT_DIGITS = len(str(MAX_SAFE_INTEGER))

# The fast path (see _parse_fast). Escapes it leaves to the strict parser: a \uD800-\uDFFF surrogate
# (pairing rules) and an escaped colon \u003a (it would skew the colon count). Over-matching (an escaped
# backslash followed by "u003a") only costs a strict parse.
_FAST_PATH_ESCAPES = re.compile(rb"\\u(?:[dD][89a-fA-F]|003[aA])")
# Every digit becomes "0", so a run of _MAX_INT_DIGITS digits is one substring search.
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGIT_RUN = b"0" * _MAX_INT_DIGITS
#: What _parse_fast returns when the strict parser must decide (``None`` is a JSON value).
_NOT_FAST: Final = object()
#: The fast path takes inputs up to this size; larger ones (batches) go to the strict parser. Writing a value
#: again can take many times its text's size (800 KB of ``1,`` nested 60 deep: 130 MiB indented, against 4 MiB
#: for the strict parser), and on a 1 MB batch of submissions measured no faster than the strict parser.
_FAST_PATH_MAX_BYTES = 64 * 1024


def _fail(message: str, position: int | None = None) -> NoReturn:
    where = f" at byte {position}" if position is not None else ""
    raise JsonMalformedError(f"{message}{where}", position=position)


def _outside_strings(data: bytes) -> bytes:
    """``data`` without its strings (``_STRING.sub(b"", data)``), faster when no quote follows a backslash.

    Then every ``"`` opens or closes a string, so the text outside strings is every other piece between
    quotes (an unterminated last string swallows the rest, as ``_STRING``'s fallback branch does): a split
    and a join in C instead of a regex over every string (measured on an 11 KB submission with 972
    quotes: 170 us -> 30 to 50 us, of a 270 us parse). An escaped quote (``\\"``, also at the end of
    ``"...\\\\"``) takes the regex.
    """
    if b'\\"' in data:
        return _STRING.sub(b"", data)
    return b"".join(data.split(b'"')[0::2])


def _check_depth(data: bytes, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth`` with a linear scan that skips string contents."""
    brackets = _outside_strings(data).translate(None, _NON_BRACKETS)
    if not brackets or max(accumulate(map(_DELTA.__getitem__, brackets))) <= max_depth:
        return
    # Slow path, only on failure: find the offending byte offset for the message.
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(data):
        token = match.group()
        if token == b'"':
            _fail("unterminated string", match.start())
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                _fail(f"nesting deeper than {max_depth} arrays/objects", match.start())
        elif token in (b"]", b"}"):
            depth -= 1
    _fail(f"nesting deeper than {max_depth} arrays/objects")  # pragma: no cover - unreachable


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                _fail(f"duplicate object member name {key!r}")
            seen.add(key)
    return obj


def _parse_constant(name: str) -> NoReturn:
    _fail(f"{name} is not a JSON number")


def _parse_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > _MAX_INT_DIGITS or int(digits) > MAX_SAFE_INTEGER:
        shown = text if len(text) <= 40 else text[:20] + "..."
        _fail(f"integer {shown} is beyond +-(2**53 - 1)")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        shown = text if len(text) <= 40 else text[:20] + "..."
        _fail(f"number {shown} overflows a double")
    return value


def _check_surrogates(value: Any) -> None:
    """Refuse strings (keys or values) holding an unpaired surrogate; iterative, depth is bounded."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                _fail("string contains an unpaired UTF-16 surrogate")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _as_bytes(data: bytes | str) -> bytes:
    """The UTF-8 bytes both parsers read; a ``str`` with a BOM or an unpaired surrogate is refused here."""
    if isinstance(data, str):
        if data.startswith("\ufeff"):
            _fail("byte order mark before JSON text", 0)
        try:
            return data.encode("utf-8")
        except UnicodeEncodeError as exc:
            _fail("text contains an unpaired UTF-16 surrogate", exc.start)
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise TypeError(f"parse_json takes bytes or str, not {type(data).__name__}")


def _parse_strict_bytes(raw: bytes, max_depth: int) -> Any:
    """The strict parser: every check of the module docstring, in order, each failure with its message."""
    if raw.startswith(_BOM):
        _fail("byte order mark before JSON text (RFC 8259 §8.1)", 0)
    if not raw.strip(b" \t\r\n"):
        _fail("empty input: expected a JSON value", 0)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(f"invalid UTF-8 ({exc.reason})", exc.start)
    _check_depth(raw, max_depth)
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_pairs,
            parse_constant=_parse_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except json.JSONDecodeError as exc:
        # exc.pos counts characters; report the byte offset so it matches the other messages.
        _fail(exc.msg, len(text[: exc.pos].encode("utf-8")))
    except RecursionError as exc:  # pragma: no cover - the depth scan makes this unreachable
        raise JsonMalformedError("nesting too deep") from exc
    if _ESCAPED_SURROGATE.search(raw):
        _check_surrogates(value)
    return value


def _parse_strict(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """:func:`parse_json` without the fast path (the tests compare the two)."""
    return _parse_strict_bytes(_as_bytes(data), max_depth)


def _parse_fast(raw: bytes, max_depth: int) -> Any:
    """``orjson.loads(raw)`` when that is provably what the strict parser returns, else ``_NOT_FAST``.

    Checked against orjson 3.13 (tests/schemas/test_jsonio_fast_path.py compares both parsers), orjson
    refuses everything the strict parser refuses except three things, each caught below: a duplicate
    member name (orjson keeps the last), an integer beyond +-(2**53 - 1) (orjson returns an int up to
    64 bits and a float beyond), and nesting deeper than ``max_depth`` (orjson allows 1024). It refuses
    a BOM, empty or whitespace-only input, invalid UTF-8 (overlong, encoded surrogates, truncated),
    trailing data, NaN/Infinity, a number that overflows a double (``1e400``), a raw control character in
    a string, whitespace other than space/tab/CR/LF, and an unpaired surrogate escape. Where both accept,
    values agree: same strings, dict order, ``-0`` is int 0 and ``-0.0`` / ``-1e-400`` are float -0.0 in
    both, a number with a fraction or exponent is a float in both and both round correctly, an integer
    up to 64 bits is the exact int. Whenever orjson raises, the strict parser runs and owns the error.
    """
    if len(raw) > _FAST_PATH_MAX_BYTES:
        return _NOT_FAST
    # Escapes that could hide a surrogate or a colon: strict path (cheap: most bodies have no backslash).
    if b"\\" in raw and _FAST_PATH_ESCAPES.search(raw):
        return _NOT_FAST
    # Integers: a JSON integer of at most 15 digits is within +-(2**53 - 1), where orjson's int is exact.
    # Longer digit runs (anywhere, strings included: conservative) may be out of range, or a float from
    # orjson where the strict parser refuses the integer; leave them to the strict parser.
    if _LONG_DIGIT_RUN in raw.translate(_DIGITS_TO_ZERO):
        return _NOT_FAST
    # The root has no line of its own in the indented text below, so depth 1 is decided by the strict path.
    limit = min(max_depth, MAX_DEPTH)
    if limit < 1:
        return _NOT_FAST
    try:
        value = orjson.loads(raw)
        # One serialization answers both remaining questions; orjson.dumps refuses nesting beyond 254.
        indented = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except Exception:  # any refusal, whatever its type: the strict parser decides and words the error
        return _NOT_FAST
    # Depth (capped at MAX_DEPTH so the recursive json parser is never asked for more than the default).
    # With OPT_INDENT_2 every member or element of a container at depth d is on a line of its own indented
    # by 2*d spaces, and a newline byte appears nowhere else (strings escape it). A container at depth
    # limit + 1 is such an item of a container at depth limit, so deeper nesting implies this line start.
    if b"\n" + b" " * (2 * limit) in indented:
        return _NOT_FAST
    # Duplicates: outside strings a colon only separates a member name from its value, one per member.
    # Inside strings a colon is written as itself (orjson never escapes it, and \u003a took the strict
    # path above), so both texts hold the same colons in strings, and raw's count exceeds the
    # re-serialization's by one or more per member orjson dropped as a duplicate (its colon, and any in
    # its name or value). Equal counts: no member was dropped.
    if raw.count(b":") != indented.count(b":"):
        return _NOT_FAST
    return value


def parse_json(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """Parse untrusted JSON strictly, raising :class:`JsonMalformedError` and nothing else."""
    raw = _as_bytes(data)
    value = _parse_fast(raw, max_depth)
    if value is _NOT_FAST:
        return _parse_strict_bytes(raw, max_depth)
    return value


def dumps_compact(value: Any) -> bytes:
    """Compact (not canonical) JSON for the wire: UTF-8, no whitespace, member order as given.

    For values this package builds. orjson writes NaN and the infinities as ``null``; an unsupported
    type or an integer beyond 64 bits raises ``TypeError``. Use ``canonicalize`` for signed bytes.
    """
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        raise TypeError(f"value is not JSON-serializable: {exc}") from exc
