"""The package's import graph: no cycles between modules or between packages, training code
reached only from its command, nothing imports ``benchmarks/``.

Imports are read from the source (function-level ones included; those under
``if TYPE_CHECKING:`` are not run, so they do not count).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "privacycam"
TRAINING = "privacycam.train"
TRAINING_ENTRY_POINTS = {"privacycam.cli.train"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.AST, modules: set[str] = frozenset()) -> set[str]:
    """Every module name ``tree`` imports, leaving out what is imported only for type
    checking. ``from a import b`` imports ``a.b`` when that is one of ``modules``, else ``a``."""
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                names.add(submodule if submodule in modules else node.module)
    return names


def import_graph(files: list[Path], known: set[str]) -> dict[str, set[str]]:
    """Module -> the modules among ``known`` it imports."""
    return {
        module_name(path): {name for name in imported_names(ast.parse(path.read_text()), known) if name in known}
        - {module_name(path)}
        for path in files
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def package_of(module: str) -> str:
    """``privacycam.stream.runner`` -> ``privacycam.stream``; top-level modules stand alone."""
    parts = module.split(".")
    return ".".join(parts[:2])


FILES = sorted(PACKAGE.rglob("*.py"))
MODULES = {module_name(path) for path in FILES}
GRAPH = import_graph(FILES, MODULES)


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_imports_under_type_checking_do_not_count() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import x\ndef f():\n    from y import z, w\n")
    assert imported_names(tree, {"y.z"}) == {"typing", "y", "y.z"}


def test_no_module_imports_itself_through_others() -> None:
    assert find_cycle(GRAPH) is None


def test_no_package_imports_itself_through_others() -> None:
    packages: dict[str, set[str]] = {}
    for module, targets in GRAPH.items():
        packages.setdefault(package_of(module), set()).update(package_of(t) for t in targets)
    for package, targets in packages.items():
        targets.discard(package)
    assert find_cycle(packages) is None


def is_training(module: str) -> bool:
    return module == TRAINING or module.startswith(TRAINING + ".")


def test_runtime_code_does_not_import_training() -> None:
    offenders = sorted(
        module
        for module, targets in GRAPH.items()
        if not is_training(module) and module not in TRAINING_ENTRY_POINTS and any(map(is_training, targets))
    )
    assert offenders == []


def test_nothing_in_the_package_imports_benchmarks() -> None:
    offenders = [
        module_name(path)
        for path in FILES
        if any(name == "benchmarks" or name.startswith("benchmarks.") for name in imported_names(ast.parse(path.read_text())))
    ]
    assert offenders == []
