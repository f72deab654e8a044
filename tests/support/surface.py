"""A module's public surface as the tests check it: its ``__all__`` against what the module defines.

assert_all_lists_the_public_names(schemas)          # __all__ is exactly the public names, no more, no less
assert_exports(schemas.models, "Role", "DataCategory")  # __all__ is sound and holds these names
"""

from __future__ import annotations

from types import ModuleType

__all__ = ["assert_all_lists_the_public_names", "assert_exports", "public_names"]


def public_names(module: ModuleType) -> list[str]:
    """What ``module`` defines publicly, sorted: its names without a leading underscore, less the modules."""
    return sorted(
        name for name, value in vars(module).items() if not name.startswith("_") and not isinstance(value, ModuleType)
    )


def assert_all_lists_the_public_names(module: ModuleType) -> None:
    """httpx's test_exported_members: ``__all__`` is what ``module`` defines publicly, each name once."""
    assert sorted(module.__all__) == public_names(module)
    assert len(set(module.__all__)) == len(module.__all__)


def assert_exports(module: ModuleType, *names: str) -> None:
    """Every name of ``module.__all__`` is listed once, public and defined; ``names`` are among them."""
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), name
    assert not [name for name in module.__all__ if name.startswith("_")]
    assert set(names) <= set(module.__all__)
