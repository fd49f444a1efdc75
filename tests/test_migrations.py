"""Every model change comes with its migration."""

from io import StringIO

import pytest
from django.core.management import call_command


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
