"""The gates of issue 2: ruff clean everywhere, mypy strict (pydantic plugin) clean on ``schemas/``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_ruff_clean() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", "schemas", "node_core", "port_node", "exporter_node", "pilot"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_strict_on_schemas(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy-cache"), "schemas"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]
