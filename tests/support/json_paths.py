"""Paths into parsed JSON: a path is the tuple of keys and indices from the root to a value.

[get(document, path) for path in leaves(document)]   # every scalar of ``document``, depth first
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["JsonPath", "get", "leaves"]

JsonPath = tuple[str | int, ...]


def leaves(document: Any, path: JsonPath = ()) -> Iterator[JsonPath]:
    """Paths of every scalar in ``document``, depth first."""
    if isinstance(document, dict):
        for key, value in document.items():
            yield from leaves(value, (*path, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from leaves(value, (*path, index))
    else:
        yield path


def get(document: Any, path: JsonPath) -> Any:
    """The value at ``path`` in ``document``."""
    for step in path:
        document = document[step]
    return document
