"""Every message id the pilot writes, and the gettext template made of them (``python -m node_core.i18n_extract``).

Two kinds of message ids:

- written in the sources: the literal template of every ``Phrase("...")`` (``schemas.phrase``) and of every
  ``tr("...")`` and ``N_("...")`` (the ``pilot`` command's text, ``pilot.language``), found with Python's own
  parser in the packages ``SOURCE_PACKAGES`` (inside f-strings too, which a token scanner such as ``pybabel
  extract`` misses);
- written in the dashboards (``DASHBOARD_DIRS``): the double-quoted literal first argument of every ``t("...")``,
  ``N_("...")`` and ``chartText("...")`` in their JavaScript (``node_core/dashboard_shared/i18n.js``), and the
  text of every element marked ``data-i18n`` and of the ``<title>`` in their HTML (white space collapsed, as the
  page reads it);
- made from tables: the title of every stable code (``PAYLOAD_TOO_LARGE`` -> ``Payload too large``), every
  hint of ``schemas.reason_hints``, and the reason phrases of the HTTP statuses a node answers with a
  problem (``Not Found``: Starlette's default detail).

``python -m node_core.i18n_extract [--output FILE]`` writes them as a ``.pot`` template (default
``node_core/locale/pilot.pot``, not kept in git); then ``pybabel update -i node_core/locale/pilot.pot -d
node_core/locale -D pilot -N --ignore-obsolete -w 120`` adds the new ids to each catalogue (and drops the
ones no longer used), to be translated there.
``tests/i18n`` fails while any id lacks a translation in any of the three catalogues.
"""

from __future__ import annotations

import argparse
import ast
import html
import http
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Final

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from node_core.catalogues import DOMAIN, LOCALE_DIR
from node_core.i18n import english_title
from schemas.codes import Code
from schemas.reason_hints import HINTS

__all__ = [
    "DASHBOARD_DIRS",
    "JS_KEYWORDS",
    "KEYWORDS",
    "PROBLEM_STATUSES",
    "SOURCE_PACKAGES",
    "MessageId",
    "main",
    "message_ids",
    "template_catalogue",
]

#: The packages whose sources are searched for messages.
SOURCE_PACKAGES: Final[tuple[str, ...]] = (
    "schemas",
    "node_core",
    "exporter_node",
    "port_node",
    "registry_node",
    "pilot",
)
#: The calls whose first argument, a literal string, is a message id.
KEYWORDS: Final[frozenset[str]] = frozenset({"Phrase", "tr", "N_"})
#: The folders of the dashboards' browser files, searched for their messages.
DASHBOARD_DIRS: Final[tuple[str, ...]] = (
    "node_core/dashboard_shared",
    "port_node/dashboard",
    "exporter_node/dashboard",
)
#: The JavaScript calls whose first argument, a double-quoted literal string, is a message id.
JS_KEYWORDS: Final[tuple[str, ...]] = ("t", "N_", "chartText")
_JS_CALL = re.compile(r"(?<![\w.$])(?:" + "|".join(JS_KEYWORDS) + r')\(\s*("(?:[^"\\\n]|\\.)*")')
_HTML_MARKED = re.compile(r"<([a-z0-9]+)\b[^>]*\bdata-i18n\b[^>]*>([^<]*)</\1>|<(title)>([^<]*)</title>", re.IGNORECASE)
#: HTTP statuses a node may answer with Starlette's default detail (its reason phrase).
PROBLEM_STATUSES: Final[tuple[int, ...]] = (400, 401, 403, 404, 405, 408, 409, 413, 415, 429)

_ROOT = LOCALE_DIR.parent.parent


class MessageId(str):
    """A message id with where it comes from (a source file, or the table that makes it)."""

    origin: str

    def __new__(cls, text: str, origin: str) -> MessageId:
        made = super().__new__(cls, text)
        made.origin = origin
        return made


def _called_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    return node.func.attr if isinstance(node.func, ast.Attribute) else None


def _source_ids(root: Path) -> Iterator[MessageId]:
    # Python's own parser rather than a token scanner: it also finds calls inside f-strings.
    for package in SOURCE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            tree = ast.parse(path.read_bytes(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or _called_name(node) not in KEYWORDS or not node.args:
                    continue
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
                    yield MessageId(first.value, str(path.relative_to(root)))


def _dashboard_ids(root: Path) -> Iterator[MessageId]:
    for folder in DASHBOARD_DIRS:
        for path in sorted((root / folder).glob("*.js")):
            for match in _JS_CALL.finditer(path.read_text(encoding="utf-8")):
                text = json.loads(match.group(1))
                if text:
                    yield MessageId(text, str(path.relative_to(root)))
        for path in sorted((root / folder).glob("*.html")):
            for match in _HTML_MARKED.finditer(path.read_text(encoding="utf-8")):
                text = " ".join(html.unescape(match.group(2) or match.group(4)).split())
                if text:
                    yield MessageId(text, str(path.relative_to(root)))


def _table_ids() -> Iterator[MessageId]:
    for code in Code:
        yield MessageId(english_title(code), f"title of {code}")
    for hinted, hint in HINTS.items():
        yield MessageId(hint, f"hint of {hinted}")
    for status in PROBLEM_STATUSES:
        yield MessageId(http.HTTPStatus(status).phrase, f"HTTP {status}")


def message_ids(root: Path = _ROOT) -> dict[str, list[str]]:
    """``{message id: [origins]}`` of every message the sources under ``root`` and the tables write."""
    found: dict[str, list[str]] = {}
    for message in (*_source_ids(root), *_dashboard_ids(root), *_table_ids()):
        origins = found.setdefault(str(message), [])
        if message.origin not in origins:
            origins.append(message.origin)
    return found


def template_catalogue(root: Path = _ROOT) -> Catalog:
    """The gettext template: every message id, its origins as an extracted comment."""
    catalogue = Catalog(domain=DOMAIN, project="agri-export-pilot", charset="utf-8", fuzzy=False)
    for message, origins in sorted(message_ids(root).items()):
        placeholders = "python-brace-format" if "{" in message else None
        catalogue.add(message, auto_comments=origins, flags=[placeholders] if placeholders else [])
    return catalogue


def main(argv: Sequence[str] | None = None) -> None:
    """Write the template."""
    parser = argparse.ArgumentParser(prog="python -m node_core.i18n_extract", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=LOCALE_DIR / f"{DOMAIN}.pot", help="the .pot file to write")
    args = parser.parse_args(argv)
    template = template_catalogue()
    with args.output.open("wb") as file:
        write_po(file, template, width=120, sort_output=True)
    print(f"{len(template)} messages written to {args.output}")


if __name__ == "__main__":
    main()
