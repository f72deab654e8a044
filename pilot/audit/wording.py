"""The audit's findings: English in JSON and in the code that reads them, in the reader's language when shown.

A check's detail or a trail step's text is a ``str`` in English (the JSON output and the tests read it as it
is), made with ``said(Phrase("template {value}", value=...))`` so that it keeps its phrase; ``shown`` gives it
in the command's language (``pilot.language``) where a person reads it: the text tables and the HTML page.
``said_joined`` keeps the parts of a list of findings, each shown in that language, joined as in English.
Any other text (an exception's message, an id, a code) is shown as it is. Codes and ids inside a finding
are values of its phrase, never translated; ``said_reason`` keeps a reason's code beside its message.
"""

from __future__ import annotations

from collections.abc import Iterable

from pilot.language import localized
from schemas.errors import Reason
from schemas.phrase import Phrase

__all__ = ["Said", "error_text", "said", "said_joined", "said_reason", "shown"]


class Said(str):
    """English text that keeps what it was made of: a phrase, or parts joined by a separator."""

    phrase: Phrase | None
    parts: tuple[str, ...]
    separator: str

    def __new__(
        cls, english: str, phrase: Phrase | None = None, parts: Iterable[str] = (), separator: str = ""
    ) -> Said:
        made = super().__new__(cls, english)
        made.phrase, made.parts, made.separator = phrase, tuple(parts), separator
        return made

    def __copy__(self) -> Said:
        return self

    def __deepcopy__(self, memo: object) -> Said:
        return self  # immutable, like the str it is (``dataclasses.asdict`` deep-copies its fields)


def said(phrase: Phrase) -> Said:
    """``phrase`` as its English text, kept to be shown in another language."""
    return Said(str(phrase), phrase)


def said_joined(parts: Iterable[str], separator: str = "; ") -> Said:
    """``parts`` joined with ``separator``, each part shown in the reader's language when the whole is."""
    kept = tuple(parts)
    return Said(separator.join(kept), None, kept, separator)


def said_reason(reason: Reason, separator: str = ": ") -> Said:
    """``CODE: message``: the code as it is, the message in the reader's language when it has its phrase."""
    message = said(reason.phrase) if reason.phrase is not None else reason.message
    return said_joined([f"{reason.code}{separator}", message], "")


def error_text(exc: BaseException) -> str:
    """An exception's message: the ``Said`` it was raised with, else its English text."""
    message = exc.args[0] if len(exc.args) == 1 else None
    return message if isinstance(message, Said) else str(exc)


def shown(text: str) -> str:
    """``text`` in the command's language: a ``Said`` translated (with its values that are ``Said`` too)."""
    if not isinstance(text, Said):
        return text
    if text.phrase is None:
        return text.separator.join(shown(part) for part in text.parts)
    values = {name: shown(value) if isinstance(value, Said) else value for name, value in text.phrase.values.items()}
    return localized(Phrase(text.phrase.template, **values))
