"""Text going into SVG and HTML: escaped for markup, made valid XML, names shown from strings or language value objects.

Everything a picture shows that came from a record (names, ids, codes, times) goes through ``escaped``:
control characters and the bidirectional overrides and isolates (which could make a text read as another)
become visible escapes (``pilot.safe_text.visible``), so do the characters XML 1.0 forbids
(``pilot.safe_text.xml_text``), and ``<``, ``>``, ``&`` and both quotes become references, so a value can
end neither an element nor an attribute, in an HTML page or in a standalone SVG file. Nothing is
normalised: Cyrillic, Hanzi and combining characters stay as sent.
"""

from __future__ import annotations

import html
import unicodedata
from collections.abc import Mapping
from typing import Any

from pilot.safe_text import visible, xml_text

__all__ = ["clipped", "escaped", "name_text", "number", "text_width"]


def escaped(value: object) -> str:
    """``value`` as text safe inside an element or a quoted attribute of HTML or XML."""
    return html.escape(xml_text(visible(value)), quote=True)


def clipped(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, an ellipsis marking the cut (SVG text does not wrap)."""
    return value if len(value) <= limit else value[: max(0, limit - 1)] + "…"


def text_width(text: str) -> int:
    """How many Latin letters wide ``text`` is, roughly: a wide character (Hanzi) counts two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def number(value: float) -> str:
    """A coordinate for SVG: one decimal, no ``-0``, no exponent."""
    rounded = round(value, 1)
    return f"{0.0 if rounded == 0 else rounded:.1f}"


def _language_value(value: Any) -> str | None:
    if isinstance(value, Mapping) and isinstance(value.get("@value"), str):
        return str(value["@value"])
    return None


def name_text(name: Any, names: Any = None) -> tuple[str, str]:
    """``(shown, every form)`` of a name: ``name`` shown, and every form of it for a tooltip.

    ``name`` is a string (a record's ``name``, in the name's own script) or language value objects
    (``{"@value", "@language"}``, one or a list: the first is shown); ``names`` optionally lists every form
    as language value objects (the pilot's ``names`` term). The forms are joined with `` / ``, each once.
    Anything else is shown as its ``str``, so a malformed name is visible rather than lost.
    """
    forms = _forms(name)
    shown = forms[0] if forms else ("" if name is None else str(name))
    every = list(dict.fromkeys([shown, *_forms(names)]))
    return shown, " / ".join(form for form in every if form)


def _forms(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    single = _language_value(value)
    if single is not None:
        return [single]
    if isinstance(value, list):
        return [form for form in (v if isinstance(v, str) else _language_value(v) for v in value) if form]
    return []
