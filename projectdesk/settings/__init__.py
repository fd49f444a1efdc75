"""ProjectDesk settings (DJANGO_SETTINGS_MODULE=projectdesk.settings), every knob from the
environment, composed of:

- environment.py: the one environment reader (``env`` and its strict helpers), BASE_DIR, DEBUG;
- desk.py: the desk's own knobs (thresholds, limits, waits, paths under VAR_DIR, ...);
- base.py: Django's own settings (apps, middleware, templates, database, caches, e-mail, i18n,
  static and media files, logging);
- security.py: authentication, lockout, second factor, passwords, sessions, HTTPS, CSP;
- worker.py: Celery.

Each setting is assigned in one of them, once (tests/projectdesk/test_settings.py checks it).
"""

from projectdesk.settings.base import *  # noqa: F403
from projectdesk.settings.desk import *  # noqa: F403
from projectdesk.settings.environment import BASE_DIR, DEBUG  # noqa: F401
from projectdesk.settings.security import *  # noqa: F403
from projectdesk.settings.worker import *  # noqa: F403
