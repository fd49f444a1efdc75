"""The models of a project: the project and its stage machine (``project``, its stages named in
``stages``, its querysets in ``querysets``), its milestones (``milestones``) and stage changes
(``stage_changes``), the 三个一批 rounds that list it (``rounds``), and the thresholds of its
colours (``thresholds``)."""
