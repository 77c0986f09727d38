"""The layers of docs/architecture.md, checked on the code: every import walked with ast.

No import circle between modules, no module importing a layer above its own, no import
inside a function (an import hidden in a function to dodge a circle is a circle), and
no private name imported from another module.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("cdisc_map", "define_xml")

#: Each layer and the layers it may import (its own included), bottom to top.
LAYERS: dict[str, set[str]] = {
    "define_xml": {"define_xml"},
    "core": {"core"},
    "standards": {"core", "standards"},
    "io": {"core", "io"},
    "spec": {"core", "standards", "spec"},
    "mapping": {"core", "standards", "io", "spec", "mapping"},
    "sdtm": {"core", "standards", "io", "spec", "mapping", "sdtm"},
    "adam": {"core", "standards", "io", "spec", "mapping", "adam"},
    "define": {"core", "standards", "spec", "define", "define_xml"},
    "validate": {"core", "standards", "io", "validate", "define_xml"},
    "report": {"core", "standards", "io", "report"},
    "workbook": {"core", "standards", "io", "spec", "mapping", "sdtm", "adam", "define", "workbook"},
    "facade": {"core"},
    "top": {"core", "standards", "io", "spec", "mapping", "sdtm", "adam", "define", "validate", "report", "workbook",
            "top", "define_xml", "facade"},
}
#: Modules of the package root: the public façades of the API contract, and the shell.
ROOT_MODULES = {"cdisc_map": "facade", "cdisc_map.dates": "facade", "cdisc_map.errors": "facade",
                "cdisc_map.pipeline": "top", "cdisc_map.cli": "top"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    if module.startswith("define_xml"):
        return "define_xml"
    if module in ROOT_MODULES:
        return ROOT_MODULES[module]
    return module.split(".")[1]


MODULES = {module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    is_package = MODULES[module].name == "__init__.py"
    base = base[: len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(module: str) -> list[tuple[str, list[str], ast.AST, bool]]:
    """(imported module, names taken, node, at module level) of every import of ours in `module`."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    for node in tree.body:  # `if TYPE_CHECKING:` blocks hold module-level imports too
        if isinstance(node, ast.If):
            top |= {id(child) for child in node.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    found.append((alias.name, [], node, id(node) in top))
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, node)
            if target.split(".")[0] in PACKAGES:
                names = [alias.name for alias in node.names]
                submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
                found.append((target, [n for n in names if f"{target}.{n}" not in MODULES], node, id(node) in top))
                found += [(sub, [], node, id(node) in top) for sub in submodules]
    return found


def test_every_module_is_in_a_layer():
    assert {layer_of(m) for m in MODULES} <= set(LAYERS), sorted({layer_of(m) for m in MODULES} - set(LAYERS))


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_from_its_own_layer_or_below(module):
    allowed = LAYERS[layer_of(module)]
    wrong = [f"{target} (layer {layer_of(target)})" for target, _names, _node, _top in imports(module)
             if target in MODULES and layer_of(target) not in allowed]
    assert not wrong, f"{module} (layer {layer_of(module)}) imports from above: {', '.join(wrong)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_inside_a_function(module):
    inside = [f"line {node.lineno}: {target}" for target, _names, node, top in imports(module) if not top]
    assert not inside, f"{module} imports inside a function: {'; '.join(inside)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_imported_from_another_module(module):
    private = [f"{target}.{name}" for target, names, _node, _top in imports(module) for name in names
               if name.startswith("_") and not name.startswith("__")]
    assert not private, f"{module} imports private names: {', '.join(private)}"


def test_no_import_circle():
    graph = {module: {target for target, *_rest in imports(module) if target in MODULES and target != module}
             for module in MODULES}
    for module in graph:  # a package imports its __init__ implicitly; that is no circle of ours
        graph[module] -= {m for m in graph[module] if module.startswith(m + ".")}
    try:
        list(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")


def test_the_architecture_page_describes_every_layer():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for layer in set(LAYERS) - {"facade", "top"}:
        assert f"## {layer}" in text or f"{layer}/" in text, layer
