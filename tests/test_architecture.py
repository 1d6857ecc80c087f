"""The arrows between the apps run one way, and no import circle closes at module level (docs/architecture.md).

The import graph is read from the source with `ast`, every import counted,
those inside functions too (a deferred import is still an arrow); the body of
an `if TYPE_CHECKING:` block is left out (it never runs) and so are the
migrations. `from package import name` points at the submodule `package.name`
when there is one, else at the package (the name comes from its __init__).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "demo", "investors", "deals", "origination")

# Which apps each app may not import: config and demo on top, then investors, then deals, then origination; and
# nothing of the product (config included) imports the demo loader.
FORBIDDEN = {
    "origination": {"deals", "investors", "config", "demo"},
    "deals": {"investors", "config", "demo"},
    "investors": {"config", "demo"},
    "config": {"demo"},
}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    deferred: bool  # inside a function: runs when called, not when the module loads

    def __str__(self) -> str:
        where = f"{modules()[self.importer].relative_to(ROOT)} line {self.line}"
        return f"{self.importer} -> {self.imported} ({where}{', in a function' if self.deferred else ''})"


@cache
def modules() -> dict[str, Path]:
    """Every module of the apps, by dotted name (a package by its own name), migrations left out."""
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.relative_to(ROOT).parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _known(name: str) -> str | None:
    """The project module `name` is, or is inside (a name imported from it); None outside the project."""
    while name and name not in modules():
        name = name.rpartition(".")[0]
    return name or None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_of(name: str, path: Path) -> list[Import]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []

    def add(target: str, node: ast.stmt, deferred: bool) -> None:
        imported = _known(target)
        if imported and imported != name:
            found.append(Import(name, imported, node.lineno, deferred))

    def visit(node: ast.AST, deferred: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit_one(other, deferred)
                continue
            visit_one(child, deferred)

    def visit_one(child: ast.AST, deferred: bool) -> None:
        if isinstance(child, ast.Import):
            for alias in child.names:
                add(alias.name, child, deferred)
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - child.level + 1] + ([base] if base else []))
            for alias in child.names:
                submodule = f"{base}.{alias.name}"
                add(submodule if submodule in modules() else base, child, deferred)
        inside = deferred or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
        visit(child, inside)

    visit(ast.parse(path.read_text(), str(path)), False)
    return found


@cache
def imports() -> tuple[Import, ...]:
    return tuple(edge for name, path in modules().items() for edge in _imports_of(name, path))


def _app(module: str) -> str:
    return module.partition(".")[0]


def _module_level_circles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for importer, imported in edges:
        graph[importer].add(imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []
    for start in sorted(modules()):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        circles.append(sorted(component))
    return circles


def test_the_graph_is_read_from_the_source():
    """The reader finds what it is meant to find, so the tests below cannot pass on an empty graph."""
    found = {(edge.importer, edge.imported, edge.deferred) for edge in imports()}
    # A relative import of a name, at module level.
    assert ("deals.models", "origination.models", False) in found
    # The app config imports its handlers inside ready(): a deferred arrow.
    assert ("deals.apps", "deals.asset_hooks", True) in found
    assert not [module for module in modules() if ".migrations" in module]


def test_each_app_imports_only_the_apps_below_it():
    """origination imports no other app; deals neither investors nor config nor demo; investors neither config nor
    demo; nothing of the product imports the demo loader, not even inside a function."""
    upward = [edge for edge in imports() if _app(edge.imported) in FORBIDDEN.get(_app(edge.importer), set())]
    assert not upward, "Imports against the arrows (docs/architecture.md, 'Arrows'):\n" + "\n".join(map(str, upward))


def test_no_import_circle_at_module_level():
    edges = {(e.importer, e.imported) for e in imports() if not e.deferred}
    circles = _module_level_circles(edges)
    assert not circles, "Modules importing each other when they load:\n" + "\n".join(map(str, circles))


def test_no_import_circle_even_inside_functions_but_a_job_sending_its_task():
    """The one circle allowed: a job module sends its Celery task through an import inside a function, while the
    task module imports the job to run it. Without those deferred imports of a `tasks` module, no circle is left."""
    edges = {
        (e.importer, e.imported) for e in imports() if not (e.deferred and e.imported.rsplit(".", 1)[-1] == "tasks")
    }
    circles = _module_level_circles(edges)
    assert not circles, "Modules importing each other (some inside functions):\n" + "\n".join(map(str, circles))


def test_every_hook_has_a_row_in_the_architecture_table():
    """docs/architecture.md lists every hook an app declares, where it is fired and who registers its handler."""
    declared = set()
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "hook_declare"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                declared.add(node.args[0].value)
    table = (ROOT / "docs" / "architecture.md").read_text().partition("## Hooks")[2]
    rows = set(re.findall(r"^\| `([a-z_]+)`", table, flags=re.MULTILINE))
    assert declared, "no hook found: the reader is broken"
    assert not declared - rows, f"hooks missing from the table of docs/architecture.md: {sorted(declared - rows)}"


def test_every_required_hook_has_a_handler_once_the_apps_are_ready():
    """A guard (a required hook) left without its handler would let a change slip by unrecorded: a system check error."""
    from django.core import checks

    from origination.hooks import HOOKS

    assert [name for name, hook in HOOKS.items() if hook.required], "no required hook declared: the reader is broken"
    assert not [message.msg for message in checks.run_checks() if message.id == "origination.E001"]
