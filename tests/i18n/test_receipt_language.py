"""A port's receipts carry each reason's message and hint in the port's language beside the English.

docs/design.md §6, "Languages": ``PILOT_LANGUAGE`` (``NodeSettings.language``) is the port's language; each
reason keeps ``message`` in English and gains ``localized: {lang, message, hint}``; a port in English adds
nothing, so its receipts are as before. The receipt is signed with the member in it and verifies from
outside; the public log entry holds codes only, whatever the language.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node_core.i18n import code_hint, code_title, reason_in
from schemas.codes import Code
from schemas.errors import Reason
from schemas.models.receipt import SubmissionReceipt
from schemas.phrase import Phrase
from schemas.reason_hints import HINTS
from tests.port_node.port_harness import PortHarness, check_receipt, make_harness
from tests.support.databases import fresh_database

pytestmark = [pytest.mark.anyio, pytest.mark.db]

VECTORS = Path(__file__).resolve().parents[2] / "schemas" / "vectors" / "invalid"


def vector(name: str) -> tuple[str, dict[str, Any]]:
    """An invalid submission vector and the exporter that sends it (``vec-<exporter>-...``)."""
    document: dict[str, Any] = json.loads((VECTORS / f"submission-{name}.json").read_text())
    return "-".join(document["submissionId"].split("-")[1:4]), document


@pytest.fixture
def chinese_port(tmp_path: Path) -> Iterator[PortHarness]:
    """A port with ``PILOT_LANGUAGE=zh`` over a database of its own (beside the ``harness``, an English port)."""
    directory = tmp_path / "zh"
    directory.mkdir()
    with fresh_database(directory) as url:
        port = make_harness(directory, url, language="zh")
        try:
            yield port
        finally:
            port.close()


async def receipt_for(port: PortHarness, name: str) -> dict[str, Any]:
    exporter, document = vector(name)
    response = await port.submit(exporter, document)
    assert response.status_code == 201, response.text
    return check_receipt(response.content)  # verified from outside: signature, log inclusion


async def test_a_chinese_port_adds_each_reason_in_chinese(chinese_port: PortHarness) -> None:
    receipt = await receipt_for(chinese_port, "hs-code-not-permitted")
    SubmissionReceipt.model_validate(receipt)
    reasons = receipt["credentialSubject"]["reasons"]
    (reason,) = [r for r in reasons if r["code"] == "HS_CODE_NOT_PERMITTED"]
    assert reason["message"].startswith("the lot's HS code is not among this port's permitted codes (")
    localized = reason["localized"]
    assert localized["lang"] == "zh"
    assert localized["message"].startswith("该批次的 HS 编码不在本口岸允许的编码之列（")
    assert localized["hint"] == code_hint("HS_CODE_NOT_PERMITTED", "zh")
    assert all(r["localized"]["lang"] == "zh" for r in reasons)


async def test_the_log_entry_does_not_change_with_the_language(chinese_port: PortHarness, harness: PortHarness) -> None:
    chinese = await receipt_for(chinese_port, "hs-code-not-permitted")
    english = await receipt_for(harness, "hs-code-not-permitted")
    assert "localized" not in json.dumps(english)
    for receipt in (chinese, english):
        for reason in receipt["credentialSubject"]["reasons"]:
            reason.pop("localized", None)
    # Same reasons, same English messages; the log entries (codes only) are the same bytes at either port.
    assert chinese["credentialSubject"]["reasons"] == english["credentialSubject"]["reasons"]
    async with chinese_port.client() as client:
        zh_entry = (await client.get("/v1/log/entries", params={"start": 0, "end": 1})).json()["entries"][0]["entry"]
    async with harness.client() as client:
        en_entry = (await client.get("/v1/log/entries", params={"start": 0, "end": 1})).json()["entries"][0]["entry"]
    assert {k: v for k, v in zh_entry.items() if k != "receivedAt"} == {
        k: v for k, v in en_entry.items() if k != "receivedAt"
    }


async def test_a_message_without_a_phrase_is_localized_as_its_codes_title(chinese_port: PortHarness) -> None:
    receipt = await receipt_for(chinese_port, "farm-geometry-self-intersecting")
    (reason, *_) = [r for r in receipt["credentialSubject"]["reasons"] if r["code"] == "GEOMETRY_INVALID"]
    assert reason["localized"]["message"] == code_title("GEOMETRY_INVALID", "zh") == "几何形状无效"


def test_the_wire_form_of_a_reason() -> None:
    phrase = Phrase("{port} publishes no policy", port="cn-port-09")
    reason = Reason.of(Code.DESTINATION_MISMATCH, "/manifest", phrase)
    assert reason_in(reason, "en") == {
        "code": "DESTINATION_MISMATCH",
        "severity": "error",
        "path": "/manifest",
        "message": "cn-port-09 publishes no policy",
    }
    assert reason_in(reason, "ru")["localized"] == {
        "lang": "ru",
        "message": "cn-port-09 не публикует свою политику",
        "hint": "Отправьте партию в порт, указанный в её манифесте, или сформируйте новую для этого порта.",
    }
    without_hint = Reason(Code.JSONLD_TERM_UNDEFINED, "/", "JSON-LD: something")
    assert Code.JSONLD_TERM_UNDEFINED not in HINTS
    assert reason_in(without_hint, "zh")["localized"] == {"lang": "zh", "message": "JSON-LD 术语未定义"}


def test_a_reason_keeps_its_phrase_when_moved() -> None:
    reason = Reason.of(Code.CREDENTIAL_EXPIRED, "/validUntil", Phrase("the credential's validUntil has passed"))
    moved = reason.at("/credentials/0/validUntil")
    assert moved.phrase == reason.phrase and moved.message == reason.message
    assert moved == Reason(
        Code.CREDENTIAL_EXPIRED, "/credentials/0/validUntil", "the credential's validUntil has passed"
    )


def test_a_port_refuses_a_language_it_has_no_catalogue_for(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from node_core.settings import NodeSettings

    with pytest.raises(ValidationError, match="language"):
        NodeSettings(node_id="cn-port-01", data_dir=tmp_path, language="fr")  # type: ignore[arg-type]


async def test_a_localized_receipt_expands_as_json_ld_with_nothing_dropped(
    chinese_port: PortHarness, reference_dir: Path
) -> None:
    from schemas.jsonld import expansion_problems

    receipt = await receipt_for(chinese_port, "hs-code-not-permitted")
    assert "localized" in receipt["credentialSubject"]["reasons"][0]
    assert expansion_problems(receipt, reference_dir) == []
