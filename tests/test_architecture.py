"""The package layout is the pipeline (docs/architecture.md): imports run one way, no cycles, small modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PKG = SRC / "twinsplit"

# docs/architecture.md, "The one-way rule": a module may import its own package or anything earlier.
LAYERS = [
    {"__init__", "errors", "hashing", "base"},
    {"geometry"},
    {"scene"},
    {"blocks"},
    {"randomizers", "events"},
    {"config", "lineage"},
    {"starter"},
    {"plan"},
    {"write"},
    {"manifest"},
    {"proof"},
    {"generate"},
    {"verify"},
    {"validate"},
    {"audit"},
    {"sim"},
    {"score"},
    {"report"},
    {"commands", "cli"},
]
LAYER = {name: k for k, names in enumerate(LAYERS) for name in names}
MAX_LINES = 450


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PKG.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _imports(tree: ast.AST):
    """Every import statement that can run: at module level or inside functions, not under TYPE_CHECKING."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _imports(node)


def _targets(module: str, node: ast.AST) -> list[str]:
    """The twinsplit modules an import statement loads (a submodule when `from pkg import submodule`)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("twinsplit")]
    if node.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        absmod = ".".join(base + ([node.module] if node.module else []))
    else:
        absmod = node.module or ""
    if not absmod.startswith("twinsplit"):
        return []
    out = []
    for a in node.names:
        sub = f"{absmod}.{a.name}"
        out.append(sub if sub in MODULES else absmod)
    return out


def _graph() -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[module] = {t for node in _imports(tree) for t in _targets(module, node) if t != module}
    return graph


def _layer(module: str) -> int:
    top = module.split(".")[1] if "." in module else "__init__"
    return LAYER[top]


def test_every_package_has_a_layer():
    tops = {m.split(".")[1] if "." in m else "__init__" for m in MODULES}
    assert tops <= set(LAYER), f"place {sorted(tops - set(LAYER))} in LAYERS and docs/architecture.md"


def test_imports_run_one_way():
    wrong = sorted(f"{a} imports {b}" for a, targets in _graph().items() for b in targets
                   if b in MODULES and _layer(b) > _layer(a))
    assert not wrong, "imports against the pipeline order:\n" + "\n".join(wrong)


def test_no_import_cycle():
    graph = _graph()
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_small(module):
    n = len(MODULES[module].read_text().splitlines())
    assert n <= MAX_LINES, f"{module} has {n} lines; split it by job (limit {MAX_LINES})"


def test_the_checker_sees_imports_inside_functions():
    """The graph counts a function-level import (the kind that hid a cycle before)."""
    assert "twinsplit.proof.seal" in _graph()["twinsplit.generate"]  # imported inside generate.run
