"""Long work a person waits for: the Job row (``models``) and starting, claiming, reporting
and finishing jobs (``services``); the Celery tasks that run them are in ``approvals.tasks``."""
