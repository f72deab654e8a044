"""Names in several languages: the VC 2.0 language value object and the BCP 47 tags it carries.

A language value object (VC Data Model 2.0 §11.1 "Language and Base Direction", JSON-LD 1.1 §4.2.4) is
``{"@value": text, "@language": BCP 47 tag}`` with an optional ``@direction`` (``ltr`` or ``rtl``). UNTP
0.6.1 types every ``name`` as a plain string, so a record keeps ``name`` a string (in the name's own script)
and lists every form of the name, that one included, in the pilot extension term ``names`` (docs/records.md,
"Names in several languages"). Nothing here, nor anywhere in the pilot, normalises text: a name in
decomposed form (NFD) is signed, stored and shown as it came (RFC 8785 §3.2.2.2 does not normalise either).

A tag is checked as RFC 5646 (BCP 47) defines it: well-formed by the §2.1 grammar (irregular grandfathered
tags and tags of private use only are refused), no variant or extension singleton twice (§2.2.5, §2.2.6),
and valid subtags where a registry is at hand: the primary language in ISO 639 (two letters where ISO
639-1 has them, as the IANA registry requires), the script in ISO 15924, the region in ISO 3166-1 or among
UN M.49's region codes. Variants, extensions and private use are checked for form only. Tags are compared
case-insensitively (§2.1.1) and kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Annotated, Literal

import pycountry
from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from schemas._internal.scalars import Text
from schemas.models.base import DataCategory, Opt, PilotModel, cat_field

__all__ = [
    "LANGUAGE_TAG_PATTERN",
    "M49_REGIONS",
    "Direction",
    "LanguageTag",
    "LanguageValue",
    "Names",
    "language_tag_problem",
]

_ALNUM = "[A-Za-z0-9]"
_LANGUAGE = "(?P<language>[A-Za-z]{2,3}(?:-[A-Za-z]{3}){0,3}|[A-Za-z]{4,8})"
_SCRIPT = "(?:-(?P<script>[A-Za-z]{4}))?"
_REGION = "(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
_VARIANTS = f"(?P<variants>(?:-(?:{_ALNUM}{{5,8}}|[0-9]{_ALNUM}{{3}}))*)"
_EXTENSIONS = f"(?P<extensions>(?:-[0-9A-WY-Za-wy-z](?:-{_ALNUM}{{2,8}})+)*)"
_PRIVATE_USE = f"(?P<privateuse>-[Xx](?:-{_ALNUM}{{1,8}})+)?"
#: RFC 5646 §2.1 ``langtag`` (no grandfathered or private-use-only tags), ECMA-262 compatible for JSON Schema.
LANGUAGE_TAG_PATTERN = f"^{_LANGUAGE}{_SCRIPT}{_REGION}{_VARIANTS}{_EXTENSIONS}{_PRIVATE_USE}$"
_TAG = re.compile(LANGUAGE_TAG_PATTERN)
_JSON_SCHEMA_PATTERN = re.sub(r"\?P<[a-z]+>", "?:", LANGUAGE_TAG_PATTERN)

#: UN M.49 region codes that are BCP 47 region subtags (the IANA registry's three-digit regions).
M49_REGIONS = frozenset(
    ("001", "002", "003", "005", "009", "011", "013", "014", "015", "017", "018", "019", "021", "029", "030", "034",
     "035", "039", "053", "054", "057", "061", "142", "143", "145", "150", "151", "154", "155", "202", "419")
)  # fmt: skip

#: The base direction of a name (VC Data Model 2.0 §11.1): left to right or right to left.
Direction = Literal["ltr", "rtl"]


def _language_problem(subtag: str) -> str | None:
    if len(subtag) > 3:
        return "its language subtag is not an ISO 639 code (two or three letters)"
    language = pycountry.languages.get(alpha_2=subtag) if len(subtag) == 2 else pycountry.languages.get(alpha_3=subtag)
    if language is None:
        return "its language subtag is not an ISO 639 code"
    if len(subtag) == 3 and getattr(language, "alpha_2", None):
        return "its language has a two-letter ISO 639-1 code, which BCP 47 requires (ru, not rus)"
    return None


def _region_problem(subtag: str) -> str | None:
    if subtag.isdigit():
        return None if subtag in M49_REGIONS else "its three-digit region subtag is not a UN M.49 region"
    if pycountry.countries.get(alpha_2=subtag.upper()) is None:
        return "its region subtag is not an ISO 3166-1 country code"
    return None


def _repeats(subtags: Sequence[str]) -> bool:
    return len(set(subtags)) != len(subtags)


@cache
def language_tag_problem(tag: str) -> str | None:
    """Why ``tag`` is not a valid BCP 47 language tag (module doc), or None when it is.

    The reason names the kind of subtag at fault, never the tag's text: it may become a receipt reason,
    which quotes no input value (docs/design.md §8).
    """
    match = _TAG.match(tag)
    if match is None:
        return "not a well-formed BCP 47 language tag (RFC 5646 §2.1), such as 'ru' or 'zh-Latn-pinyin'"
    lower = {name: (value or "").lower() for name, value in match.groupdict().items()}
    primary, *extlangs = lower["language"].split("-")
    problem = _language_problem(primary)
    if not problem and any(pycountry.languages.get(alpha_3=extlang) is None for extlang in extlangs):
        problem = "an extended language subtag is not an ISO 639-3 code"
    if not problem and lower["script"] and pycountry.scripts.get(alpha_4=lower["script"].title()) is None:
        problem = "its script subtag is not an ISO 15924 code"
    if not problem and lower["region"]:
        problem = _region_problem(lower["region"])
    if not problem and _repeats(lower["variants"].split("-")[1:]):
        problem = "a variant subtag repeats (RFC 5646 §2.2.5)"
    singletons = [part for part in lower["extensions"].split("-")[1:] if len(part) == 1]
    if not problem and _repeats(singletons):
        problem = "an extension singleton repeats (RFC 5646 §2.2.6)"
    return f"not a valid BCP 47 language tag: {problem}" if problem else None


def _valid_tag(tag: str) -> str:
    problem = language_tag_problem(tag)
    if problem:
        raise PydanticCustomError("language_tag", problem)
    return tag


# The JSON Schema carries the grammar as a pattern; validation here says what is wrong in words instead.
LanguageTag = Annotated[
    str,
    StringConstraints(max_length=64),
    AfterValidator(_valid_tag),
    WithJsonSchema({"type": "string", "maxLength": 64, "pattern": _JSON_SCHEMA_PATTERN}),
]
"""A BCP 47 language tag, e.g. ``ru``, ``ru-Latn``, ``zh-Hans``, ``zh-Latn-pinyin`` (module doc)."""


class LanguageValue(PilotModel):
    """A text in one language (VC Data Model 2.0 §11.1): ``@value``, ``@language``, optional ``@direction``."""

    value: Text = cat_field(DataCategory.PUBLIC, alias="@value")
    language: LanguageTag = cat_field(DataCategory.PUBLIC, alias="@language")
    direction: Opt[Direction] = cat_field(DataCategory.PUBLIC, None, alias="@direction")


def _distinct_languages(values: list[LanguageValue]) -> list[LanguageValue]:
    seen: set[str] = set()
    for value in values:
        key = value.language.lower()
        if key in seen:
            raise PydanticCustomError(
                "language_repeated",
                "a language tag appears twice (tags compare case-insensitively): give one name per language",
            )
        seen.add(key)
    return values


Names = Annotated[list[LanguageValue], Field(min_length=1, max_length=16), AfterValidator(_distinct_languages)]
"""Every form of a name, one per language tag (the pilot extension term ``names``)."""
