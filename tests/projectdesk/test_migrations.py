"""Every model change comes with its migration."""

import os
import subprocess
import sys
import tempfile
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from approvals.models import WarningSettings


@pytest.mark.django_db  # makemigrations reads the migration history of the database
def test_every_model_change_has_its_migration():
    output = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
        missing = False
    except SystemExit:  # --check exits 1 when a migration is missing
        missing = True
    assert not missing, (
        "models changed without a migration; run `manage.py makemigrations` and keep the "
        f"file:\n{output.getvalue()}"
    )


# Thresholds read from the environment (projectdesk/settings/desk.py) that a model uses for a new
# row: the exact variable names of desk.py.
THRESHOLDS_SET_OTHERWISE = {"MILESTONE_YELLOW_WITHIN_DAYS": "9", "MILESTONE_RED_AFTER_DAYS": "45"}
PRINT_THRESHOLDS = (
    "from django.conf import settings as s; "
    "print(s.MILESTONE_YELLOW_WITHIN_DAYS, s.MILESTONE_RED_AFTER_DAYS)"
)


def test_thresholds_from_the_environment_make_no_migration():
    """A deployment's thresholds are not a model change: no migration appears with them set."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(THRESHOLDS_SET_OTHERWISE, DEBUG="1", DJANGO_SETTINGS_MODULE="projectdesk.settings")
    with tempfile.TemporaryDirectory() as var:  # the embedded database, not the developer's
        env["PROJECTDESK_VAR_DIR"] = var

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, *args],
                env=env,
                cwd=settings.BASE_DIR,
                capture_output=True,
                text=True,
                timeout=120,
            )

        result = run("manage.py", "makemigrations", "--check", "--dry-run")
        # The settings did read them (a renamed variable would leave the defaults: no test).
        read = run("-c", f"import django; django.setup(); {PRINT_THRESHOLDS}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    assert read.stdout.split() == list(THRESHOLDS_SET_OTHERWISE.values()), read.stderr


@pytest.mark.django_db
def test_a_new_warning_settings_row_takes_the_thresholds_from_the_settings():
    WarningSettings.objects.all().delete()
    with override_settings(MILESTONE_YELLOW_WITHIN_DAYS=9, MILESTONE_RED_AFTER_DAYS=45):
        rules = WarningSettings.get_solo()
    rules.refresh_from_db()
    assert (rules.milestone_yellow_within_days, rules.milestone_red_after_days) == (9, 45)
    assert WarningSettings().milestone_red_after_days == 30  # the settings' own default
