"""``schemas`` stays pure: importing all of it pulls in no web framework, ORM or HTTP client."""

from __future__ import annotations

import subprocess
import sys

import schemas
from tests.support.surface import assert_exports

FORBIDDEN = ("fastapi", "starlette", "sqlmodel", "sqlalchemy", "httpx", "uvicorn", "node_core", "pilot")


def test_schemas_imports_no_framework_database_or_network() -> None:
    code = (
        "import sys, pkgutil, importlib, schemas\n"
        "for m in pkgutil.walk_packages(schemas.__path__, 'schemas.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def test_public_surface_is_what_we_mean() -> None:
    assert_exports(
        schemas,
        "check_credential",
        "assess_submission",
        "verify_trust_list",
        "verify_inclusion",
        "verify_consistency",
        "verify_checkpoint",
        "canonicalize",
    )
