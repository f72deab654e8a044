"""The names the log and witness keys sign under are documented beside the keys (docs/reliability.md, attack 22).

An outside verifier had to copy ``<short id>.pilot.example/witness`` from a cosignature line: it was in
no document and is not a member of the trust list (adding one would change the list's schema and the
published vectors). The docs now state both names; this checks they are the names the code signs under.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from port_node.witness import witness_name
from schemas.identifiers import log_origin

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("page", ["records.md", "audit.md", "conformance.md"])
def test_the_docs_give_the_signing_names_of_log_and_witness_keys(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    short_id = "<port id>" if "<port id>.pilot.example" in text else "<short id>"
    assert log_origin(short_id) in text
    assert witness_name(short_id) in text


def test_the_documented_example_is_the_name_a_port_cosigns_under() -> None:
    text = (DOCS / "audit.md").read_text(encoding="utf-8")
    assert f"`{witness_name('cn-port-02')}`" in text
    assert "0x04" in text and "0x01" in text  # the key ID types of cosignatures and checkpoint signatures
