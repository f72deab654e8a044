"""``pilot audit`` in Russian and Chinese: the offline checks, the trail and its HTML page with the pictures.

The evidence is real (``tests.audit.evidence``: signed by the sandbox keys, decided and logged by the port
stand-in, cosigned by a witness key). Labels, verdicts and findings follow ``--lang``; codes, ids, digests,
paths and the JSON output stay the same in every language.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pilot.audit.trail import Step, build_trail
from pilot.audit.trail_page import gather_story, trail_page_html
from pilot.audit.verify import Check
from pilot.audit.wording import said, said_joined, said_reason, shown
from pilot.cli import app
from pilot.commands.audit import print_trail
from pilot.console import PipeAwareConsole
from pilot.language import set_cli_language
from pilot.pictures import ConsignmentStory
from schemas.codes import Code
from schemas.errors import Reason
from schemas.phrase import Phrase
from tests.audit.evidence import ANCHOR, Evidence, make_evidence


@pytest.fixture(scope="module")
def evidence() -> Evidence:
    return make_evidence(consignment="c-audit-lang")


@pytest.fixture(scope="module")
def told(evidence: Evidence) -> tuple[list[Step], ConsignmentStory]:
    with evidence.network() as network:
        return build_trail(network, evidence.consignment), gather_story(network, evidence.consignment)


@pytest.fixture(scope="module")
def files(evidence: Evidence, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A good bundle, one whose log entry was changed, and the pinned trust anchor."""
    folder = tmp_path_factory.mktemp("audit-lang")
    good, changed, anchor = folder / "good.zip", folder / "changed.zip", folder / "anchor.json"
    good.write_bytes(evidence.bundle())
    changed.write_bytes(evidence.bundle(**{"log/entry.json": b'{"changed":true}'}))
    anchor.write_text(json.dumps(ANCHOR))
    return good, changed, anchor


def verify(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_the_offline_checks_in_russian(files: tuple[Path, Path, Path], evidence: Evidence) -> None:
    good, changed, anchor = files
    code, text = verify("--lang", "ru", "audit", "verify", str(good), "--trust-anchor", str(anchor))
    assert code == 0, text
    assert "good.zip: проверки без сети" in text
    for russian in ("проверка", "результат", "подпись квитанции", "соподписи свидетелей", "в порядке"):
        assert russian in text
    assert "пакет доказательств проверен: все проверки пройдены, без сети" in text
    # Values from the evidence are shown as they are: the receipt's time, the submission's digest.
    assert evidence.subject["receivedAt"] in text and evidence.subject["submissionDigest"] in text
    assert "receipt signature" not in text and "bundle verified" not in text

    code, text = verify("--lang", "ru", "audit", "verify", str(changed), "--trust-anchor", str(anchor))
    assert code == 1
    assert "log/entry.json — не та запись, что восстановлена из квитанции" in text
    assert "НЕ ПРОЙДЕНО" in text and "пакет доказательств НЕ проходит проверку" in text


def test_the_offline_checks_in_chinese_and_the_json_in_english(files: tuple[Path, Path, Path]) -> None:
    _, changed, anchor = files
    code, text = verify("--lang", "zh", "audit", "verify", str(changed), "--trust-anchor", str(anchor))
    assert code == 1
    assert "log/entry.json 不是由回执重建的记录" in text and "证据包未通过核验" in text
    assert "由回执重建的日志记录 = leafHash" in text  # the check's name; the member name stays as it is

    english = verify("audit", "verify", str(changed), "--trust-anchor", str(anchor), "--format", "json")
    chinese = verify("--lang", "zh", "audit", "verify", str(changed), "--trust-anchor", str(anchor), "--json")
    assert chinese == english
    checks = {c["name"]: c for c in json.loads(english[1])["checks"]}
    assert checks["log entry rebuilt from the receipt = leafHash"]["detail"] == (
        "log/entry.json is not the entry rebuilt from the receipt"
    )


def test_the_trail_in_russian_keeps_ids_and_codes(told: tuple[list[Step], ConsignmentStory]) -> None:
    steps, _ = told
    set_cli_language("ru")
    out = io.StringIO()
    print_trail("c-audit-lang", steps, PipeAwareConsole(file=out, highlight=False, emoji=False))
    text = out.getvalue()
    assert "путь партии c-audit-lang" in text
    assert "решение: accepted" in text  # the decision is a code
    assert "все шаги прошли проверку" in text
    assert re.search(r"запись журнала \d+ в cn-port-01\.pilot\.example/log", text)
    assert "ru-exp-01" in text and "cn-port-02" in text
    assert "decision:" not in text and "every step verified" not in text
    # The machine form of the same steps stays English.
    assert any(step.as_json()["what"] == "decision: accepted" for step in steps)


def test_the_trail_page_and_its_pictures_in_chinese(told: tuple[list[Step], ConsignmentStory]) -> None:
    steps, story = told
    set_cli_language("zh")
    page = trail_page_html("c-audit-lang", steps, story)
    assert '<html lang="zh">' in page
    assert "<title>货批 c-audit-lang 的轨迹</title>" in page
    assert "<h1>货批 <code>c-audit-lang</code> 的轨迹</h1>" in page
    assert "每一步都已通过核验。" in page and "<th>时间</th>" in page and "<h2>时间线与农场</h2>" in page
    assert ">农场批次</text>" in page and ">可追溯事件</text>" in page  # the timeline's legend
    assert re.search(r">[\d,.]+ 公顷</text>", page) and re.search(r">\d+ (公里|米)</text>", page)  # area, scale bar
    assert ">北纬 " in page and "，东经 " in page  # the farm's centre
    assert ">北</text>" in page and re.search(r">\+\d+ (秒|分钟|小时|天)", page)  # north arrow, gaps
    assert "c-audit-lang：ru-exp-01 至 cn-port-01" in page  # the timeline's title, ids as they are
    assert 'data-stage="farm_lot"' in page  # attributes are never translated
    assert "Every step" not in page and "Timeline and farms" not in page and ">farm lot<" not in page


def test_a_finding_keeps_its_code_and_english_and_shows_its_message_translated() -> None:
    reason = Reason.of(Code.SCHEMA_INVALID, "/credentials/0", Phrase("a credential must be a JSON object"))
    finding = said(Phrase("credentials that do not verify: {failed}", failed=said_joined([said_reason(reason)])))
    check = Check("credentials", False, finding)
    english = "credentials that do not verify: SCHEMA_INVALID: a credential must be a JSON object"
    assert check.detail == english and json.dumps(dataclasses.asdict(check)["detail"]) == json.dumps(english)
    set_cli_language("ru")
    assert (
        shown(check.detail)
        == "удостоверения, не прошедшие проверку: SCHEMA_INVALID: удостоверение должно быть объектом JSON"
    )
    set_cli_language("zh")
    assert shown(check.detail) == "未通过核验的凭证：SCHEMA_INVALID: 凭证必须是 JSON 对象"
    assert shown("an exception's own text") == "an exception's own text"  # shown as it is
