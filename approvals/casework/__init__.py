"""The case work around a project: problems and their 销号 (``models.problem``, ``problems``),
service records, task plans, monthly progress and factor needs (``models``)."""
