"""How the ``pilot`` command's reports name a participant: its short id, then its name in the reader's language.

A participant's names come from the trust list when a report has one (``names`` of each participant, VC 2.0
language value objects), else from the sandbox's cast (``pilot.participants``). The form shown is the one
``schemas.names.choose_name`` picks for the reader's language ranges; text output shows that one, HTML
output shows it with every other form in its ``title`` and its language in ``lang`` (so a browser picks a
Cyrillic or Han font). Nothing is normalised or transliterated here: names are shown as they were signed.

The reader's ranges (:func:`reader_ranges`): the ``pilot`` command's language (``--lang``, else the
environment's locale: ``pilot.language``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from pilot.language import cli_language
from pilot.participants import language_values, participant_names
from schemas.names import ChosenName, choose_name
from schemas.trust import TrustRegistry

__all__ = ["participant_choice", "participant_html", "participant_text", "reader_ranges"]


def reader_ranges() -> list[str]:
    """The reader's language ranges: the ``pilot`` command's language (``--lang``, else the environment's)."""
    return [cli_language()]


def _names(short_id: str, trust: TrustRegistry | None) -> tuple[str | None, list[Any]]:
    participant = trust.participant(short_id) if trust is not None else None
    if participant is not None:
        return participant.name, list(participant.names or ())
    cast = participant_names(short_id)
    return (cast[0][1], language_values(cast)) if cast else (None, [])


def participant_choice(short_id: str, ranges: Sequence[str], trust: TrustRegistry | None = None) -> ChosenName | None:
    """The form of ``short_id``'s name to show (and its others), or None for a participant nobody names."""
    name, names = _names(short_id, trust)
    if name is None:
        return None
    return choose_name(name, names, ranges)


def participant_text(short_id: str, ranges: Sequence[str], trust: TrustRegistry | None = None) -> str:
    """``ru-exp-01 ООО «Белгородский бройлер-экспорт»``: the id and the chosen name (the id alone if unnamed)."""
    chosen = participant_choice(short_id, ranges, trust)
    return f"{short_id} {chosen.value}" if chosen is not None and chosen.value else short_id


def participant_html(short_id: str, ranges: Sequence[str], trust: TrustRegistry | None = None) -> str:
    """The id and the chosen name as escaped HTML: the name in a ``<span lang title>`` listing the other forms."""
    chosen = participant_choice(short_id, ranges, trust)
    if chosen is None or not chosen.value:
        return html.escape(short_id)
    title = "\n".join(f"{value} [{tag}]" for tag, value in chosen.others)
    lang = f' lang="{html.escape(chosen.language)}"' if chosen.language else ""
    direction = f' dir="{html.escape(chosen.direction)}"' if chosen.direction else ""
    return (
        f'{html.escape(short_id)} <span class="name"{lang}{direction} title="{html.escape(title)}">'
        f"{html.escape(chosen.value)}</span>"
    )
