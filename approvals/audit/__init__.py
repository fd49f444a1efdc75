"""The audit log: AuditEvent (``models``, append-only in the database), ``services.record()``
and the signal handlers that record logins, second factors, roles and deletions."""
