"""A real ``pilot node port`` process speaks the asked language over a socket (docs/design.md §6, "Languages").

One port process with ``PILOT_LANGUAGE=zh``: a refused submission's problem details come back in Russian and
in Chinese as ``Accept-Language`` asks, the code unchanged; a rejected one gets a signed receipt whose
reasons carry the Chinese message and hint beside the English. ``tests/i18n`` covers the same in-process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.port_node.port_harness import PORT_ID, check_receipt, fresh_submission, signer_for
from tests.support.processes import pilot_init, port_with_registry

pytestmark = pytest.mark.e2e
JSON = {"content-type": "application/json"}
VECTOR = (
    Path(__file__).resolve().parents[3] / "schemas" / "vectors" / "invalid" / "submission-hs-code-not-permitted.json"
)


@pytest.fixture
def chinese_port(tmp_path: Path) -> Iterator[str]:
    with port_with_registry(pilot_init(tmp_path / "data"), PORT_ID, env={"PILOT_LANGUAGE": "zh"}).start() as node:
        yield node.url


def test_problems_and_receipts_in_the_asked_language(chinese_port: str) -> None:
    body = json.dumps(fresh_submission("ru-exp-01", "lang-e2e")).encode()
    answers = {}
    for language in ("ru", "zh", "en"):
        response = httpx.post(
            f"{chinese_port}/v1/submissions", content=body, headers={**JSON, "accept-language": language}, timeout=10
        )
        assert response.status_code == 401
        assert response.headers["content-language"] == language
        answers[language] = response.json()
    assert {answer["code"] for answer in answers.values()} == {"REQUEST_SIGNATURE_INVALID"}
    assert answers["ru"]["title"] == "Подпись запроса недействительна"
    assert answers["zh"]["detail"] == "请求未签名：需要 Signature-Input 和 Signature"
    assert answers["en"]["detail"] == "request is not signed: Signature-Input and Signature are required"

    document = json.loads(VECTOR.read_text())
    with httpx.Client(base_url=chinese_port, auth=signer_for("ru-exp-05"), timeout=10) as client:
        created = client.post("/v1/submissions", content=json.dumps(document).encode(), headers=JSON)
    assert created.status_code == 201, created.text
    receipt = check_receipt(created.content, expect_index=0)
    (reason, *_) = receipt["credentialSubject"]["reasons"]
    assert reason["code"] == "HS_CODE_NOT_PERMITTED"
    assert reason["message"].startswith("the lot's HS code is not among")
    assert reason["localized"]["lang"] == "zh" and reason["localized"]["message"].startswith("该批次的 HS 编码")
