"""``pilot demo`` end to end: real processes, the whole network, every fault case matched, exit 0."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest


@pytest.mark.e2e
def test_demo_passes_and_writes_a_report(tmp_path: Path) -> None:
    report = tmp_path / "demo.html"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pilot.cli", "demo", "--data-dir", str(tmp_path / "no-network-here"),
         "--report", str(report)],
        capture_output=True, text=True, timeout=240, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "200", "HOME": str(tmp_path)},
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "demo passed" in result.stdout
    for exporter in ("ru-exp-01", "ru-exp-06"):
        assert exporter in result.stdout
    assert result.stdout.count("matched") >= 8
    assert "│ MISMATCH" not in result.stdout
    html = report.read_text()
    assert "Demo passed" in html and html.count("<details>") >= 40
    print(f"pilot demo took {elapsed:.1f} s")
