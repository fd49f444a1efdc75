"""The models of a project: the project, its milestones and stage changes (``project``), the
三个一批 rounds that list it (``rounds``), and the thresholds of its colours (``thresholds``)."""
