"""Spreadsheets in and out: reading files safely (``reading``, ``extent``, ``cells``), one
importer per format (``project_list``, ``approval_table``, ``monthly_table``) behind ``imports``
and its record (``models``) and outcome (``outcome``), and the exports (``exports``,
``export_jobs``, ``writing``)."""
