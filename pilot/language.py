"""The language of the ``pilot`` command's text: ``--lang``, else the environment (docs/design.md §9, "Languages").

``--lang en|ru|zh`` is an option of the command itself (``pilot --lang zh status``) and of the commands that
print reports (``pilot demo --lang zh``); without it the language comes from ``LANGUAGE``, ``LC_ALL``,
``LC_MESSAGES`` or ``LANG`` (``ru_RU.UTF-8`` is Russian; ``C`` and anything not ours, English). ``tr`` gives a
text in that language from the catalogues (``node_core.i18n``); ``N_`` (gettext's name) marks a text kept as data
(a demo case's title) for the catalogues, to be translated with ``tr`` where it is shown. Codes, ids, paths and
JSON output never change with the language; neither do log lines.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from node_core.i18n import translate
from node_core.languages import LANGUAGES, Language, environment_language, language_of
from schemas.phrase import Phrase

__all__ = ["N_", "CommandLangOpt", "LangOpt", "cli_language", "localized", "set_cli_language", "tr"]

_chosen: Language | None = None


def set_cli_language(language: Language | None) -> None:
    """Use ``language`` for the rest of this command (None: follow the environment again)."""
    global _chosen
    _chosen = language


def cli_language() -> Language:
    """The language of this command's text: the one ``--lang`` chose, else the environment's."""
    return _chosen if _chosen is not None else environment_language(os.environ)


def N_(template: str) -> str:
    """Mark ``template`` as a message to translate later (with ``tr``), where it is written as data."""
    return template


def tr(template: str, /, **values: object) -> str:
    """``template`` (an English ``str.format`` template with named placeholders) in the command's language."""
    return translate(Phrase(template, **values), cli_language())


def localized(message: Phrase | str) -> str:
    """``message`` in the command's language : a phrase translated, and the phrases among its
    values too (an error quoting another's message); a plain text as it is (already translated, or no text of ours).
    """
    if isinstance(message, str):
        return message
    values = {name: localized(value) if isinstance(value, Phrase) else value for name, value in message.values.items()}
    return translate(Phrase(message.template, **values), cli_language())


def _chosen_language(value: str | None) -> Language | None:
    if value is None:
        return None
    language = language_of(value)
    if language is None:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(LANGUAGES)}")
    return language


def _apply_command_lang(value: str | None) -> str | None:
    """``pilot --lang``: this invocation's language, or the environment's (so none is left from a former one)."""
    language = _chosen_language(value)
    set_cli_language(language)
    return language


def _apply_subcommand_lang(value: str | None) -> str | None:
    """``pilot demo --lang``: overrides ``pilot --lang`` when given."""
    language = _chosen_language(value)
    if language is not None:
        set_cli_language(language)
    return language


_HELP = (
    "Language of the text printed: en, ru or zh (default: from LANGUAGE, LC_ALL, LC_MESSAGES, LANG). Codes, ids "
    "and JSON output are never translated."
)
#: ``pilot --lang``, the command's own option.
CommandLangOpt = Annotated[
    str | None, typer.Option("--lang", help=_HELP, callback=_apply_command_lang, metavar="en|ru|zh")
]
#: ``--lang`` of a sub-command that prints a report (``pilot demo --lang zh``).
LangOpt = Annotated[str | None, typer.Option("--lang", help=_HELP, callback=_apply_subcommand_lang, metavar="en|ru|zh")]
