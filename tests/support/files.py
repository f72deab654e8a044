"""The test data files: known-answer files under ``tests/data`` and the published vectors under ``schemas/vectors``.

json.loads(asset("rfc9162/vectors.json").read_text())
sorted(vector("valid").glob("*.json"))
"""

from __future__ import annotations

import shutil
from pathlib import Path

__all__ = ["ASSETS", "REPOSITORY", "VECTORS", "asset", "governed_sandbox", "vector"]

REPOSITORY = Path(__file__).resolve().parents[2]
ASSETS = REPOSITORY / "tests" / "data"
VECTORS = REPOSITORY / "schemas" / "vectors"


def asset(name: str) -> Path:
    """``tests/data/<name>`` (a file or a folder), which must exist."""
    return _existing(ASSETS / name)


def vector(name: str) -> Path:
    """``schemas/vectors/<name>`` (a file or a folder, e.g. ``valid``), which must exist."""
    return _existing(VECTORS / name)


def _existing(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"no test data file {path}")
    return path


def governed_sandbox(directory: Path) -> Path:
    """``directory`` made a sandbox of the vectors' trust list and anchor and the key of ``pilot-gov`` that
    signed them (enough for ``pilot onboard`` and ``pilot trust``), returned."""
    (directory / "keys").mkdir(parents=True)
    for name in ("trust-list.json", "trust-anchor.json"):
        shutil.copy(VECTORS / name, directory / name)
    shutil.copy(VECTORS / "keys" / "pilot-gov.pem", directory / "keys" / "pilot-gov.pem")
    return directory
