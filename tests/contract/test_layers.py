"""Imports point one way (docs/design.md §3), checked on the source, function-level imports included.

``schemas`` <- ``node_core`` <- ``exporter_node``, ``port_node`` <- ``pilot``; and inside ``pilot`` only the
command layer (``pilot/commands/``, ``pilot/cli.py``) imports ``pilot.commands``: the sandbox, launcher,
demo, kit and audit tools are the library the commands are built on, never the other way round. No
package imports another's private modules, nothing outside ``schemas`` imports ``schemas._internal``,
and ``schemas.__all__`` lists exactly its public names.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.surface import assert_all_lists_the_public_names

ROOT = Path(__file__).resolve().parents[2]
#: Each package and the packages of the project it may import.
ALLOWED: dict[str, set[str]] = {
    "schemas": set(),
    "node_core": {"schemas"},
    "exporter_node": {"schemas", "node_core"},
    "port_node": {"schemas", "node_core"},
    "pilot": {"schemas", "node_core", "exporter_node", "port_node"},
}


def _imports_in(text: str, package: str) -> Iterator[tuple[int, str]]:
    """``(line, absolute module name)`` for every import in ``text`` (a module of ``package``), at any depth."""
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield node.lineno, module
            # ``from pilot import commands`` imports the package through its parent.
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def _imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    return _imports_in(path.read_text(encoding="utf-8"), package)


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _is_command_layer(path: Path) -> bool:
    relative = path.relative_to(ROOT / "pilot")
    return relative.parts[0] == "commands" or relative == Path("cli.py")


def test_only_the_command_layer_imports_pilot_commands() -> None:
    upward = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _sources("pilot")
        if not _is_command_layer(path)
        for line, module in _imported_modules(path)
        if module == "pilot.commands" or module.startswith("pilot.commands.")
    ]
    assert not upward, "modules below the command layer import it:\n" + "\n".join(upward)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_the_layers_below(package: str) -> None:
    others = set(ALLOWED) - {package}
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in _sources(package)
        for line, module in _imported_modules(path)
        if module.split(".")[0] in others - ALLOWED[package]
    ]
    assert not wrong, f"{package} imports a layer it may not:\n" + "\n".join(wrong)


def test_the_check_sees_function_level_relative_and_from_package_imports() -> None:
    text = (
        "def f():\n"
        "    from pilot.commands.init import init_command\n"
        "    from pilot import commands\n"
        "    from ..commands import keys\n"
    )
    modules = {module for _, module in _imports_in(text, "pilot.audit")}
    assert {"pilot.commands.init", "pilot.commands", "pilot.commands.keys"} <= modules


def test_no_module_outside_schemas_imports_schemas_internal() -> None:
    # ``schemas._internal`` may change without notice; other packages, the tests and third parties use the
    # public modules (sigstore's ``_internal`` rule).
    sources = [path for package in sorted(set(ALLOWED) - {"schemas"}) for path in _sources(package)]
    sources += sorted((ROOT / "tests").rglob("*.py"))
    found = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in sources
        for line, module in _imported_modules(path)
        if module == "schemas._internal" or module.startswith("schemas._internal.")
    ]
    assert not found, "imports of schemas._internal from outside schemas:\n" + "\n".join(found)


def test_no_module_imports_a_private_module_of_another_package() -> None:
    # Modules other packages need are public; a leading underscore means "this package's own business".
    found = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for package in sorted(ALLOWED)
        for path in _sources(package)
        for line, module in _imported_modules(path)
        if module.split(".")[0] in set(ALLOWED) - {package}
        and any(part.startswith("_") and not part.startswith("__") for part in module.split(".")[1:])
    ]
    assert not found, "imports of another package's private modules:\n" + "\n".join(found)


def test_the_schemas_surface_lists_exactly_its_public_names() -> None:
    import schemas

    assert_all_lists_the_public_names(schemas)
