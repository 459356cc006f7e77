"""The layout holds: core ← marketdata ← watchlist ← mojo / devtools, no cycles, no dev tools in production.

The layer rules are import-linter contracts in pyproject.toml; this runs them, looks for
import cycles between any two modules, checks what production installs and that no module
or function is too long to read. Pure: no database, no Redis, no sandbox.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "marketdata", "watchlist", "mojo", "devtools")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# The sandbox's generated market (prices, chains, earnings): data, not logic to read.
GENERATED = {"devtools/sandbox/data.py"}


def test_import_contracts_hold(capsys):
    exit_code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True)
    assert exit_code == 0, capsys.readouterr().out


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            module, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[module] = min(low[module], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[module])
            if low[module] == index[module]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == module:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_no_two_modules_import_each_other_even_indirectly():
    # Every import counts, including those inside functions and under TYPE_CHECKING.
    graph = grimp.build_graph(*PACKAGES, cache_dir=None)
    assert _cycles(graph) == []


def test_the_cycle_check_finds_a_cycle():
    graph = grimp.ImportGraph()
    for importer, imported in (("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")):
        graph.add_import(importer=importer, imported=imported)
    assert _cycles(graph) == [["a", "b", "c"]]


def test_production_settings_do_not_install_devtools(monkeypatch):
    monkeypatch.setenv("DJANGO_SECRET_KEY", "architecture-test-" + "x" * 40)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "mojo.example.com")
    monkeypatch.delitem(sys.modules, "mojo.settings.production", raising=False)
    production = importlib.import_module("mojo.settings.production")
    monkeypatch.delitem(sys.modules, "mojo.settings.production")
    assert "core" in production.INSTALLED_APPS
    assert not [app for app in production.INSTALLED_APPS if app.split(".")[0] == "devtools"]


def test_local_and_test_settings_install_devtools():
    for name in ("mojo.settings.local", "mojo.settings.test"):
        assert "devtools" in importlib.import_module(name).INSTALLED_APPS


def _production_modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts and path.relative_to(ROOT).as_posix() not in GENERATED
    )


def test_market_data_services_are_a_package():
    assert len(list((ROOT / "marketdata" / "services").glob("*.py"))) > 1


def test_no_production_module_is_too_long_to_read():
    lengths = {
        path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines())
        for path in _production_modules()
    }
    assert {name: n for name, n in lengths.items() if n > MAX_MODULE_LINES} == {}


def test_no_production_function_is_too_long_to_read():
    too_long = {}
    for path in _production_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                if (length := node.end_lineno - first + 1) > MAX_FUNCTION_LINES:
                    too_long[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = length
    assert too_long == {}


# Folders whose conftest.py asks for Redis and/or the sandbox; every other test is pure or
# database-only and must start neither.
OPTED_IN = (
    "tests/browser/",
    "tests/core/",
    "tests/devtools/",
    "tests/marketdata/api/",
    "tests/marketdata/cache/",
    "tests/marketdata/clients/",
    "tests/marketdata/management/",
    "tests/marketdata/services/",
    "tests/ops/",
    "tests/reliability/",
    "tests/watchlist/admin/",
    "tests/watchlist/alerts/",
    "tests/watchlist/api/",
    "tests/watchlist/services/",
    "tests/workers/",
)
STARTS_A_SERVER = {"redis_server", "sandbox_server"}


def _fixtures_by_test() -> dict[str, set[str]]:
    """What each test of the suite would set up, from pytest's own setup plan (nothing runs)."""
    plan = subprocess.run(
        [sys.executable, "-m", "pytest", "--setup-plan", "-p", "no:xdist", "-q", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr[-3000:]
    fixtures: dict[str, set[str]] = {}
    for line in plan.stdout.splitlines():
        test, marker, used = line.strip().partition(" (fixtures used: ")
        if marker and test.startswith("tests/"):
            fixtures[test] = set(used.rstrip(")").split(", "))
    return fixtures


@pytest.mark.slow
def test_pure_tests_start_neither_redis_nor_the_sandbox():
    fixtures = _fixtures_by_test()
    pure = {test: used for test, used in fixtures.items() if not test.startswith(OPTED_IN)}
    assert any(test.startswith("tests/marketdata/test_occ.py::") for test in pure)
    assert {test for test, used in pure.items() if used & STARTS_A_SERVER} == set()
    # And the plan does show the servers where a folder asks for them.
    services = [used for test, used in fixtures.items() if test.startswith("tests/marketdata/services/")]
    assert services and all(used >= STARTS_A_SERVER for used in services)
