"""The gates: ruff lint and format clean, mypy strict (pydantic plugin) clean on all six product packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PACKAGES = ["schemas", "node_core", "port_node", "exporter_node", "registry_node", "pilot"]


def test_ruff_clean() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "check", *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_ruff_format_clean() -> None:
    result = subprocess.run(
        [str(BIN / "ruff"), "format", "--check", *PACKAGES, "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_mypy_strict_on_every_package(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy-cache"), *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:]
