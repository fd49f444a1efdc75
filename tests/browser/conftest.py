"""The browser fixtures (``tests/browser_support.py``) for every test module of this folder:
one Chromium a module, a fresh page a test, and that page logged in (``as_user``, which here
replaces the test client's of ``tests/conftest.py``)."""

from tests.browser_support import as_user, browser, page  # noqa: F401 - fixtures, found by name
