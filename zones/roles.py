"""What each zone role may do, as Django permission names: the table of roles.

Roles are held per zone (a city role in every zone of its city), so the permissions hold per
zone too: ``approvals.access.permissions``
(the one home of every access rule) grants a permission on a project only through a role in
that project's zone, or the leader's when one follows the project.
"""

from zones.models import AdminRole, Role

_READ = {
    "zones.view_zone",
    "zones.view_enterprise",
    "approvals.view_project",
    "approvals.view_milestone",
    "approvals.view_stagechange",
    "approvals.view_approvalitem",
    "approvals.view_approvaltype",
    "approvals.view_itemstatuschange",
    "approvals.view_itemmodechange",
    "approvals.view_stagerequest",
    "approvals.view_requestattachment",
    "approvals.view_problem",
    "approvals.view_problemchange",
    "approvals.view_servicerecord",
    "approvals.view_tasknode",
    "approvals.view_monthlyprogress",
    "approvals.view_factorneed",
    "approvals.view_whitelistproject",
}
_CASEWORK = {
    "zones.add_enterprise",
    "zones.change_enterprise",
    "approvals.add_project",
    "approvals.change_project",
    "approvals.add_milestone",
    "approvals.change_milestone",  # plans only: rows of record are the workflow's (issue 17)
    "approvals.request_stage_change",
    "approvals.add_approvalitem",
    "approvals.change_approvalitem",
    "approvals.change_item_status",
    # the rest of an officer's day: problems, service records, task plans, monthly figures and
    # factor needs of its zones' projects (records are kept: nobody deletes a problem or a visit)
    "approvals.add_problem",
    "approvals.change_problem",
    "approvals.add_servicerecord",
    "approvals.change_servicerecord",
    "approvals.add_tasknode",
    "approvals.change_tasknode",
    "approvals.delete_tasknode",
    "approvals.add_monthlyprogress",
    "approvals.change_monthlyprogress",
    "approvals.add_factorneed",
    "approvals.change_factorneed",
    "approvals.delete_factorneed",
}

#: Statisticians import the quarterly lists; officers and supervisors may too (guide section 11).
_IMPORT = {"approvals.import_spreadsheets", "approvals.view_batch", "approvals.view_batchentry"}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.OFFICER: frozenset(_READ | _CASEWORK | _IMPORT),
    Role.SUPERVISOR: frozenset(
        _READ
        | _CASEWORK
        | _IMPORT
        | {"zones.view_zonerole", "approvals.decide_stagerequest", "approvals.close_problem"}
    ),
    Role.LEADER: frozenset(_READ),
    Role.STATISTICIAN: frozenset(_READ | _IMPORT),
    # Over every zone of a city (zones.models.CityRole): reads the zones' cases and decides
    # their requests and 销号, the zone's own supervisor's included; no casework of its own.
    Role.CITY_SUPERVISOR: frozenset(
        _READ | {"approvals.decide_stagerequest", "approvals.close_problem"}
    ),
}

# A client system (api/) reads its zones' cases, batches and figures; with write access it also
# asks for stage changes (decided by the zone's supervisors, four eyes unchanged), raises
# problems and imports lists (its upload opens catch-up requests in its own name, guide §12).
ROLE_PERMISSIONS[Role.PLATFORM_READ] = frozenset(
    _READ | {"approvals.view_batch", "approvals.view_batchentry"}
)
ROLE_PERMISSIONS[Role.PLATFORM_WRITE] = frozenset(
    ROLE_PERMISSIONS[Role.PLATFORM_READ]
    | _IMPORT
    | {"approvals.request_stage_change", "approvals.add_problem"}
)

#: Roles whose holders see every project of the zone (a leader sees the projects it follows);
#: a city supervisor holds its role in every zone of its city.
ZONE_WIDE_ROLES = (
    Role.OFFICER,
    Role.SUPERVISOR,
    Role.STATISTICIAN,
    Role.CITY_SUPERVISOR,
    Role.PLATFORM_READ,
    Role.PLATFORM_WRITE,
)
#: Roles whose holders may edit the case of a project in the zone.
CASEWORK_ROLES = (Role.OFFICER, Role.SUPERVISOR)

_BEAT = {
    f"django_celery_beat.{action}_{model}"
    for action in ("view", "add", "change", "delete")
    for model in (
        "periodictask",
        "crontabschedule",
        "intervalschedule",
        "solarschedule",
        "clockedschedule",
    )
}

#: The three administrators (三权分立), kept apart: what each may do anywhere. Read with the
#: rules of ``approvals.access.permissions`` (which also decides whose account the security
#: administrator keeps, and that nobody writes an audit record).
ADMINISTRATOR_PERMISSIONS: dict[str, frozenset[str]] = {
    # Every zone read-only, and the configuration: zones, catalogue, calendar, warnings and
    # reminder periods, the schedule, and who holds which zone role.
    AdminRole.SYSTEM: frozenset(
        _READ
        | _BEAT
        | {
            "approvals.view_batch",
            "approvals.view_batchentry",
            "zones.add_zone",
            "zones.change_zone",
            "zones.view_zonerole",
            "zones.add_zonerole",
            "zones.change_zonerole",
            "zones.delete_zonerole",
            "zones.view_cityrole",
            "zones.add_cityrole",
            "zones.change_cityrole",
            "zones.delete_cityrole",
            "approvals.view_evidencerequirement",
            "approvals.change_evidencerequirement",
            "approvals.add_approvaltype",
            "approvals.change_approvaltype",
            "approvals.view_calendarday",
            "approvals.add_calendarday",
            "approvals.change_calendarday",
            "approvals.delete_calendarday",
            "approvals.view_warningsettings",
            "approvals.change_warningsettings",
        }
    ),
    # Accounts (never an administrator's: approvals.access.permissions.may_keep_account), lockouts and
    # second factors (approvals/admin/accounts.py asks may_keep_security).
    AdminRole.SECURITY: frozenset({"auth.view_user", "auth.add_user", "auth.change_user"}),
    # The security audit log: search and export, nothing else.
    AdminRole.AUDIT: frozenset({"approvals.view_auditevent"}),
}
