"""Spreadsheets in and out: reading files safely (``reading``, ``extent``, ``cells``), one
importer per format (``project_list``, reading rows in ``project_rows``, comparing them in
``project_plan``, writing them in ``project_write``; ``approval_table``; ``monthly_table``, its
rows read in ``monthly_rows``) behind ``imports`` and its record (``models``) and outcome
(``outcome``), and the exports (``exports``, ``export_jobs``, ``writing``)."""
