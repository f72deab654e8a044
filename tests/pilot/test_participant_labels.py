"""Reports name participants in the reader's language: the demo summary, the overview page, the audit trail."""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from typing import Any

import pytest
from rich.console import Console

from pilot.audit.trail import Step, _named
from pilot.demo.scenario import DemoResult
from pilot.demo.summary import print_summary, render_html
from pilot.language import set_cli_language
from pilot.overview import _matrix
from pilot.participant_labels import participant_choice, participant_html, participant_text, reader_ranges
from pilot.sandbox import build_sandbox
from schemas.trust import TrustRegistry

PORT_ZH = "满洲里铁路口岸管理局（虚构）"
PORT_EN = "Manzhouli Rail Crossing Port Authority (fictional)"
EXPORTER_RU = "ООО «Белгородский бройлер-экспорт»"
EXPORTER_EN = "Belgorod Broiler Export LLC"
HOSTILE = '<img src=x onerror="alert(1)">'


@pytest.fixture
def language() -> Iterator[Any]:
    """Sets the command's language for one test, and lets the environment decide again afterwards."""
    yield set_cli_language
    set_cli_language(None)


def _trust(**renamed: str) -> TrustRegistry:
    document = copy.deepcopy(build_sandbox().trust_list)
    for participant in document["participants"]:
        if participant["id"] in renamed:
            participant["name"] = renamed[participant["id"]]
            participant["names"] = [
                {"@value": renamed[participant["id"]], "@language": "zh"},
                {"@value": HOSTILE, "@language": "en"},
            ]
    return TrustRegistry.from_document(document)


@pytest.mark.parametrize(
    ("short_id", "ranges", "expected"),
    [
        ("cn-port-01", ["zh"], f"cn-port-01 {PORT_ZH}"),
        ("cn-port-01", ["ru"], f"cn-port-01 {PORT_EN}"),
        ("ru-exp-01", ["ru"], f"ru-exp-01 {EXPORTER_RU}"),
        ("ru-exp-01", ["en"], f"ru-exp-01 {EXPORTER_EN}"),
        ("ru-exp-01", ["zh"], f"ru-exp-01 {EXPORTER_EN}"),
        ("ru-exp-99", ["ru"], "ru-exp-99"),
    ],
)
def test_a_participant_is_named_in_the_readers_language(short_id: str, ranges: list[str], expected: str) -> None:
    assert participant_text(short_id, ranges) == expected
    assert participant_text(short_id, ranges, TrustRegistry.from_document(build_sandbox().trust_list)) == expected


def test_the_trust_list_names_win_over_the_cast() -> None:
    trust = _trust(**{"cn-port-01": "新名字"})
    assert participant_text("cn-port-01", ["zh"], trust) == "cn-port-01 新名字"


def test_html_labels_escape_names_and_carry_language_and_the_other_forms() -> None:
    trust = _trust(**{"cn-port-01": "新名字"})
    html = participant_html("cn-port-01", ["en"], trust)
    assert "<img" not in html and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html
    assert 'lang="en"' in html and 'title="新名字 [zh]"' in html
    plain = participant_html("cn-port-01", ["zh"])
    assert plain.startswith("cn-port-01 <span") and f">{PORT_ZH}</span>" in plain and 'lang="zh"' in plain
    assert f"{PORT_EN} [en]" in plain and "[zh-Latn-pinyin]" in plain


def test_the_reader_is_the_commands_language(language: Any) -> None:
    language("zh")
    assert reader_ranges() == ["zh"]
    chosen = participant_choice("cn-port-02", reader_ranges())
    assert chosen is not None and chosen.value == "绥芬河公路口岸管理局（虚构）"
    language("ru")
    assert participant_text("ru-exp-06", reader_ranges()) == "ru-exp-06 АО «Донское подсолнечное масло»"


def test_the_demo_summary_names_exporters_and_ports(language: Any) -> None:
    language("ru")
    result = DemoResult({}, [], [], [], {})
    out = io.StringIO()
    print_summary(result, Console(file=out, width=300, color_system=None))
    assert f"ru-exp-01 {EXPORTER_RU}" in out.getvalue()
    language("zh")
    page = render_html(result)
    assert f">{PORT_ZH}</span>" in page and f">{EXPORTER_EN}</span>" in page  # no Chinese name: English


def test_the_overview_matrix_names_exporters_and_ports() -> None:
    summaries: dict[str, dict[str, Any] | None] = {
        "cn-port-01": {
            "exporters": ["ru-exp-01", "ru-exp-07"],
            "counts": {"ru-exp-01": {"accepted": 2}},
            "log": {"size": 2, "signing": True, "cosigners": []},
        },
        "cn-port-02": None,
    }
    trust = _trust(**{"cn-port-02": "绥芬河"})
    table = _matrix(summaries, ["zh"], trust)
    assert f">{PORT_ZH}</span>" in table and ">绥芬河</span>" in table
    assert "ru-exp-07</td>" in table  # not in the trust list: the id alone
    assert "&lt;img" in table and "<img" not in table


def test_a_trail_step_carries_its_actors_name() -> None:
    trust = TrustRegistry.from_document(build_sandbox().trust_list)
    step = _named(Step(None, "cn-port-01", "log entry 0", True, "-"), trust, ["zh"])
    assert step.actor_name == PORT_ZH
    assert step.as_json() == {
        "at": None,
        "actor": "cn-port-01",
        "what": "log entry 0",
        "verified": True,
        "detail": "-",
        "actorName": PORT_ZH,
    }
    witnesses = Step(None, "cn-port-02, cn-port-03", "latest checkpoint", True, "-")
    assert _named(witnesses, trust, ["zh"]).actor_name == ""
