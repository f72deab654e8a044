"""Fixtures of the ``pilot`` command's tests: a fresh copy of one ``pilot init`` data dir per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pilot.sandbox import initialise
from tests.support.cli_language import english_environment

__all__ = ["data_dir", "english_environment", "initialised"]


@pytest.fixture(scope="session")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One ``pilot init`` data dir, copied by ``data_dir`` for each test (signing every key is slow enough)."""
    directory = tmp_path_factory.mktemp("init") / "data"
    initialise(directory)
    return directory


@pytest.fixture
def data_dir(initialised: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of a ``pilot init`` data dir (modes kept), with no peer URLs or data dir from the environment."""
    monkeypatch.delenv("PILOT_PEER_URLS", raising=False)
    monkeypatch.delenv("PILOT_DATA_DIR", raising=False)
    target = tmp_path / "data"
    shutil.copytree(initialised, target, symlinks=True)
    return target
