"""Which of the pilot's languages a language tag, an ``Accept-Language`` header or the environment asks for.

The pilot speaks English, Russian and Chinese (Simplified): ``en``, ``ru``, ``zh``. A tag is matched by its
primary subtag (RFC 4647 lookup, case-insensitive): ``ru-RU`` and ``ru_RU.UTF-8`` are ``ru``; ``zh-Hans``,
``zh-CN`` and every other ``zh-*`` are ``zh``, the only Chinese catalogue. Anything else is no language of
ours, and the answer falls back to English.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Final, Literal, get_args

from schemas.names import language_ranges

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LOCALE_VARIABLES",
    "Language",
    "environment_language",
    "language_of",
    "negotiate_language",
]

Language = Literal["en", "ru", "zh"]
#: The pilot's languages, English (the default and the language of every message id) first.
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
DEFAULT_LANGUAGE: Final[Language] = "en"

_PRIMARY = re.compile(r"^\s*([A-Za-z]{1,8})(?:[-_.@][^\s]*)?\s*$")
#: Environment variables read by ``environment_language``, in the order gettext reads them.
LOCALE_VARIABLES: Final[tuple[str, ...]] = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def language_of(tag: str | None) -> Language | None:
    """The pilot's language for a language tag or a POSIX locale name, or None when it is none of them."""
    if not tag:
        return None
    match = _PRIMARY.match(tag)
    if match is None:
        return None
    primary = match.group(1).lower()
    return primary if primary in LANGUAGES else None


@lru_cache(maxsize=512)
def negotiate_language(accept_language: str | None) -> Language:
    """The language to answer in for an ``Accept-Language`` header (RFC 9110 §12.5.4), English by default.

    The header is read by ``schemas.names.language_ranges``, the pilot's one parser of it: ranges by quality
    (``q``, 1 when absent), the header's order breaking ties; a range with ``q=0`` is refused, and one with
    an invalid weight (RFC 9110 §12.4.2) or that is no language range is ignored. The first range that
    names one of ours wins; ``*`` accepts English. None of ours: English.
    """
    for language_range in language_ranges(accept_language):
        if language_range == "*":
            return DEFAULT_LANGUAGE
        language = language_of(language_range)
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


def environment_language(environ: Mapping[str, str]) -> Language:
    """The language a POSIX environment asks for: ``LANGUAGE`` (a colon-separated list), then the first
    set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``; English when none names one of ours (``C``, ``POSIX``).
    """
    for tag in environ.get("LANGUAGE", "").split(":"):
        language = language_of(tag)
        if language is not None:
            return language
    for name in LOCALE_VARIABLES[1:]:
        value = environ.get(name)
        if value:
            return language_of(value) or DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE
