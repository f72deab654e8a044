"""The ``pilot`` command's language reset for a test: English from the environment, no ``--lang`` left over."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pilot.language import set_cli_language

__all__ = ["english_environment"]

#: What could make a command speak another language, or read another sandbox or key passphrase.
_CLEARED = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "PILOT_KEY_PASSPHRASE", "PILOT_DATA_DIR")


@pytest.fixture
def english_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """``LANG=C.UTF-8`` and none of ``_CLEARED``; the command's chosen language forgotten before and after."""
    for name in _CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    set_cli_language(None)
    yield
    set_cli_language(None)
