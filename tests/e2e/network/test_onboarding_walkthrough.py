"""docs/onboarding.md's walkthrough, run exactly as written: the new exporter's first consignment is accepted."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def walkthrough() -> str:
    text = (ROOT / "docs" / "onboarding.md").read_text()
    section = text.split("## Walkthrough", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "docs/onboarding.md lost its walkthrough block"
    return match.group(1)


@pytest.mark.e2e
def test_walkthrough_commands_as_written(tmp_path: Path) -> None:
    script = walkthrough()
    assert "pilot onboard check" in script and "pilot trust approve" in script
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PILOT_", "DATABASE_URL"))}
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    try:
        result = subprocess.run(
            ["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
        )
    finally:
        subprocess.run(
            [str(Path(bin_dir) / "pilot"), "down", "--data-dir", "onboarding-sandbox"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            timeout=60,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "ru-exp-07 is onboarded" in output
    assert "cn-port-01 accepted it" in output
    assert "✗" not in output
