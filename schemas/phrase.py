"""A human-readable message kept as its English template and values, so that a reader can translate it.

``Phrase("the lot's HS code is not among {port}'s codes", port="cn-port-01")`` reads as English with
``str()``; a node or the ``pilot`` command looks the template up in its message catalogues
(``node_core.i18n``) and fills the translation with the same values. Placeholders are named (``{port}``),
never positional, so a translation may put them in its own order. The template is a ``str.format``
string: a literal brace is written twice. This module only carries the pair: catalogues are read
outside ``schemas``, which stays pure.

Message extraction (``python -m node_core.i18n_extract``) finds every ``Phrase("...")`` written with a
literal template, so a new phrase without a translation fails ``tests/i18n``.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter
from types import MappingProxyType

__all__ = ["Phrase", "placeholders"]


def placeholders(template: str) -> frozenset[str]:
    """The named fields of a ``str.format`` template (``{port}`` -> ``port``); raise ``ValueError`` if malformed."""
    return frozenset(field.split(".")[0].split("[")[0] for _, field, _, _ in Formatter().parse(template) if field)


class Phrase:
    """An English ``str.format`` template with named placeholders, and the values that fill it."""

    __slots__ = ("template", "values")

    template: str
    values: Mapping[str, object]

    def __init__(self, template: str, /, **values: object) -> None:
        self.template = template
        self.values = MappingProxyType(values)

    def __str__(self) -> str:
        """The English text."""
        return self.template.format_map(self.values)

    def __repr__(self) -> str:
        return f"Phrase({self.template!r}, {dict(self.values)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Phrase):
            return NotImplemented
        return self.template == other.template and dict(self.values) == dict(other.values)

    def __hash__(self) -> int:
        return hash(self.template)
