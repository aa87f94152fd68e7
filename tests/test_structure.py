"""The house keeps its shape: rooms by stage, arrows pointing down, no hidden cycles.

import-linter (``lint-imports``, contracts in pyproject.toml) checks the arrows in CI; these
tests check what it cannot, and that it would catch a reversed arrow.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ast_support import parse_source

ROOT = Path(__file__).resolve().parents[1]
OURS = ("renkei", "flows", "transforms", "warehouse", "newsletter_templates")

# The one place that says which of our modules may be imported inside a function: those
# that pull in a heavy optional dependency most commands never need.
LAZY_ALLOWED = {
    "renkei.newsletter.approval_input": "Prefect (RunInput): over a second to import",
    "renkei.delivery.unsubscribe_server": "uvicorn and Starlette, for `renkei serve` only",
    "renkei.console.app": "Starlette, uvicorn, Jinja2 and Argon2, for `renkei console` only",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """(imported module of ours, inside a function?) for every import in the file."""
    tree = parse_source(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def target(module: str) -> str | None:
        while module and module not in MODULES:
            module = module.rpartition(".")[0]
        return module or None

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue  # not executed: cannot make a cycle
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] in OURS and (hit := target(alias.name)):
                        found.append((hit, local))
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                if base.split(".")[0] not in OURS:
                    continue
                for alias in child.names:
                    hit = (
                        target(f"{base}.{alias.name}")
                        if f"{base}.{alias.name}" in MODULES
                        else None
                    )
                    hit = hit or target(base)
                    if hit:
                        found.append((hit, local))
            inner = local or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, inner)

    visit(tree, False)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or with a self-loop."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                out.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(edges):
        if node not in index:
            connect(node)
    return out


def test_no_import_cycle_among_our_modules_counting_function_local_imports() -> None:
    edges = {
        name: {to for to, _ in imports if to != name and not name.startswith(f"{to}.")}
        for name, imports in GRAPH.items()
    }
    assert _cycles(edges) == []


def test_the_cycle_finder_sees_a_cycle_closed_by_a_function_local_import() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_function_local_imports_of_our_modules_only_for_the_listed_heavy_ones() -> None:
    local = sorted(
        {(name, to) for name, imports in GRAPH.items() for to, inside in imports if inside}
    )
    assert [(name, to) for name, to in local if to not in LAZY_ALLOWED] == []


def test_every_package_says_what_it_owns_and_what_it_may_import() -> None:
    for name, path in MODULES.items():
        if path.name != "__init__.py" or not name.startswith("renkei."):
            continue
        doc = ast.get_docstring(parse_source(path.read_text(encoding="utf-8"))) or ""
        assert "import" in doc.lower(), f"{name}: the docstring names no allowed imports"


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert long == {}


def test_the_application_top_level_holds_stage_packages_and_at_most_eight_modules() -> None:
    top = sorted(p.name for p in (ROOT / "renkei").glob("*.py"))
    packages = sorted(p.name for p in (ROOT / "renkei").iterdir() if (p / "__init__.py").is_file())
    assert len(top) <= 8, top
    assert {"core", "feeds", "submissions", "normalize", "newsletter", "delivery", "dataset",
            "orchestration", "cli"} <= set(packages)  # fmt: skip


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(executable), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_import_contracts_catch_a_module_that_imports_upward(tmp_path: Path) -> None:
    for package in OURS:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    kept = _lint_imports(tmp_path)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    # A core helper that reaches up into the pipeline (the composition layer), inside a
    # function, where it would not even show at import time.
    (tmp_path / "renkei" / "core" / "upward.py").write_text(
        "def shortcut(settings):\n    from renkei import pipeline\n\n"
        "    return pipeline.normalize(settings)\n",
        encoding="utf-8",
    )
    broken = _lint_imports(tmp_path)
    assert broken.returncode == 1
    assert "Arrows point down" in broken.stdout
    assert "renkei.core.upward -> renkei.pipeline" in broken.stdout


@pytest.mark.parametrize("name", sorted(LAZY_ALLOWED))
def test_each_listed_lazy_module_exists(name: str) -> None:
    assert name in MODULES
