"""Whether an HTML page or fragment is self-contained: nothing in it makes a browser load anything from elsewhere.

``external_references`` parses the markup (``html.parser``, as lenient as a browser) and lists every
attribute that would load or navigate (``src``, ``href``, ``xlink:href``, ``srcset``, ``data``, ``action``,
``poster``, ``background``), every element that exists to load something (``script``, ``link``, ``img``,
``iframe``, ``object``, ``embed``, media, SVG ``image``/``use``/``feImage``), and every ``url(`` or
``@import`` in a style sheet or a ``style`` attribute. A self-contained page gives an empty list.
"""

from __future__ import annotations

from html.parser import HTMLParser

__all__ = ["element_names", "external_references"]

_LOADING_ATTRIBUTES = {"src", "href", "xlink:href", "srcset", "data", "action", "formaction", "poster", "background"}
_LOADING_ELEMENTS = {
    "script",
    "link",
    "img",
    "iframe",
    "frame",
    "object",
    "embed",
    "audio",
    "video",
    "source",
    "track",
    "image",
    "use",
    "feimage",
    "base",
}


def _loads(css: str) -> bool:
    lowered = css.lower()
    return "url(" in lowered or "@import" in lowered


class _Finder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.elements: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(tag)
        if tag in _LOADING_ELEMENTS:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name in _LOADING_ATTRIBUTES:
                self.found.append(f"<{tag} {name}={value!r}>")
            if name == "style" and value and _loads(value):
                self.found.append(f"<{tag} style={value!r}>")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style and _loads(data):
            self.found.append(f"<style>{data[:80]!r}")


def external_references(markup: str) -> list[str]:
    """Every reference in ``markup`` that would load or navigate (module doc); empty when self-contained."""
    finder = _Finder()
    finder.feed(markup)
    finder.close()
    return finder.found


def element_names(markup: str) -> list[str]:
    """The names of every element in ``markup``, in document order (lower case, as HTML parses them)."""
    finder = _Finder()
    finder.feed(markup)
    finder.close()
    return finder.elements
