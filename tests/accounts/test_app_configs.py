"""The accounts app runs its own configuration: its ``ready()`` registers the deployment checks
(no superuser, no demo account in production) and the login signals. With the third-party
apps' configurations beside it in ``accounts/apps.py``, Django silently gave "accounts" a bare
AppConfig, and ``check --deploy`` passed a production with a superuser whenever nothing else
had imported the checks (tests/access/test_admin_roles.py, run alone)."""

import subprocess
import sys

from django.apps import apps

from accounts.apps import AccountsConfig
from accounts.vendor_apps import LockoutConfig, SecondFactorConfig


def test_each_app_gets_its_own_configuration():
    assert type(apps.get_app_config("accounts")) is AccountsConfig
    assert type(apps.get_app_config("axes")) is LockoutConfig
    assert type(apps.get_app_config("otp_totp")) is SecondFactorConfig


def test_a_fresh_process_registers_the_deployment_checks():
    """In a process that imports nothing else first, as `manage.py check --deploy` does."""
    code = (
        "import django; django.setup();"
        "from django.core.checks import registry;"
        "print(sorted(c.__name__ for c in registry.registry.get_checks(True)"
        " if c.__module__ == 'accounts.checks'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert "no_superusers" in done.stdout and "no_demo_accounts" in done.stdout, done.stderr
