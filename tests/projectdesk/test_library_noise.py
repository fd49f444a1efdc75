"""What libraries print that tells nobody anything is not printed (projectdesk/settings/base.py,
``_not_library_noise``): kombu's "No hostname" on the embedded broker, and the development
server's reloader announcing itself in English under ./desk run's Chinese banner."""

import logging

from projectdesk.settings.base import _not_library_noise


def record(name: str, level: int, message: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_the_noise_is_dropped():
    assert not _not_library_noise(
        record("kombu.connection", logging.WARNING, "No hostname was supplied.")
    )
    # the reloader's "Watching for file changes with StatReloader", by any handler
    reloader = logging.getLogger("django.utils.autoreload")
    assert not reloader.isEnabledFor(logging.INFO)


def test_what_matters_is_kept():
    assert logging.getLogger("django.utils.autoreload").isEnabledFor(logging.WARNING)
    assert _not_library_noise(record("kombu.connection", logging.WARNING, "Connection lost"))
    assert _not_library_noise(record("approvals", logging.INFO, "Watching for file changes"))
