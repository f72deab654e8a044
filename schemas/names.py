"""Which form of a name to show a reader: the one in the reader's language, the others kept at hand.

A name travels as a plain ``name`` and, where it has several languages, the list ``names`` of VC 2.0
language value objects (``schemas.models.language``; docs/records.md). :func:`choose_name` picks the form
for a reader's language ranges (most preferred first, as :func:`language_ranges` reads them from an
``Accept-Language`` header or a locale):

1. RFC 4647 §3.4 "Lookup": each range in turn, then shortened one subtag at a time (``zh-Hans-CN``,
   ``zh-Hans``, ``zh``), is compared case-insensitively with the tags of ``names``; the first equal wins.
   ``ru`` and ``ru-RU`` therefore find the Cyrillic form tagged ``ru``, never the transliteration
   ``ru-Latn`` (so the pilot tags a name in its language's usual script with the bare language tag);
2. no match: the English form, else the first in Latin script (a reader who reads neither Cyrillic nor
   Hanzi reads a transliteration more likely than the original);
3. none of those, or no ``names``: ``name`` itself.

The other forms come with the choice; so does ``name`` when it is none of the forms of ``names`` (tagged
``und``, BCP 47's "undetermined"), so that nothing a record says is hidden from its reader.

Values are returned as they are, never normalised. Works on wire dicts and on models alike, so the
dashboards' JSON, the trust list and the reports all take it. ``node_core/dashboard_shared/names.js`` does
the same in the browser; a test holds the two to the same answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["ChosenName", "choose_name", "language_ranges", "lookup", "name_label"]

#: RFC 4647 §2.1 ``language-range``: ``*`` or a tag of 1-8 letters then subtags of 1-8 letters or digits.
_RANGE = re.compile(r"\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")
#: RFC 9110 §12.4.2 ``weight`` (``q`` is case-insensitive; white space around ``;`` and ``=`` tolerated).
_WEIGHT = re.compile(r"\s*q\s*=\s*(?P<qvalue>0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ChosenName:
    """The form shown (``value``, its ``language`` and ``direction``), and every other form as (tag, value)."""

    value: str
    language: str | None
    direction: str | None
    others: tuple[tuple[str, str], ...]


def _truncated(language_range: str) -> str:
    """RFC 4647 §3.4: drop the last subtag, and a single-character subtag left at the end with it."""
    head = language_range.rpartition("-")[0]
    if len(head) >= 2 and head[-2] == "-":
        head = head[:-2]
    return head


def lookup(tags: Sequence[str], ranges: Iterable[str]) -> int | None:
    """The index in ``tags`` of the RFC 4647 §3.4 lookup result for ``ranges`` (wildcards skipped), or None."""
    lowered = [tag.lower() for tag in tags]
    for language_range in ranges:
        candidate = language_range.strip().lower()
        while candidate and candidate != "*":
            if candidate in lowered:
                return lowered.index(candidate)
            candidate = _truncated(candidate)
    return None


def language_ranges(accept_language: str | None) -> list[str]:
    """The ranges of an ``Accept-Language`` header (RFC 9110 §12.5.4) or a POSIX locale, best first.

    The one parser of such headers in the pilot (``node_core.languages.negotiate_language`` is built on it).
    Each range is weighed by its ``q`` (1 when absent); equal weights keep their order. A range with ``q=0``
    is not acceptable and left out. A range with an invalid weight (not a qvalue of RFC 9110 §12.4.2, ``0``
    to ``1`` with at most three decimals, such as ``q=high``, ``q=2`` or ``q=0.0001``), with any other
    parameter, or that is not a language range (RFC 4647 §2.1) is ignored, as §12.4.2 asks, never given a
    weight of its own. A locale such as ``ru_RU.UTF-8`` or a ``LANGUAGE`` list (``ru:en``) reads as
    ``ru-RU`` (and ``en``); ``C`` and ``POSIX`` name no language.
    """
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").replace(":", ",").split(",")):
        language_range, *params = item.split(";")
        language_range = language_range.split(".")[0].split("@")[0].replace("_", "-").strip()
        if not _RANGE.fullmatch(language_range) or language_range.upper() in ("C", "POSIX"):
            continue
        weight = _weight(params)
        if weight is not None and weight > 0:
            weighted.append((-weight, position, language_range))
    return [language_range for _, _, language_range in sorted(weighted)]


def _weight(params: Sequence[str]) -> float | None:
    """The weight of a range's parameters: 1 for none, its qvalue for one ``q=``, None when malformed."""
    if not params:
        return 1.0
    match = _WEIGHT.fullmatch(params[0]) if len(params) == 1 else None
    return float(match["qvalue"]) if match is not None else None


def _forms(names: Iterable[Any] | None) -> list[tuple[str, str, str | None]]:
    """(tag, value, direction) of each well-formed entry of ``names`` (dicts or ``LanguageValue`` models)."""
    forms: list[tuple[str, str, str | None]] = []
    for item in names or ():
        if isinstance(item, Mapping):
            value, tag, direction = item.get("@value"), item.get("@language"), item.get("@direction")
        else:
            value, tag, direction = (getattr(item, k, None) for k in ("value", "language", "direction"))
        if isinstance(value, str) and isinstance(tag, str):
            forms.append((tag, value, direction if isinstance(direction, str) else None))
    return forms


def _fallback(forms: Sequence[tuple[str, str, str | None]]) -> int | None:
    for index, (tag, _, _) in enumerate(forms):
        if tag.lower() == "en" or tag.lower().startswith("en-"):
            return index
    for index, (tag, _, _) in enumerate(forms):
        if "latn" in tag.lower().split("-")[1:]:
            return index
    return None


def choose_name(name: str | None, names: Iterable[Any] | None, ranges: Sequence[str]) -> ChosenName:
    """The form of a name to show a reader whose language ranges are ``ranges`` (module doc).

    ``name`` is the plain name (None when absent); ``names`` its language value objects, if any.
    """
    forms = _forms(names)
    index = lookup([tag for tag, _, _ in forms], ranges)
    if index is None:
        index = _fallback(forms)
    if index is None:
        plain = tuple((tag, value) for tag, value, _ in forms if value != name)
        return ChosenName(name if name is not None else "", None, None, plain)
    tag, value, direction = forms[index]
    others = [(t, v) for i, (t, v, _) in enumerate(forms) if i != index]
    if name is not None and all(name != v for _, v, _ in forms):
        others.append(("und", name))
    return ChosenName(value, tag, direction, tuple(others))


def name_label(name: str | None, names: Iterable[Any] | None, ranges: Sequence[str]) -> str:
    """One line for text output: the chosen form, then the others in brackets (``Ферма «Заря» [Ferma Zarya]``)."""
    chosen = choose_name(name, names, ranges)
    others = [value for _, value in chosen.others if value != chosen.value]
    return f"{chosen.value} [{' / '.join(others)}]" if others else chosen.value
