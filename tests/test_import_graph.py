"""The layers of imarray import downwards only: no cycle, function-local imports included.

The graph is built from the source (every ``import`` statement, at any depth),
not from what happens to be imported at run time, so a cycle hidden inside a
function is found too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "imarray"
# Lower layers never import higher ones (design.md, section 10). Keys: module-name prefixes.
LAYERS = {
    "core": ["imarray.errors", "imarray.dtypes", "imarray.registry", "imarray._", "imarray.protocol",
             "imarray.fileinfo", "imarray.geometry", "imarray.layout"],
    "image": ["imarray.image", "imarray.interop"],
    "formats": ["imarray.formats"],
    "engines": ["imarray.lazy", "imarray.streaming", "imarray.blockwise"],
    "api": ["imarray.api"],
}
ORDER = list(LAYERS)


def _modules() -> dict[str, Path]:
    found = {}
    for path in SOURCE.rglob("*.py"):
        parts = list(path.relative_to(SOURCE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _targets(module: str, node: ast.AST, is_package: bool, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        assert isinstance(node, ast.ImportFrom)
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            package = ".".join([*base, *([node.module] if node.module else [])])
        else:
            package = node.module or ""
        names = [f"{package}.{alias.name}" if f"{package}.{alias.name}" in known else package
                 for alias in node.names]
    resolved = []
    for name in names:
        while name not in known and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in known and name != module:
            resolved.append(name)
    return resolved


def import_graph() -> dict[str, set[str]]:
    """Module -> the imarray modules it imports anywhere in its source."""
    known = _modules()
    graph = {}
    for module, path in known.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        graph[module] = {target for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)
                         for target in _targets(module, node, path.name == "__init__.py", known)}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _layer(module: str) -> str | None:
    for layer, prefixes in LAYERS.items():
        if any(module == prefix or module.startswith(prefix if prefix.endswith("_") else prefix + ".")
               or (prefix.endswith("_") and module.startswith(prefix)) for prefix in prefixes):
            return layer
    return None


def test_the_graph_finds_a_hidden_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_graph_sees_function_local_imports():
    graph = import_graph()
    assert "imarray.registry" in graph["imarray.image"]  # Image's toolkit methods, imported late through the registry
    assert "imarray.lazy" in graph["imarray.api"]  # imported inside _pixels


def test_no_import_cycles():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(component) for component in found)


@pytest.mark.parametrize("layer", ORDER)
def test_layers_import_only_downwards(layer):
    graph = import_graph()
    allowed = set(ORDER[: ORDER.index(layer) + 1])
    wrong = sorted(f"{module} -> {target} ({_layer(target)})" for module, targets in graph.items()
                   if _layer(module) == layer for target in targets
                   if _layer(target) is not None and _layer(target) not in allowed)
    assert not wrong, f"{layer} imports a higher layer: " + "; ".join(wrong)


def test_engines_never_name_a_format():
    for module in LAYERS["engines"]:
        text = (SOURCE / f"{module.split('.')[-1]}.py").read_text()
        assert "formats." not in text.replace("imarray.formats.", ""), module
        assert not any(target.startswith("imarray.formats") for target in import_graph()[module]), module
