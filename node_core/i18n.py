"""The pilot's three languages (English, Russian, Chinese): messages in a language from the catalogues.

docs/design.md §6 and §9, "Languages". Every human-readable message the nodes and the ``pilot`` command write
comes from the gettext catalogues under ``node_core/locale`` (``node_core.catalogues``, read at run time with
Babel, no compile step); the message ids are the English texts, templates with named placeholders
(``schemas.phrase``). Nodes answer problem details in the language of ``Accept-Language``
(``node_core.request_language``); a port writes receipt reasons in its configured language
(``PILOT_LANGUAGE``) beside the English (``reason_in``); the ``pilot`` command follows ``--lang``, else the
locale (``pilot.language``, ``node_core.languages``). Codes, JSON members and log lines never change with the
language; a message with no translation is shown in English (``tests/i18n`` makes sure none of ours lacks one).

``messages(domain, language)`` gives a whole catalogue as a dictionary, for a page that switches language.
``python -m node_core.i18n_extract`` writes the template ``node_core/locale/pilot.pot`` from the sources
(docs/design.md "Languages" has the steps to update the catalogues).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from node_core.catalogues import DOMAIN, catalogue
from node_core.languages import DEFAULT_LANGUAGE, LANGUAGES
from schemas.assess import MAX_REASON_MESSAGE
from schemas.errors import Reason
from schemas.phrase import Phrase
from schemas.reason_hints import HINTS

__all__ = ["code_hint", "code_title", "english_title", "messages", "reason_in", "translate"]


def messages(domain: str, language: str) -> dict[str, str]:
    """Every translated message of ``domain`` in ``language``, ``{English message id: text}``: what a page
    needs to show its text in that language (a dashboard's language switch). ``CatalogueError`` for an
    unknown domain or language."""
    return dict(catalogue(domain, language))


def translate(message: Phrase | str, language: str) -> str:
    """``message`` in ``language``: a phrase's template translated and filled with its values; a plain string
    translated as it is. English when there is no translation or the translation does not fit the values."""
    if isinstance(message, str):
        if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
            return message
        return catalogue(DOMAIN, language).get(message, message)
    english = str(message)
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return english
    template = catalogue(DOMAIN, language).get(message.template)
    if template is None:
        return english
    try:
        return template.format_map(message.values)
    except (KeyError, IndexError, ValueError):
        return english


def english_title(code: str) -> str:
    """A problem's or a code's English title, made from the code: ``PAYLOAD_TOO_LARGE`` -> ``Payload too large``."""
    return str(code).replace("_", " ").capitalize()


def code_title(code: str, language: str) -> str:
    """The title of ``code`` in ``language`` (the message id is its English title)."""
    return translate(english_title(code), language)


def code_hint(code: str | None, language: str) -> str | None:
    """What an exporter can do about ``code`` (``schemas.reason_hints``) in ``language``; None without a hint."""
    hint = HINTS.get(code) if code is not None else None
    return translate(hint, language) if hint is not None else None


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_REASON_MESSAGE else text[: MAX_REASON_MESSAGE - 1] + "…"


def reason_in(reason: Reason, language: str) -> dict[str, Any]:
    """A reason's wire form in a receipt of a port that speaks ``language``: ``{code, severity, path,
    message}``, the message in English, plus, in another language than English, ``localized``: ``{lang,
    message, hint}`` (docs/design.md §6, "Languages"). A message with no phrase (a schema validator's own
    wording) is localized as its code's title."""
    wire: dict[str, Any] = reason.as_dict()
    if language == DEFAULT_LANGUAGE or language not in LANGUAGES:
        return wire
    localized: Mapping[str, str | None] = {
        "lang": language,
        "message": _bounded(translate(reason.phrase, language) if reason.phrase else code_title(reason.code, language)),
        "hint": code_hint(str(reason.code), language),
    }
    wire["localized"] = {key: value for key, value in localized.items() if value is not None}
    return wire
