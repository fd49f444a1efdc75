"""Who may do what, per object: the one home of every access rule.

A person holds roles per zone (``zones.roles`` lists what each role may do). Its roles *for a
project* are the zone-wide roles (officer, supervisor, statistician) it holds in the project's
zone, plus the leader's when it follows the project (包联领导). A row of a project (an approval
item, a stage request, a record) follows its project. Services, admin pages and the Django
permission backend all ask here; none of them decides on its own.

**Administrators (三权分立, guide section 11).** Three roles kept apart, none able to do
another's job (``zones.models.Administrator``, at most one role per user):

- the *system administrator* sees every zone read-only and keeps the configuration: zones, the
  approval catalogue, the calendar, the reminder schedule and warning settings, and people's zone
  roles (the ZoneRole pages); it edits no case and opens neither accounts nor the audit log;
- the *security administrator* keeps accounts (creates, deactivates, resets passwords; the
  lockouts and second factors of ``approvals/admin/accounts.py``): not the configuration, not
  zone roles, not the audit log, and never an administrator's or superuser's account;
- the *audit administrator* searches and exports the security audit log, and nothing else.

Nobody grants itself a role: an administrator holds no zone role (any it is given counts for
nothing, and the ZoneRole form refuses one), the security administrator cannot set the
superuser flag, groups or a user's own permissions (which grant nothing anyway: ``AccountBackend``
grants no permission, every rule is here), and ``Administrator`` rows are written only by
``manage.py grant_admin_role`` on the server: no page adds, changes or deletes one.

**Superusers.** In the embedded demo (``SUPERUSER_POWERS``, which is ``DEBUG``) the ``admin``
superuser remains all-powerful (:func:`is_administrator`). With it off the flag grants nothing:
``AccountBackend`` reads a logged-in superuser's flag as off (so that Django's own shortcut in
``User.has_perm`` does not fire either; should such a person save its own account, the stored
flag goes too, and the audit log says so), and ``manage.py check --deploy`` reports every active
superuser as an error (``accounts/checks.py``).
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.backends import BaseBackend, ModelBackend
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.demo_accounts import demo_usernames
from zones.models import Administrator, AdminRole, Enterprise, Role, Zone, ZoneRole
from zones.roles import (
    ADMINISTRATOR_PERMISSIONS,
    CASEWORK_ROLES,
    ROLE_PERMISSIONS,
    ZONE_WIDE_ROLES,
)

VIEW = "approvals.view_project"
EDIT = "approvals.change_project"
REQUEST = "approvals.request_stage_change"
DECIDE = "approvals.decide_stagerequest"
GENERATE = "approvals.add_approvalitem"
EDIT_ITEM = "approvals.change_approvalitem"
WORK_ITEM = "approvals.change_item_status"
IMPORT = "approvals.import_spreadsheets"
WORK_PROBLEM = "approvals.change_problem"
CLOSE_PROBLEM = "approvals.close_problem"
#: Shared by every zone: what a role may do with them holds wherever the role is held.
REFERENCE_DATA = frozenset({"approvals.ApprovalType", "approvals.CalendarDay"})


def _project_model():
    """The Project model, from the app registry: the models call these rules (their querysets'
    ``visible_to``, their transitions' ``permission=``), so the rules reach the models at call
    time rather than importing them (no import cycle between the two)."""
    return apps.get_model("approvals", "Project")


def _active(user) -> bool:
    return bool(user and user.is_active and not user.is_anonymous)


def is_administrator(user) -> bool:
    """The one ``is_superuser`` shortcut: the embedded demo's superuser sees and keeps
    everything. With ``SUPERUSER_POWERS`` off (DEBUG off) the flag grants nothing."""
    return _active(user) and user.is_superuser and settings.SUPERUSER_POWERS


def admin_role(user) -> str | None:
    """The administrator role ``user`` holds (an ``AdminRole`` value), or None; read once per
    user object."""
    if not _active(user):
        return None
    if not hasattr(user, "_admin_role_cache"):
        user._admin_role_cache = (
            Administrator.objects.filter(user_id=user.pk).values_list("role", flat=True).first()
        )
    return user._admin_role_cache


def is_system_administrator(user) -> bool:
    """Sees every zone read-only and keeps the configuration (and the demo's superuser)."""
    return is_administrator(user) or admin_role(user) == AdminRole.SYSTEM


def may_keep_configuration(user) -> bool:
    """Zones, the catalogue, the calendar, the reminder schedule and warnings."""
    return is_system_administrator(user)


def may_keep_zone_roles(user) -> bool:
    """Who holds which role in which zone: the system administrator's."""
    return is_system_administrator(user)


def may_keep_security(user) -> bool:
    """Accounts (create, deactivate, password), lockouts and second factors: the security
    administrator's (and the demo's superuser); not the configuration, not the audit log."""
    return is_administrator(user) or admin_role(user) == AdminRole.SECURITY


def may_keep_account(user, account) -> bool:
    """Change ``account``: the security administrator, and never an administrator's or a
    superuser's account (those are kept on the server: ``manage.py grant_admin_role``), so that
    no administrator takes over another's by resetting its password."""
    if is_administrator(user):
        return True
    if not may_keep_security(user) or account is None:
        return may_keep_security(user) and account is None
    return not account.is_superuser and admin_role(account) is None


def keepable_accounts(queryset: QuerySet, user) -> QuerySet:
    """``may_keep_account`` as a query over users."""
    if is_administrator(user):
        return queryset
    if not may_keep_security(user):
        return queryset.none()
    return queryset.filter(is_superuser=False, administrator__isnull=True)


def may_read_audit(user) -> bool:
    """Search and export the security audit log: the audit administrator only (and the demo's
    superuser). Nobody changes or deletes a record through the application."""
    return is_administrator(user) or admin_role(user) == AdminRole.AUDIT


def _admin_permissions(user) -> frozenset[str]:
    role = admin_role(user)
    return ADMINISTRATOR_PERMISSIONS.get(role, frozenset()) if role else frozenset()


def is_demo_account_refused(user) -> bool:
    """The demo's accounts (published names, a published password) never log in with DEBUG
    off."""
    if settings.DEBUG or user is None:
        return False
    return user.get_username() in demo_usernames()


def _zone_roles(user) -> set[tuple[int, str]]:
    """(zone id, role) pairs, read once per user object (a request's user lives one request).
    An administrator holds none: a role it is given counts for nothing (nobody grants itself
    casework by assigning itself a zone role)."""
    if not _active(user) or admin_role(user) is not None:
        return set()
    if not hasattr(user, "_zone_roles_cache"):
        user._zone_roles_cache = set(
            ZoneRole.objects.filter(user=user).values_list("zone_id", "role")
        )
    return user._zone_roles_cache


def _granting(perm: str) -> set[str]:
    return {role for role, perms in ROLE_PERMISSIONS.items() if perm in perms}


def zone_ids(user, perm: str) -> set[int]:
    """The zones where ``user`` holds a zone-wide role that grants ``perm``."""
    granting = _granting(perm) & set(ZONE_WIDE_ROLES)
    return {zone for zone, role in _zone_roles(user) if role in granting}


def project_of(obj: Any):
    """The project a row belongs to (the object itself when it is one)."""
    if hasattr(obj, "leader_id") and hasattr(obj, "zone_id"):
        return obj
    for attribute in ("project", "item", "request"):
        related = getattr(obj, attribute, None)
        if related is not None:
            return project_of(related)
    return None


def roles_for(user, project) -> set[str]:
    """The roles ``user`` holds for ``project``: zone-wide ones in its zone, and the leader's
    when it follows the project."""
    held = {
        role
        for zone, role in _zone_roles(user)
        if zone == project.zone_id and role in ZONE_WIDE_ROLES
    }
    if _active(user) and project.leader_id == user.pk:
        held.add(Role.LEADER)
    return held


def granted(user, obj: Any = None) -> set[str]:
    """The permissions ``user`` has on ``obj``, or anywhere when ``obj`` is None."""
    if not _active(user):
        return set()
    if obj is None:
        roles = {role for _, role in _zone_roles(user)}
    elif isinstance(obj, Enterprise):
        return _enterprise_permissions(user, obj) | _admin_permissions(user)
    elif isinstance(obj, Zone):
        roles = {role for zone, role in _zone_roles(user) if zone == obj.pk}
    elif (project := project_of(obj)) is not None:
        roles = roles_for(user, project)
    elif hasattr(obj, "zone_id"):  # a row of a zone (a role held there)
        roles = {role for zone, role in _zone_roles(user) if zone == obj.zone_id}
    elif obj._meta.label in REFERENCE_DATA:
        roles = {role for _, role in _zone_roles(user)}
    else:  # anything else belongs to nobody's zone: administrators only
        roles = set()
    perms: set[str] = set(_admin_permissions(user))
    for role in roles:
        perms |= ROLE_PERMISSIONS[role]
    return perms


def has(user, perm: str, obj: Any = None) -> bool:
    return is_administrator(user) or perm in granted(user, obj)


def scope(queryset: QuerySet, user, perm: str = VIEW, path: str = "") -> QuerySet:
    """``queryset`` narrowed to the rows whose project grants ``user`` ``perm``; ``path`` leads
    from the row to its project (``"project__"`` for an item, ``""`` for a project)."""
    if is_administrator(user) or perm in _admin_permissions(user):
        return queryset
    if not _active(user):
        return queryset.none()
    zones = zone_ids(user, perm)
    if perm not in ROLE_PERMISSIONS[Role.LEADER]:
        return queryset.filter(**{f"{path}zone_id__in": zones})
    if not zones:
        return queryset.filter(**{f"{path}leader": user})
    # The zones' projects and the projects it follows, as one set of ids read by two indexes
    # (zone, leader). Written as "zone IN (…) OR leader = …" the condition is no index's, and
    # PostgreSQL read every project, or every item joined to its project, to test it.
    Project = _project_model()

    projects = Project.objects.order_by()
    followed = projects.filter(leader=user).values("pk")
    ids = projects.filter(zone_id__in=zones).values("pk").union(followed)
    return queryset.filter(**{f"{path}pk__in": ids})


def scope_key(user, perm: str = VIEW) -> str:
    """A name for the rows ``scope()`` gives ``user``: equal keys, equal rows (for a cache of
    figures over them). Administrators share one; anyone else may follow projects as a leader,
    so the key is its own, with its zones, so that a change of role changes it."""
    if is_administrator(user) or perm in _admin_permissions(user):
        return "all"
    if not _active(user):
        return "none"
    zones = ",".join(str(zone) for zone in sorted(zone_ids(user, perm)))
    return f"user{user.pk}:zones{zones}"


def zones_seen(queryset: QuerySet, user, path: str = "pk") -> QuerySet:
    """Zones (or rows of zones, through ``path``) where ``user`` holds any role (every zone for
    the system administrator, who sees every zone and keeps their roles)."""
    if is_system_administrator(user):
        return queryset
    return queryset.filter(**{f"{path}__in": {zone for zone, _ in _zone_roles(user)}})


def zones_visible(user) -> QuerySet[Zone]:
    """The zones of the projects ``user`` may see: where it holds a role, and those of the
    projects it follows as a leader (for filters by zone, without reading every project)."""
    zones = Zone.objects.all()
    if is_system_administrator(user):
        return zones
    if not _active(user):
        return zones.none()
    Project = _project_model()

    led = Project.objects.filter(leader=user).order_by().values("zone_id")
    held = {zone for zone, _ in _zone_roles(user)}
    return zones.filter(Q(pk__in=held) | Q(pk__in=led))


def casework_zones(user) -> QuerySet[Zone]:
    """Zones where ``user`` may edit cases: where it may add projects or enterprises."""
    zones = Zone.objects.all()
    return zones if is_administrator(user) else zones.filter(pk__in=zone_ids(user, EDIT))


# --- projects and their rows ---------------------------------------------------------------


def may_see(user, obj: Any) -> bool:
    return has(user, VIEW, obj)


def may_edit(user, obj: Any) -> bool:
    return has(user, EDIT, obj)


def may_edit_enterprise(user, enterprise) -> bool:
    return has(user, "zones.change_enterprise", enterprise)


def may_request(user, project) -> bool:
    return has(user, REQUEST, project)


def may_run_stage_transition(project, user) -> bool:
    """Nobody moves a stage directly: it moves when a supervisor approves a request."""
    return False


def may_run_import_transition(item, user) -> bool:
    """The transition that records an approval progress table is never a person's act: the
    import runs it after checking ``import_zones``."""
    return False


# The four-eyes rule of a stage decision, for one request (``may_decide``) and as a query
# (``decidable``), side by side; the two agree (tests/test_one_home.py). ``workflow.decide``
# asks ``may_decide`` (and ``asked_it`` only to say why it refuses).


def asked_it(user, stage_request) -> bool:
    """Whether ``user`` asked for this stage change: then it never decides it (four eyes)."""
    return stage_request.requested_by_id == getattr(user, "pk", None)


def may_decide(user, stage_request) -> bool:
    """A supervisor of the project's zone (or the demo's superuser), and never on its own
    request (four eyes)."""
    if asked_it(user, stage_request):
        return False
    return has(user, DECIDE, stage_request.project)


def decidable(requests: QuerySet, user) -> QuerySet:
    """``may_decide`` as a query: the rows of ``requests`` that ``user`` may decide."""
    others = requests.exclude(requested_by=user) if _active(user) else requests.none()
    return scope(others, user, DECIDE, "project__")


def may_decide_somewhere(user) -> bool:
    """For lists and the admin index: is ``user`` a decider anywhere at all?"""
    return has(user, DECIDE)


def holds_a_second_factor_role(user) -> bool:
    """Who proves a second factor when it is required (guide section 11): supervisors — the
    deciders — and administrators (the three roles, and the demo's superuser)."""
    return is_administrator(user) or admin_role(user) is not None or may_decide_somewhere(user)


def may_cancel(user, stage_request) -> bool:
    """Only the person who asked, while it still sees the project."""
    return asked_it(user, stage_request) and may_see(user, stage_request.project)


def may_generate_checklist(user, project) -> bool:
    return has(user, GENERATE, project)


def may_generate_somewhere(user) -> bool:
    return has(user, GENERATE)


def may_import_somewhere(user) -> bool:
    return has(user, IMPORT)


def may_export_projects(user) -> bool:
    """The project list's export and its weekly dispatch table (周调度): for whoever may open
    the list, each getting the projects it sees; not for the security or audit administrator,
    who see none (and whose pages they are not)."""
    return has(user, VIEW)


def import_zones(user) -> set[int] | None:
    """The zones whose rows ``user`` may import (None: every zone, for an administrator or a
    command run without a person: whoever runs manage.py already holds the database)."""
    if user is None or is_administrator(user):
        return None
    return zone_ids(user, IMPORT)


# --- problems (堵点) ---------------------------------------------------------------------------


def may_work_problem(user, problem) -> bool:
    """Work a problem off: start it, resolve it (those who do the project's casework)."""
    return has(user, WORK_PROBLEM, problem)


# The four-eyes rule of 销号, for one problem (``may_close_problem``) and as a query
# (``closable``), side by side; the two agree (tests/test_one_home.py). The problem's close and
# reopen transitions ask ``may_close_problem``; ``casework/problems.py`` asks ``resolved_it``
# only to say why it refuses.


def resolved_it(user, problem) -> bool:
    """Whether ``user`` resolved this problem: then it neither closes it nor sends it back."""
    resolver = problem.resolved_by_id
    return resolver is not None and resolver == getattr(user, "pk", None)


def may_close_problem(user, problem) -> bool:
    """Close (销号) a resolved problem, or send it back: a supervisor of the project's zone (or
    the demo's superuser) who did not resolve it (four eyes, as for stage requests)."""
    if resolved_it(user, problem):
        return False
    return has(user, CLOSE_PROBLEM, problem)


def closable(problems: QuerySet, user) -> QuerySet:
    """``may_close_problem`` as a query: the rows of ``problems`` that ``user`` may close (a
    problem nobody resolved yet is kept: the four eyes do not exclude it)."""
    others = problems.exclude(resolved_by=user) if _active(user) else problems.none()
    return scope(others, user, CLOSE_PROBLEM, "project__")


def may_escalate_problem(user, problem) -> bool:
    """Hand a problem to the leader by hand: a supervisor's call (the reminder scan escalates a
    red one by itself)."""
    return has(user, CLOSE_PROBLEM, problem)


def may_close_somewhere(user) -> bool:
    return has(user, CLOSE_PROBLEM)


def may_see_job(user, job=None) -> bool:
    """Background work is its starter's (administrators see all); ``job`` None: one's list."""
    if not _active(user):
        return False
    return job is None or is_system_administrator(user) or job.created_by_id == user.pk


def jobs(queryset: QuerySet, user) -> QuerySet:
    """``may_see_job`` as a query."""
    if is_system_administrator(user):
        return queryset
    return queryset.filter(created_by=user) if _active(user) else queryset.none()


def may_see_reminder(user, reminder=None) -> bool:
    """A reminder is its recipient's (administrators see all, to follow failed deliveries)."""
    if not _active(user):
        return False
    return reminder is None or is_system_administrator(user) or reminder.recipient_id == user.pk


def reminders(queryset: QuerySet, user) -> QuerySet:
    """``may_see_reminder`` as a query: one's inbox, delivered reminders only."""
    if is_system_administrator(user):
        return queryset
    if not _active(user):
        return queryset.none()
    return queryset.filter(recipient=user, delivered_at__isnull=False)


def may_edit_item(user, item) -> bool:
    return has(user, EDIT_ITEM, item)


def may_work_item(user, item) -> bool:
    """Change an item's status or mode (the officer's daily work on the checklist)."""
    return has(user, WORK_ITEM, item)


#: The roles that let a person be a project's officer (or an item's 经办人) or its leader, in
#: the zone where the role is held.
PEOPLE_ROLES = {"officer": CASEWORK_ROLES, "leader": (Role.LEADER,)}


def may_be(user, kind: str, zone_id: int) -> bool:
    """The rule of who may fill a project's ``kind`` ("officer", "leader") in a zone, for one
    person: an active person (no administrator: its zone roles count for nothing) holding one
    of ``PEOPLE_ROLES[kind]`` there. ``people_roles`` is the same rule as a query."""
    return any(z == zone_id and role in PEOPLE_ROLES[kind] for z, role in _zone_roles(user))


def people_roles(kind: str, zone_ids_: set[int] | None = None) -> QuerySet:
    """``may_be`` as a query: the zone roles (None: of every zone) that let their holder fill a
    project's ``kind`` there. The role and the zone are one condition on one row: a leader
    here who is an officer elsewhere is no officer here. Imports read people through it."""
    held = ZoneRole.objects.filter(role__in=PEOPLE_ROLES[kind], user__is_active=True).exclude(
        user__in=Administrator.objects.values("user_id")
    )
    return held if zone_ids_ is None else held.filter(zone_id__in=zone_ids_)


def _people_holding(zone_ids_: set[int] | None, kind: str) -> QuerySet:
    from django.contrib.auth import get_user_model

    held = people_roles(kind, zone_ids_)
    return get_user_model().objects.filter(pk__in=held.values("user_id"))


def officer_choices(zone_ids_: set[int] | None) -> QuerySet:
    """Who may be a project's officer or an item's 经办人: officers and supervisors there."""
    return _people_holding(zone_ids_, "officer")


def leader_choices(zone_ids_: set[int] | None) -> QuerySet:
    return _people_holding(zone_ids_, "leader")


def choice_zones(user, project=None) -> set[int] | None:
    """The zones whose people are offered on a form: the project's own zone, or, for a new
    project, the zones where ``user`` does casework (None: every zone, for administrators)."""
    if project is not None and project.zone_id is not None:
        return {project.zone_id}
    if is_administrator(user):
        return None
    return zone_ids(user, EDIT)


# --- enterprises ---------------------------------------------------------------------------
# Shared reference data (a company may invest in several zones): name and credit code are for
# all staff, so that an officer finds an existing enterprise instead of adding a duplicate;
# contacts are for those who see one of its projects; editing for those who may edit one of
# them, or, while it has none, for the zone whose officer created it (guide section 11).


def _enterprise_q(user, perm: str) -> Q:
    Project = _project_model()

    projects = scope(Project.objects.filter(enterprise=OuterRef("pk")), user, perm)
    any_project = Project.objects.filter(enterprise=OuterRef("pk"))
    return Q(Exists(projects)) | (
        ~Q(Exists(any_project)) & Q(created_in_zone__in=zone_ids(user, perm))
    )


def enterprises(queryset: QuerySet, user, perm: str = VIEW) -> QuerySet:
    """Enterprises whose details ``user`` may see (``VIEW``) or edit (``EDIT``)."""
    if is_administrator(user) or perm in _admin_permissions(user):
        return queryset
    if not _active(user):
        return queryset.none()
    return queryset.filter(_enterprise_q(user, perm))


def with_contacts_visible(queryset: QuerySet, user) -> QuerySet:
    """Annotates ``contacts_visible``: whether ``user`` may read the row's contact details."""
    from django.db.models import BooleanField, Value

    if is_administrator(user) or VIEW in _admin_permissions(user):
        return queryset.annotate(contacts_visible=Value(True, output_field=BooleanField()))
    if not _active(user):
        return queryset.annotate(contacts_visible=Value(False, output_field=BooleanField()))
    return queryset.annotate(contacts_visible=_enterprise_q(user, VIEW))


def _enterprise_permissions(user, enterprise) -> set[str]:
    one = Enterprise.objects.filter(pk=enterprise.pk)
    perms = set()
    if enterprises(one, user, VIEW).exists():
        perms.add("zones.view_enterprise")
    if enterprises(one, user, EDIT).exists():
        perms.add("zones.change_enterprise")
    return perms


class ZoneRoleBackend(BaseBackend):
    """Django's permission questions, answered by the rules above."""

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        return granted(user_obj, obj)

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return perm in granted(user_obj, obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        prefix = f"{app_label}."
        return any(p.startswith(prefix) for p in granted(user_obj))


def may_see_figures(user) -> bool:
    """The dashboard and the reports page: the system administrator and anyone with a role in
    a zone (each sees the figures of what it sees: its zones, or the projects it follows)."""
    return is_system_administrator(user) or bool(_zone_roles(user))


class AccountBackend(ModelBackend):
    """Django's password check, and nothing more: it grants no permission (groups and a user's
    own permissions grant nothing; ``ZoneRoleBackend`` answers from the rules above). The
    demo's accounts never log in with DEBUG off, and with ``SUPERUSER_POWERS`` off a superuser's
    flag is read as off, so that Django's own shortcut in ``User.has_perm`` grants nothing."""

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not is_demo_account_refused(user)

    def authenticate(self, request, username=None, password=None, **kwargs):
        return _flag_read(super().authenticate(request, username, password, **kwargs))

    def get_user(self, user_id):
        return _flag_read(super().get_user(user_id))

    def get_user_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def has_perm(self, user_obj, perm: str, obj=None) -> bool:
        return False

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        return False


def _flag_read(user):
    if user is not None and not settings.SUPERUSER_POWERS:
        user.is_superuser = False
    return user
