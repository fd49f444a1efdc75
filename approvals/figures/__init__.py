"""Figures: the reports (``reports``, ``casework``), the report registry, and the dashboard and
to-do list as plain data the admin index shows."""
