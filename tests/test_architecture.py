"""The layout docs/architecture.md promises: stages in one direction, no import cycle, no stage that prints,
commands that are glue, one output registry."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "archsel"
PRINTING = ("print", "sys.stdout", "sys.stderr", "Console", "typer.echo", "emit")
OUTPUT_MODULES = ("archsel.report", "archsel.commands", "archsel.cli", "archsel.log")
STAGES = ("query", "knowledge", "zoo", "profiling", "targets", "estimation", "advice", "report")


def _modules() -> dict[str, tuple[Path, ast.Module]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = (path, ast.parse(path.read_text(encoding="utf-8")))
    return out


def _imports(name: str, path: Path, tree: ast.Module, known: set[str]) -> set[str]:
    """Every archsel module `name` imports, at module level or inside a function (not under TYPE_CHECKING)."""
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found |= {base} | {f"{base}.{a.name}" for a in node.names}
    return {m for m in found if m in known and m != name}


def test_the_import_graph_has_no_cycle() -> None:
    modules = _modules()
    graph = {n: _imports(n, p, t, set(modules)) for n, (p, t) in modules.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*path[path.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_stages_import_only_earlier_stages_or_foundations() -> None:
    """A stage never imports report/ or commands/ (report may import any stage; commands anything)."""
    modules = _modules()
    for name, (path, tree) in modules.items():
        stage = name.split(".")[1] if name.count(".") else ""
        if stage not in STAGES or stage == "report":
            continue
        for imported in _imports(name, path, tree, set(modules)):
            assert not imported.startswith(("archsel.report", "archsel.commands", "archsel.cli")), (name, imported)


def test_no_stage_prints() -> None:
    for name, (path, tree) in _modules().items():
        if name.startswith(OUTPUT_MODULES):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                flush = called in ("sys.stdout.flush", "sys.stderr.flush")  # not printing
                assert called not in PRINTING and (flush or not called.startswith(("sys.stdout.", "sys.stderr."))), \
                    f"{path}:{node.lineno}: {called}"
            if isinstance(node, ast.Attribute) and ast.unparse(node) in ("sys.stdout", "sys.stderr"):
                # only to send the user's prints to stderr (in-process, and in the child that runs user code)
                assert name in ("archsel.usermodel", "archsel.isolation"), f"{path}:{node.lineno}"


def test_commands_are_glue() -> None:
    """No command builds a view, writes to a stream or renders: report/ does (one registry of formats)."""
    for name, (path, tree) in _modules().items():
        if not name.startswith("archsel.commands"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module not in ("archsel.report.document", "rich.table", "rich.console", "json",
                                           "csv"), f"{path}:{node.lineno}: imports {node.module}"
            if isinstance(node, ast.Import):
                assert not {a.name for a in node.names} & {"json", "csv", "rich"}, f"{path}:{node.lineno}"
            if isinstance(node, ast.Call):
                called = ast.unparse(node.func)
                assert called not in ("print", "TableView", "Column", "typer.echo", "typer.Exit"), \
                    f"{path}:{node.lineno}: {called}"
