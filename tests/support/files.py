"""The test data files: known-answer files under ``tests/data`` and the published vectors under ``schemas/vectors``.

json.loads(asset("rfc9162/vectors.json").read_text())
sorted(vector("valid").glob("*.json"))
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ASSETS", "REPOSITORY", "VECTORS", "asset", "vector"]

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
