"""RFC 8785 JSON Canonicalization Scheme (JCS): the exact bytes that are hashed and signed.

Two implementations that must agree byte for byte (a hypothesis differential test and the published
RFC 8785 vectors check it):

* :func:`canonicalize_reference` is Trail of Bits' ``rfc8785`` package, kept as the oracle;
* :func:`canonicalize` lets ``orjson`` write the value with sorted members. orjson's string escaping
  is exactly §3.2.2.2's (only ``"``, ``\\`` and U+0000..U+001F are escaped, with ``\\b \\t \\n
  \\f \\r`` short forms and otherwise ``\\u00xx`` in lowercase hex; ``/``, U+007F and non-ASCII
  are written as UTF-8), and its float tokens are the ECMAScript ones except ``x.0`` and exponent
  forms. When the output holds such a float, or member names where code point order and the UTF-16
  order of §3.2.3 may differ, a general path rebuilds the value with members sorted by UTF-16 code
  units and numbers formatted by :func:`format_number` (ECMA-262 Number::toString), then writes it.

Measured on a 3.3 KB credential-like document (CPython 3.11, orjson 3.13, rfc8785 0.1.4, a shared
2-core machine, best of 5 x 5,000 calls): ``canonicalize_reference`` 200-250 us per call;
``canonicalize`` 8-20 us on the fast path (about 25x faster) and 50-90 us when the document holds
an integral or exponent-form float and takes the general path (about 3-4x faster).

Both accept what ``rfc8785`` accepts: ``dict`` (``str`` keys), ``list``, ``tuple``, ``str``, ``bool``,
``None``, finite ``float`` and ``int`` within +-(2**53 - 1), and raise
:class:`~schemas.errors.CanonicalizationError` for anything else. (``parse_json`` lets exactly +-2**53
through, as docs/design.md §7 says; such a value then fails here, with the same JSON_MALFORMED code.)
Outside the JSON data model the fast path is laxer than the oracle: orjson writes a ``uuid.UUID``
or a plain ``enum.Enum`` member inside a container natively, where ``rfc8785`` raises.
"""

from __future__ import annotations

import math
import re
from typing import Any

import orjson
import rfc8785

from schemas.errors import CanonicalizationError

__all__ = ["canonicalize", "canonicalize_reference", "format_number"]

# RFC 8785 §3.2.2.3 / I-JSON: integers must be exactly representable as IEEE 754 doubles. This is
# rfc8785's bound (Number.MAX_SAFE_INTEGER); kept identical so that both implementations agree.
_INT_LIMIT = 2**53 - 1


def canonicalize_reference(value: Any) -> bytes:
    """RFC 8785 bytes of ``value`` computed by the ``rfc8785`` package (the reference oracle)."""
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(str(exc)) from exc
    except UnicodeError as exc:  # rfc8785 0.1.4 lets this out for an unpaired surrogate in a name
        raise CanonicalizationError("input contains non-UTF-8 codepoints") from exc
    except RecursionError as exc:
        raise CanonicalizationError("value is nested too deeply to canonicalize") from exc


def format_number(value: float) -> str:
    """ECMAScript ``Number.prototype.toString`` of a finite double (ECMA-262 §7.1.12.1, RFC 8785 §3.2.2.3).

    Python's ``repr`` yields the shortest digit string that round-trips, correctly rounded, which is
    the ``s`` / ``k`` of the ECMAScript algorithm; only the layout differs, and is redone here.
    """
    if not math.isfinite(value):
        raise CanonicalizationError(f"{value!r} is not representable in JSON (RFC 8785 §3.2.2.3)")
    if value == 0:
        return "0"  # both +0 and -0 (ECMA-262: "If m is +0 or -0, return "0"")
    if value < 0:
        return "-" + format_number(-value)
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    # value == 0.<digits> * 10**point once leading zeros are dropped.
    point = len(whole) + (int(exponent) if exponent else 0)
    significant = digits.lstrip("0")
    point -= len(digits) - len(significant)
    digits = significant.rstrip("0")
    k, n = len(digits), point
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    sign = "+" if e >= 0 else "-"
    head = digits if k == 1 else digits[0] + "." + digits[1:]
    return f"{head}e{sign}{abs(e)}"


def _utf16_key(name: str) -> bytes:
    return name.encode("utf-16-be", "surrogatepass")


