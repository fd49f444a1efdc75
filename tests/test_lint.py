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
