"""Text that did not come from us (files, zip members, peers' answers, their error messages), made safe to show.

- On a terminal, through rich: ``untrusted(value)`` escapes rich markup and shows control characters as
  visible escapes, so that a file or a peer can neither crash the output (a stray ``[/]`` is a rich
  ``MarkupError``), nor style it (``[bold green]ALL CHECKS PASSED[/]``), nor drive the terminal (ESC
  sequences, carriage returns, bidirectional overrides). Everything ``pilot`` prints that it did not
  write itself goes through it; the literal text, brackets included, is what the reader sees.
- In XML 1.0 (JUnit reports): ``xml_text(value)`` replaces the characters XML 1.0 forbids (XML 1.0
  §2.2 ``Char``: every C0 control but tab, LF and CR; U+FFFE, U+FFFF; lone surrogates) by the same
  visible escapes, so that a report stays well-formed whatever its inputs held; ``xml_document(root)``
  applies it to every text, tail and attribute of a tree and serializes it (``ElementTree`` escapes
  ``<``, ``&`` and quotes, but writes forbidden characters as they are).
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

from rich.markup import escape

__all__ = ["untrusted", "visible", "xml_document", "xml_text"]

# C0 controls but tab and LF, DEL, C1 controls, and the bidirectional embeddings, overrides and isolates.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Not a Char of XML 1.0 §2.2.
_XML_FORBIDDEN = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(value: object) -> str:
    """``str(value)`` with terminal control characters written as ``\\xNN`` / ``\\uNNNN`` (no markup escaping)."""
    return _TERMINAL_UNSAFE.sub(_escaped, str(value))


def untrusted(value: object) -> str:
    """``str(value)`` ready to embed in rich markup: shown literally, never interpreted, controls made visible.

    Trailing backslashes would escape whatever tag follows the text, so they are doubled and closed by an
    empty ``[none][/none]`` pair: the text renders the same whether a tag, plain text or nothing follows.
    """
    text = visible(value)
    body = text.rstrip("\\")
    trailing = len(text) - len(body)
    return escape(body) + ("\\" * (2 * trailing) + "[none][/none]" if trailing else "")


def xml_text(value: object) -> str:
    """``str(value)`` with every character XML 1.0 forbids written as ``\\xNN`` / ``\\uNNNN``."""
    return _XML_FORBIDDEN.sub(_escaped, str(value))


def xml_document(root: ET.Element) -> str:
    """The XML 1.0 document of ``root`` (with its declaration), every text and attribute passed through ``xml_text``."""
    for element in root.iter():
        if element.text is not None:
            element.text = xml_text(element.text)
        if element.tail is not None:
            element.tail = xml_text(element.tail)
        for name, value in element.attrib.items():
            element.attrib[name] = xml_text(value)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
