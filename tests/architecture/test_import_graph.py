"""The import graph of the library: no cycles among module-level imports, and no module
importing names from a package ``__init__`` above it (the version lives in the leaf
module ``decopt._version``).

The graph is read from the source with ``ast`` (module-level statements only: imports
inside functions are deliberately lazy). An edge ``a -> b`` means module ``a`` imports
module ``b``; ``from pkg import name`` is an edge to ``pkg.name`` when that is a module,
else to ``pkg`` itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("decopt", "topologies")


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            parts = list(f.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = f
    return out


MODULES = _modules()


def _is_package(mod: str) -> bool:
    return MODULES.get(mod, Path()).name == "__init__.py"


def _top_level_imports(tree):
    """Import statements executed at import time (module body, if/try blocks)."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, (ast.If, ast.Try)):
            stack += node.body + node.orelse + getattr(node, "finalbody", []) + [
                s for h in getattr(node, "handlers", []) for s in h.body]


def _edges(mod: str, path: Path):
    """(target module, imported names or None, statement) of each module-level import."""
    tree = ast.parse(path.read_text())
    pkg = mod if _is_package(mod) else mod.rpartition(".")[0]
    for node in _top_level_imports(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in PACKAGES:
                    yield a.name, None
            continue
        if node.level:
            base = pkg.split(".")
            base = base[:len(base) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        if target.split(".")[0] not in PACKAGES:
            continue
        for a in node.names:
            sub = f"{target}.{a.name}"
            yield (sub, None) if sub in MODULES else (target, a.name)


def graph() -> dict[str, set[str]]:
    g = {m: set() for m in MODULES}
    for mod, path in MODULES.items():
        for target, _ in _edges(mod, path):
            if target in MODULES and target != mod:
                g[mod].add(target)
    return g


def find_cycle(g):
    """One cycle of ``g`` as a list of modules, or None."""
    state, stack = {}, []

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in sorted(g[u]):
            if state.get(v) == 1:
                return stack[stack.index(v):] + [v]
            if v not in state:
                c = visit(v)
                if c:
                    return c
        stack.pop()
        state[u] = 2
        return None

    for u in sorted(g):
        if u not in state:
            c = visit(u)
            if c:
                return c
    return None


def test_no_import_cycles():
    cycle = find_cycle(graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_cycle_finder_finds_a_cycle():
    """Negative control: the finder reports a planted cycle."""
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def upward_imports():
    """Imports of a *name* (not a submodule) from the ``__init__`` of a package that
    contains the importing module, e.g. ``from . import __version__`` in a module of
    decopt, anywhere in the file (lazy imports included)."""
    bad = []
    for mod, path in MODULES.items():
        tree = ast.parse(path.read_text())
        pkg = mod if _is_package(mod) else mod.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in PACKAGES and mod.startswith(a.name + ".") \
                            and not _is_package(mod):
                        bad.append(f"{mod}: import {a.name}")
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = pkg.split(".")
                    base = base[:len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not _is_package(target) or target == mod:
                    continue
                if not (mod + ".").startswith(target + "."):
                    continue          # not an ancestor package
                for a in node.names:
                    if f"{target}.{a.name}" not in MODULES:
                        bad.append(f"{mod}: from {target} import {a.name}")
    return bad


def test_no_upward_imports():
    assert upward_imports() == []


def test_upward_import_check_catches_one(monkeypatch, tmp_path):
    """Negative control: a module importing ``__version__`` from its package is caught."""
    fake = tmp_path / "decopt" / "leaf.py"
    fake.parent.mkdir()
    fake.write_text("from . import __version__\n")
    monkeypatch.setitem(MODULES, "decopt.leaf", fake)
    assert upward_imports() == ["decopt.leaf: from decopt import __version__"]


@pytest.mark.parametrize("mod", ["topologies"])
def test_topologies_never_imports_decopt(mod):
    for m, path in MODULES.items():
        if m.split(".")[0] == mod:
            assert all(t.split(".")[0] != "decopt" for t, _ in _edges(m, path)), m
