"""Projects (cases): the Project and Milestone models and their stage changes (``models``),
the 三个一批 rounds (``models.rounds``), the colour thresholds (``models.thresholds``), project
codes, lateness and colours (``lateness``, ``colours``), and the case file as plain data."""
