"""The code stays as ruff (configured in pyproject.toml) wants it."""

import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"


def test_ruff_finds_nothing():
    result = subprocess.run(
        [RUFF, "check", "."], cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_the_code_is_formatted():
    result = subprocess.run(
        [RUFF, "format", "--check", "."], cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"


def test_the_import_contracts_hold():
    """The layers written down in .importlinter (issue 18): nothing but the pages imports the
    admin, rules and services import no spreadsheet or command, the layers point down."""
    result = subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


PACKAGES = ("approvals", "accounts", "zones", "projectdesk")


def _graph():
    import grimp

    return grimp.build_graph(*PACKAGES, cache_dir=None)


def _cycles(graph) -> list[list[str]]:
    """The import cycles among the modules (strongly connected components of two or more, by
    Tarjan's algorithm, iteratively); migrations left out."""
    modules = {m for m in graph.modules if ".migrations" not in m}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, edges = work[-1]
            for imported in edges:
                if imported not in index:
                    index[imported] = low[imported] = len(index)
                    stack.append(imported)
                    on_stack.add(imported)
                    imports = graph.find_modules_directly_imported_by(imported) & modules
                    work.append((imported, iter(sorted(imports))))
                    break
                if imported in on_stack:
                    low[module] = min(low[module], index[imported])
            else:
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
                        found.append(sorted(component))
    return found


def test_no_module_imports_itself_through_others():
    """No import cycle among the modules of approvals/, accounts/, zones/ and projectdesk/
    (imports inside functions count): each cycle is listed with its modules."""
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    class Graph:  # a -> b -> c -> a, and d -> a outside the cycle
        modules = {"a", "b", "c", "d"}
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}

        def find_modules_directly_imported_by(self, module):
            return self.edges[module]

    assert _cycles(Graph()) == [["a", "b", "c"]]


def test_every_module_of_approvals_has_its_layer():
    """A new module is placed in one layer of .importlinter (or inside a package placed there),
    so the layers contract covers it; the old paths kept for migrations and the migrations
    themselves are the exceptions."""
    import configparser

    config = configparser.ConfigParser()
    config.read(Path(settings.BASE_DIR) / ".importlinter")
    layers = config["importlinter:contract:layers"]["layers"]
    placed = {
        name.strip() for line in layers.splitlines() for name in line.replace("|", ":").split(":")
    }
    placed.discard("")
    old_paths = config["importlinter:contract:old-paths-for-migrations-only"]["protected_modules"]
    exempt = {"approvals", "approvals.migrations", *old_paths.split()}
    unplaced = [
        module
        for module in sorted(_graph().modules)
        if module.startswith("approvals")
        and not any(module == p or module.startswith(p + ".") for p in placed | exempt)
    ]
    assert unplaced == []
