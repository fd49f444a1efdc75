"""The benchmarks (benchmarks/, run by ``./desk bench``) still import after code moves: every
module imports under the test settings, and so does every name each one imports, the imports
inside its functions too (most of them import the models there, after Django has started).
Nothing is run."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from django.conf import settings

BENCHMARKS = Path(settings.BASE_DIR) / "benchmarks"
MODULES = sorted(f"benchmarks.{m.name}" for m in pkgutil.iter_modules([str(BENCHMARKS)]))


def imported_names(module: str) -> list[tuple[int, str, str | None]]:
    """(line, module, name or None) of every absolute import in the module's source."""
    tree = ast.parse((BENCHMARKS / f"{module.rsplit('.', 1)[-1]}.py").read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
            found += [(node.lineno, node.module, alias.name) for alias in node.names]
    return found


def test_the_benchmarks_are_found():
    assert {"benchmarks.common", "benchmarks.run", "benchmarks.dashboard"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_the_module_imports(module):
    importlib.import_module(module)


@pytest.mark.parametrize("module", MODULES)
def test_every_name_it_imports_is_there(module):
    missing = []
    for line, source, name in imported_names(module):
        try:
            imported = importlib.import_module(source)
            if name not in (None, "*") and not hasattr(imported, name):
                importlib.import_module(f"{source}.{name}")  # a submodule not imported yet
        except ImportError as error:
            missing.append(f"{module}:{line}: {source} {name or ''}: {error}")
    assert missing == []


def test_no_benchmark_imports_itself_through_others():
    """``run.py`` imports the scripts, which stand on ``databases.py``, not on ``run.py``: no
    import cycle among the benchmarks (imports inside functions count), as in the app."""
    import grimp

    from tests.test_lint import _cycles

    assert _cycles(grimp.build_graph("benchmarks", cache_dir=None)) == []
