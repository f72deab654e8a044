"""The dashboards' ``names.js`` picks the same form of a name as ``schemas.names`` does, for every case here.

Node.js runs the browser file itself (it exports its pure functions when loaded as a module), so the test
reads what the dashboards run, not a copy.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from node_core.dashboard import SHARED_ASSETS
from pilot.participants import EXPORTERS, PORTS, language_values
from pilot.synthetic import farm_names
from schemas.names import choose_name

NAMES_JS = SHARED_ASSETS / "names.js"

RANGES: list[list[str]] = [
    [], ["ru"], ["ru-RU", "ru"], ["en-US", "en"], ["zh-CN", "zh"], ["zh-Hans-CN"], ["zh-Latn-pinyin"], ["de"],
    ["de", "ru"], ["*"], ["RU-ru"], ["zh-Hant-TW-x-private1-private2"], ["ru-Latn"],
]  # fmt: skip


def _cases() -> list[dict[str, Any]]:
    named: list[tuple[str, list[dict[str, Any]] | None]] = [(e.name, language_values(e.names)) for e in EXPORTERS]
    named += [(port.name, language_values(port.names)) for port in PORTS]
    named += [(farm_names(item, n)[0][1], language_values(farm_names(item, n))) for item in EXPORTERS for n in (1, 2)]
    named += [
        ("plain only", None),
        ("Ферма", [{"@value": "Ферма", "@language": "ru"}, {"@value": "農場", "@language": "ja"}]),
        ("x", [{"@value": "x"}, {"@language": "ru"}, {"@value": "اسم", "@language": "ar", "@direction": "rtl"}]),
        ("x", [{"@value": "y", "@language": "en-GB"}, {"@value": "z", "@language": "sr-Latn"}]),
        ("not among the forms", [{"@value": "Ферма", "@language": "ru"}, {"@value": "Ferma", "@language": "ru-Latn"}]),
    ]
    return [{"name": name, "names": names, "ranges": ranges} for name, names in named for ranges in RANGES]


def _in_node(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed: run scripts/test-deps.sh"
    script = (
        "const names = require(process.argv[1]);"
        "const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "process.stdout.write(JSON.stringify(cases.map((c) => names.chooseName(c.name, c.names, c.ranges))));"
    )
    done = subprocess.run(
        [node, "-e", script, str(NAMES_JS)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers: list[dict[str, Any]] = json.loads(done.stdout)
    return answers


def test_names_js_chooses_as_schemas_names_does() -> None:
    cases = _cases()
    answers = _in_node(cases)
    assert len(answers) == len(cases)
    for case, answer in zip(cases, answers, strict=True):
        chosen = choose_name(case["name"], case["names"], case["ranges"])
        expected = {
            "value": chosen.value,
            "language": chosen.language,
            "direction": chosen.direction,
            "others": [list(other) for other in chosen.others],
        }
        assert answer == expected, case


def test_names_js_shows_the_hanzi_name_to_a_chinese_reader() -> None:
    port = PORTS[0]
    [answer] = _in_node([{"name": port.name, "names": language_values(port.names), "ranges": ["zh-CN", "zh"]}])
    assert answer["value"] == "满洲里铁路口岸管理局（虚构）" and answer["language"] == "zh"
    assert [tag for tag, _ in answer["others"]] == ["zh-Latn-pinyin", "en"]


def test_the_dashboards_load_names_js_before_their_page_code() -> None:
    root = Path(__file__).resolve().parents[2]
    for page in ("port_node/dashboard/index.html", "exporter_node/dashboard/index.html"):
        html = (root / page).read_text()
        assert (
            html.index("/dashboard/shared/page.js")
            < html.index("/dashboard/shared/names.js")
            < html.index("/dashboard/app.js")
        ), page
