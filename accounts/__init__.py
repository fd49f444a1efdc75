"""Authentication and the 等保 controls: login lockout and its handler, the second factor, the
session and password rules, the deployment checks, and the demo accounts' names.

An app of its own (``accounts``) without models: the models it guards (``Administrator``,
``AccountSecurity``) keep their ``zones`` app label and tables. It imports nothing of
``approvals`` but the one home of who may do what (``approvals.access.permissions``); what it
records for the audit log it announces through ``accounts.signals``."""
