"""Who may do what: the one name every caller asks (``from approvals.access import
permissions``; ``permissions.may_decide(user, request)``, ``permissions.scope(queryset, user)``).

This module holds no rule: it re-exports the rules of the ``approvals.access`` modules, each the
home of one concern, the object form of a rule and its query form side by side:

- ``roles``: the permission names, the roles a person holds (administrators' and per zone), its
  roles for a project, and the zones it reaches;
- ``grants``: what a person may do on an object (``granted``, ``has``) and as a query
  (``scope``), with the enterprises' rules that both read;
- ``administrators``: 三权分立 (system, security, audit), the superuser flag, the demo accounts,
  who proves a second factor;
- ``projects``: projects and their rows (items, imports, exports), who may be a project's officer
  or leader, who supervises a zone, who sees the figures;
- ``decisions``: the four eyes of a stage decision and of a problem's 销号;
- ``personal``: one's own background jobs and reminders;
- ``bulletins``: who reads a zone's or a city's 督办通报;
- ``backends``: ``AccountBackend`` and ``ZoneRoleBackend``, which settings (and the sessions, which
  store the path) name as ``approvals.access.permissions.AccountBackend`` and
  ``approvals.access.permissions.ZoneRoleBackend``.

A new rule goes into its module and is added to the imports below; nothing else goes here.
"""

from approvals.access.administrators import (  # noqa: F401
    channels_kept,
    holds_a_second_factor_role,
    is_demo_account_refused,
    keepable_accounts,
    may_keep_account,
    may_keep_channel,
    may_keep_configuration,
    may_keep_security,
    may_keep_zone_roles,
    may_read_audit,
)
from approvals.access.backends import (  # noqa: F401
    AccountBackend,
    ZoneRoleBackend,
)
from approvals.access.bulletins import (  # noqa: F401
    bulletin_cities,
    bulletin_zones,
    bulletins,
    may_read_bulletin,
    may_read_bulletins_somewhere,
)
from approvals.access.decisions import (  # noqa: F401
    asked_it,
    closable,
    decidable,
    may_cancel,
    may_close_problem,
    may_close_somewhere,
    may_decide,
    may_decide_somewhere,
    may_escalate_problem,
    may_work_problem,
    resolved_it,
)
from approvals.access.grants import (  # noqa: F401
    enterprises,
    granted,
    has,
    investor_linkable,
    may_link_investor,
    may_link_investors_somewhere,
    scope,
    scope_key,
    sees_whole_zones,
    with_contacts_visible,
    zones_seen_whole,
)
from approvals.access.personal import (  # noqa: F401
    imports,
    jobs,
    may_see_import,
    may_see_job,
    may_see_reminder,
    may_set_reach,
    reminders,
)
from approvals.access.projects import (  # noqa: F401
    PEOPLE_ROLES,
    choice_zones,
    import_zones,
    is_supervisor,
    leader_choices,
    may_be,
    may_edit,
    may_edit_enterprise,
    may_edit_item,
    may_export_projects,
    may_generate_checklist,
    may_generate_somewhere,
    may_import_somewhere,
    may_request,
    may_run_import_transition,
    may_run_stage_transition,
    may_see,
    may_see_figures,
    may_work_item,
    officer_choices,
    people_roles,
    supervises_somewhere,
    supervisor_roles,
)
from approvals.access.roles import (  # noqa: F401
    CLOSE_PROBLEM,
    DECIDE,
    EDIT,
    EDIT_ITEM,
    GENERATE,
    IMPORT,
    REFERENCE_DATA,
    REQUEST,
    VIEW,
    WORK_ITEM,
    WORK_PROBLEM,
    admin_role,
    casework_zones,
    holds_a_role,
    is_administrator,
    is_system_administrator,
    leads,
    project_of,
    role_holders,
    roles_for,
    zone_ids,
    zones_seen,
    zones_visible,
)
