"""The dashboards' ``i18n.js``: named placeholders filled, English when there is no translation, and the
starting language (the stored choice, else the browser's first of ours, else English).

Node.js runs the browser file itself (it exports its pure functions when loaded as a module); the switch in a
page is checked in headless Chromium (tests/e2e/browser).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from node_core.dashboard import SHARED_ASSETS

I18N_JS = SHARED_ASSETS / "i18n.js"


def run(expression: str) -> Any:
    """The JSON value of ``expression`` with ``i18n`` as the loaded module."""
    node = shutil.which("node")
    assert node is not None, "Node.js is needed: run scripts/test-deps.sh"
    script = f"const i18n = require(process.argv[1]); process.stdout.write(JSON.stringify({expression}));"
    done = subprocess.run([node, "-e", script, str(I18N_JS)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_placeholders_are_filled_by_name_and_an_unknown_one_is_kept() -> None:
    assert run('i18n.t("entry {index} of {size}", { size: 7, index: 3 })') == "entry 3 of 7"
    assert run('i18n.t("no values {here}")') == "no values {here}"
    assert run('i18n.t("{a} and {b}", { a: "x" })') == "x and {b}"


def test_the_starting_language() -> None:
    assert run('i18n.preferredLanguage("ru", ["zh-CN"])') == "ru"  # the stored choice first
    assert run('i18n.preferredLanguage(null, ["de-DE", "zh-Hans-CN", "ru"])') == "zh"  # the browser's first of ours
    assert run('i18n.preferredLanguage("fr", ["de", "en-GB"])') == "en"
    assert run("i18n.preferredLanguage(null, undefined)") == "en"
