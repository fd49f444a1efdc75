"""What every capability stands on and nothing of ours below it: the recorded state machine
(``machine``), dates and working days (``dates``, ``workdays``), units (``units``: 万元 and 亿元),
how values read on pages (``display``) and the bulk database layer (``bulk``). Imports no model
of the app (an import-linter contract keeps it so)."""
