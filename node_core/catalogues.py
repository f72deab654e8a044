"""The message catalogues (docs/design.md §6, "Languages"): gettext ``.po`` files read at run time with Babel,
one dictionary per domain and language, read once and kept.

A catalogue lives at ``node_core/locale/<language>/LC_MESSAGES/<domain>.po``; its message ids are the
English texts (``str.format`` templates with named placeholders). No compile step: Babel parses the
``.po`` file itself. A fuzzy or empty entry counts as untranslated, so the English text is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Final

from babel.messages.pofile import read_po

from node_core.languages import LANGUAGES

__all__ = ["DOMAIN", "LOCALE_DIR", "CatalogueError", "catalogue", "catalogue_path", "domains", "origins"]

#: Where the catalogues are.
LOCALE_DIR: Final[Path] = Path(__file__).resolve().parent / "locale"
#: The domain of every message the nodes and the ``pilot`` command write.
DOMAIN: Final[str] = "pilot"


class CatalogueError(ValueError):
    """A domain or language with no catalogue, or a catalogue Babel cannot read."""


def catalogue_path(domain: str, language: str) -> Path:
    """The ``.po`` file of ``domain`` in ``language``."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def domains() -> list[str]:
    """Every domain that has a catalogue in each of the pilot's languages."""
    found = {path.stem for path in (LOCALE_DIR / LANGUAGES[0] / "LC_MESSAGES").glob("*.po")}
    return sorted(d for d in found if all(catalogue_path(d, lang).is_file() for lang in LANGUAGES))


@cache
def catalogue(domain: str, language: str) -> Mapping[str, str]:
    """``{message id: translation}`` of ``domain`` in ``language``: translated entries only, read once."""
    if language not in LANGUAGES:
        raise CatalogueError(f"no language {language!r}; the pilot's languages are {', '.join(LANGUAGES)}")
    path = catalogue_path(domain, language)
    try:
        with path.open("rb") as file:
            entries = read_po(file, locale=language, domain=domain)
    except FileNotFoundError:
        raise CatalogueError(f"no catalogue {domain!r} for {language!r} (expected {path})") from None
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"cannot read {path}: {exc}") from exc
    table: dict[str, str] = {}
    for message in entries:
        translated = isinstance(message.string, str) and message.string and not message.fuzzy
        if message.id and isinstance(message.id, str) and translated:
            table[message.id] = str(message.string)
    return MappingProxyType(table)


@cache
def origins(domain: str) -> Mapping[str, frozenset[str]]:
    """``{message id: where it is written}`` of ``domain``, from the English catalogue's extracted comments
    (``#. pilot/commands/status.py``, ``#. title of NOT_FOUND``, ``#. HTTP 404``; ``node_core.i18n_extract``)."""
    path = catalogue_path(domain, LANGUAGES[0])
    try:
        with path.open("rb") as file:
            entries = read_po(file, locale=LANGUAGES[0], domain=domain)
    except FileNotFoundError:
        raise CatalogueError(f"no catalogue {domain!r} (expected {path})") from None
    except (OSError, ValueError) as exc:
        raise CatalogueError(f"cannot read {path}: {exc}") from exc
    return MappingProxyType({m.id: frozenset(m.auto_comments) for m in entries if m.id and isinstance(m.id, str)})
