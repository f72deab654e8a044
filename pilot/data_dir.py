"""Where the `pilot` command keeps its files: --data-dir, else $PILOT_DATA_DIR, else ./pilot-data."""

from __future__ import annotations

import os
from pathlib import Path


def default_data_dir() -> Path:
    """The data directory used when ``--data-dir`` is not given."""
    return Path(os.environ.get("PILOT_DATA_DIR") or "pilot-data")
