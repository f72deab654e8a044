"""``pilot.safe_text``: outside text rendered literally by rich, and always well-formed in XML 1.0."""

from __future__ import annotations

import io
from xml.etree import ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from pilot.safe_text import untrusted, visible, xml_text


@given(st.text(alphabet=st.characters(blacklist_characters="\t")))
def test_untrusted_text_renders_exactly_as_visible_text(text: str) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100_000, emoji=False, highlight=False, color_system=None)
    for template in ("{}", "[red]{}[/]", "[bold]{}[/] tail", "x {} [blue]y[/]"):
        buffer.seek(0)
        buffer.truncate()
        console.print(template.format(untrusted(text)), soft_wrap=True)
        plain = template.replace("[red]", "").replace("[bold]", "").replace("[blue]", "").replace("[/]", "")
        assert buffer.getvalue() == plain.format(visible(text)) + "\n"


def test_visible_shows_control_characters_and_keeps_line_breaks() -> None:
    assert visible("a\x1b[2Jb\r\x07\u202ec\x9b\nd\te") == "a\\x1b[2Jb\\x0d\\x07\\u202ec\\x9b\nd\te"


@given(st.text())
def test_xml_text_is_always_well_formed_xml(text: str) -> None:
    element = ET.Element("e", attribute=xml_text(text))
    element.text = xml_text(text)
    parsed = ET.fromstring(ET.tostring(element, encoding="unicode"))
    assert parsed.get("attribute") is not None
