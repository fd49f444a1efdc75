"""The API for the city's and the province's platforms (issue 22): ``/api/v1/``, Django REST
Framework beside the admin, calling the same services and the same one home of permissions
(``approvals.access.permissions``). A client system is an account of its own whose roles are the
zones of its token's scope (``clients``); a person's own token acts with the person's roles."""
