"""Each node_core module exports exactly the public names it defines, and each of them exists.

As httpx's ``tests/test_exported_members.py`` does for its package: ``__all__`` is compared with the
public names the module itself binds at its top level (classes, functions, constants; not what it
imports), so a new public name must be exported or made private, and the list is written only once,
in the module. The order of ``__all__`` is ruff's business (RUF022).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import node_core

#: Every module of the package, found on disk, so that a new one is checked without being listed here.
MODULES = sorted(
    f"node_core.{info.name}" for info in pkgutil.iter_modules(node_core.__path__) if not info.name.startswith("_")
)


def _defined_public_names(module: ModuleType) -> list[str]:
    """The names ``module`` binds at its top level by ``def``, ``class`` or assignment, but for ``_private`` ones."""
    assert module.__file__ is not None
    names: set[str] = set()
    for statement in ast.parse(Path(module.__file__).read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(target.id for target in statement.targets if isinstance(target, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return sorted(name for name in names if not name.startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_exports(name: str) -> None:
    module = importlib.import_module(name)
    assert sorted(module.__all__) == _defined_public_names(module)
    for export in module.__all__:
        assert hasattr(module, export), export
    assert module.__doc__ and module.__doc__.strip()
