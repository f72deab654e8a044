"""Validated scalar types of the wire contract: ISO 3166 codes, HS codes, Rec 20 units, digests, DIDs, times.

Each is an ``Annotated`` alias whose validation is real (pycountry for ISO 3166, the HS 2022 chapter
table for HS codes) and whose JSON Schema says what a string must look like.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any, Literal

import pycountry
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainSerializer,
    StringConstraints,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

__all__ = [
    "HS_CHAPTER_LAST_HEADING",
    "REC20_UNITS",
    "B64Hash",
    "CountryCode",
    "Date",
    "DateTime",
    "Did",
    "Digest",
    "EstablishmentNumber",
    "Finite",
    "HsCode",
    "HsHeading",
    "HsPrefix",
    "NonNegativeInt",
    "PositiveNumber",
    "Rec20Unit",
    "ShortId",
    "SubdivisionCode",
    "SubmissionId",
    "Text",
    "Uri",
    "VerificationMethodId",
    "format_datetime",
]

# --- plain patterns -----------------------------------------------------------------------------------

Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
"""A non-empty human-readable string."""

Uri = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$", max_length=2048)]
"""An absolute URI such as ``urn:uuid:...`` or ``https://...`` (RFC 3986 scheme, no whitespace)."""

ShortId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{3,32}$")]
"""A participant's short id, e.g. ``ru-exp-01``."""

SubmissionId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._:-]{1,128}$")]
"""A submission (and consignment) id, e.g. ``ru-exp-01-c000123``."""

Did = Annotated[
    str,
    StringConstraints(pattern=r"^did:web:[A-Za-z0-9.-]+(%3[Aa][0-9]+)?(:[A-Za-z0-9._~%-]+)*$", max_length=512),
]
"""A ``did:web`` identifier; the pilot's are ``did:web:pilot.example:<short id>``."""

VerificationMethodId = Annotated[
    str,
    StringConstraints(
        pattern=r"^did:web:[A-Za-z0-9.-]+(%3[Aa][0-9]+)?(:[A-Za-z0-9._~%-]+)*#[A-Za-z0-9._~-]+$",
        max_length=600,
    ),
]
"""A key id: a ``did:web`` DID and a fragment, e.g. ``did:web:pilot.example:ru-exp-01#key-1``."""

Digest = Annotated[str, StringConstraints(pattern=r"^sha-256:[0-9a-f]{64}$")]
"""``sha-256:`` and 64 lowercase hex digits (docs/design.md §4)."""

EstablishmentNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}-[0-9]{3,8}$")]
"""An establishment's registration number, e.g. ``RU-BEL-0001``."""

# --- ISO 3166 -----------------------------------------------------------------------------------------


@cache
def _known_countries() -> frozenset[str]:
    return frozenset(str(country.alpha_2) for country in pycountry.countries)


@cache
def _known_subdivisions() -> frozenset[str]:
    return frozenset(str(subdivision.code) for subdivision in pycountry.subdivisions)


def _country(value: str) -> str:
    if value not in _known_countries():
        raise PydanticCustomError("country_code", f"expected an ISO 3166-1 alpha-2 country code, found {value!r}")
    return value


def _subdivision(value: str) -> str:
    if value not in _known_subdivisions():
        raise PydanticCustomError(
            "subdivision_code", f"expected an ISO 3166-2 subdivision code such as 'RU-BEL', found {value!r}"
        )
    return value


CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country)]
"""An ISO 3166-1 alpha-2 code known to pycountry, e.g. ``RU``."""

SubdivisionCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}-[A-Z0-9]{1,3}$"), AfterValidator(_subdivision)]
"""An ISO 3166-2 code known to pycountry, e.g. ``RU-BEL``."""

# --- HS codes -----------------------------------------------------------------------------------------

#: The last heading of each agri-food chapter (01-24) of the HS 2022 nomenclature.
HS_CHAPTER_LAST_HEADING: dict[int, int] = {
    1: 6, 2: 10, 3: 9, 4: 10, 5: 11, 6: 4, 7: 14, 8: 14, 9: 10, 10: 8, 11: 9, 12: 14,
    13: 2, 14: 4, 15: 22, 16: 5, 17: 4, 18: 6, 19: 5, 20: 9, 21: 6, 22: 9, 23: 9, 24: 4,
}  # fmt: skip