def _prepare_int(value: int) -> int:
    if not -_INT_LIMIT <= value <= _INT_LIMIT:
        raise CanonicalizationError(f"{value} exceeds the safe integer domain of JSON numbers")
    return int(value)


def _prepare_float(value: float) -> Any:
    if value.is_integer() and -_INT_LIMIT <= value <= _INT_LIMIT:
        # Exactly the integer: below 2**53 the shortest round-trip digits are the integer's own.
        return int(value)
    return orjson.Fragment(format_number(value).encode("ascii"))


def _prepare(value: Any) -> Any:
    """A copy of ``value`` that orjson writes as RFC 8785: members sorted, numbers pre-formatted."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return value
    if isinstance(value, dict):
        try:
            names = sorted(value)
            plain = "".join(names).isascii()
        except TypeError as exc:
            raise CanonicalizationError("object member names must be strings") from exc
        # RFC 8785 §3.2.3: sort by UTF-16 code units. Code point order (Python's) differs only when
        # an astral character meets U+E000..U+FFFF, which needs non-ASCII names; re-sort only then.
        if not plain:
            names.sort(key=_utf16_key)
        return {name: _prepare(value[name]) for name in names}
    if isinstance(value, list | tuple):
        return [_prepare(item) for item in value]
    if isinstance(value, str | bool):
        return value
    if isinstance(value, int):
        return _prepare_int(value)
    if isinstance(value, float):
        return _prepare_float(value)
    raise CanonicalizationError(f"{type(value).__name__} is not a JSON type")


def _canonicalize_general(value: Any) -> bytes:
    try:
        prepared = _prepare(value)
    except RecursionError as exc:
        raise CanonicalizationError("value is nested too deeply to canonicalize") from exc
    try:
        return orjson.dumps(prepared)
    except orjson.JSONEncodeError:
        # Unpaired surrogates, or nesting beyond orjson's limit: the reference decides (and raises
        # CanonicalizationError itself when RFC 8785 cannot represent the value).
        return canonicalize_reference(value)


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not handled by the fast path")


# Fast path: orjson sorts members by code point and writes every number itself. Its output is the
# RFC 8785 output unless (a) a float prints as ``x.0`` or with an exponent (ES formats those
# differently; every other orjson float token is the ES one, both being shortest round-trip), (b) a
# NaN or an infinity was written as null, or (c) member names mix astral characters with
# U+E000..U+FFFF, where code point and UTF-16 order disagree. All are looked for in the output,
# conservatively (a string that merely looks like such a token, or holds such characters, also
# matches; so does a real null), and send the value to the general path.
_FAST_OPTIONS = (
    orjson.OPT_SORT_KEYS
    | orjson.OPT_STRICT_INTEGER
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
# orjson writes an integral float as "x.0" and switches to exponents outside [1e-5, 1e16); the
# exponent always has a sign. A number token is always followed by ',' ']' or '}' inside a container.
# orjson also writes NaN and the infinities as null, so any null goes the general path, which refuses
# them (RFC 8785 §3.2.2.3).
_INTEGRAL_FLOAT = re.compile(rb"\.0[,\]}]")
_EXPONENT_FLOAT = re.compile(rb"e[-+][0-9]+[,\]}]")
_UTF8_ASTRAL_LEADS = (b"\xf0", b"\xf1", b"\xf2", b"\xf3", b"\xf4")


def _mixes_astral_and_high_bmp(out: bytes) -> bool:
    """Whether UTF-8 ``out`` holds both a U+E000..U+FFFF character and an astral one."""
    return (b"\xee" in out or b"\xef" in out) and any(lead in out for lead in _UTF8_ASTRAL_LEADS)


def canonicalize(value: Any) -> bytes:
    """RFC 8785 bytes of ``value``; identical to :func:`canonicalize_reference`, several times faster."""
    if not isinstance(value, dict | list):
        return _canonicalize_general(value)  # a scalar or a subclass: no fast path needed
    try:
        out = orjson.dumps(value, default=_refuse, option=_FAST_OPTIONS)
    except orjson.JSONEncodeError:
        # A type the fast path leaves alone (subclasses, big ints, surrogates, deep nesting...).
        return _canonicalize_general(value)
    if (
        b"null" in out
        or _INTEGRAL_FLOAT.search(out)
        or _EXPONENT_FLOAT.search(out)
        or (not out.isascii() and _mixes_astral_and_high_bmp(out))
    ):
        return _canonicalize_general(value)
    return out