def _hs(value: str) -> str:
    chapter = int(value[:2])
    if chapter not in HS_CHAPTER_LAST_HEADING:
        raise PydanticCustomError(
            "hs_chapter",
            f"expected an agri-food HS code (chapter 01-24), found chapter {value[:2]} in {value!r}",
        )
    last = HS_CHAPTER_LAST_HEADING[chapter]
    if len(value) >= 4 and not 1 <= int(value[2:4]) <= last:
        raise PydanticCustomError(
            "hs_heading",
            f"HS chapter {value[:2]} has headings {value[:2]}01-{value[:2]}{last:02d}; "
            f"found heading {value[:4]} in {value!r}",
        )
    return value


HsCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$"), AfterValidator(_hs)]
"""A 6-digit HS subheading in an agri-food chapter (01-24) with a heading that exists, e.g. ``020714``."""

HsHeading = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$"), AfterValidator(_hs)]
"""A 4-digit HS heading in an agri-food chapter, e.g. ``0207``."""

HsPrefix = Annotated[str, StringConstraints(pattern=r"^([0-9]{4}|[0-9]{6})$"), AfterValidator(_hs)]
"""A 4- or 6-digit HS prefix, as used in port policies."""

# --- UN/CEFACT Recommendation 20 ----------------------------------------------------------------------

#: The UN/CEFACT Rec 20 unit codes the pilot accepts, with their names.
REC20_UNITS: dict[str, str] = {
    "KGM": "kilogram",
    "TNE": "tonne (metric ton)",
    "GRM": "gram",
    "MGM": "milligram",
    "LTR": "litre",
    "MLT": "millilitre",
    "MTQ": "cubic metre",
    "MTK": "square metre",
    "HAR": "hectare",
    "MTR": "metre",
    "KMT": "kilometre",
    "H87": "piece",
    "NAR": "number of articles",
    "C62": "one (unit)",
    "P1": "percent",
    "CEL": "degree Celsius",
    "KWH": "kilowatt hour",
    "HUR": "hour",
    "DAY": "day",
    "ANN": "year",
}

Rec20Unit = Literal[
    "KGM", "TNE", "GRM", "MGM", "LTR", "MLT", "MTQ", "MTK", "HAR", "MTR",
    "KMT", "H87", "NAR", "C62", "P1", "CEL", "KWH", "HUR", "DAY", "ANN",
]  # fmt: skip
"""A UN/CEFACT Rec 20 unit code from :data:`REC20_UNITS`."""

# --- dates and times ----------------------------------------------------------------------------------

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and _RFC3339.match(value):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("datetime_value", f"expected a real date and time, found {value!r}") from None
    else:
        raise PydanticCustomError(
            "datetime_format",
            f"expected an RFC 3339 date-time with a time zone like '2025-03-01T08:00:00Z', found {value!r}",
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError(
            "datetime_naive", f"expected a date-time with a time zone (e.g. 'Z'), found naive {value!r}"
        )
    return parsed.astimezone(UTC)


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``, fractional seconds only when present (trailing zeros dropped)."""
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def _parse_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("date_value", f"expected a real calendar date, found {value!r}") from None
    raise PydanticCustomError("date_format", f"expected a date 'YYYY-MM-DD' (RFC 3339 full-date), found {value!r}")


DateTime = Annotated[
    datetime,
    BeforeValidator(_parse_datetime),
    PlainSerializer(format_datetime, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": _RFC3339.pattern}),
]
"""An RFC 3339 date-time with a time zone; naive times are refused; always written in UTC with ``Z``."""

Date = Annotated[
    date,
    BeforeValidator(_parse_date),
    PlainSerializer(date.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _DATE.pattern}),
]
"""An RFC 3339 full-date, ``YYYY-MM-DD``."""

# --- base64 hashes ------------------------------------------------------------------------------------


def _b64_hash(value: str) -> str:
    try:
        raw = base64.b64decode(value, validate=True)
    except binascii.Error:
        raw = b""
    if len(raw) != 32 or base64.b64encode(raw).decode("ascii") != value:
        raise PydanticCustomError(
            "b64_hash", f"expected standard padded base64 of 32 bytes (44 characters), found {value!r}"
        )
    return value


B64Hash = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+/]{43}=$"), AfterValidator(_b64_hash)]
"""A SHA-256 hash in RFC 4648 section 4 base64 (standard alphabet, padded)."""

# --- numbers ------------------------------------------------------------------------------------------

Finite = Annotated[float, Field(allow_inf_nan=False)]
"""A finite number (JSON has no NaN or Infinity)."""

PositiveNumber = Annotated[float, Field(gt=0, allow_inf_nan=False)]
"""A finite number greater than zero."""

NonNegativeInt = Annotated[int, Field(ge=0)]
"""An integer greater than or equal to zero."""
