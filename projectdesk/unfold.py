"""The admin's sidebar (django-unfold), grouped by what each role does, and what the admin
index shows (``index``).

``UNFOLD["SIDEBAR"]["navigation"]`` names :func:`navigation`, which unfold calls with the request
of every admin page. Each link carries a ``permission`` callback; every callback asks the one
home of the access rules, ``approvals.access.permissions`` (for a model's list: whether the person's
roles grant its view permission, as ``ZoneRoleBackend`` answers Django): none decides on its own.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.core.paginator import InvalidPage
from django.http import Http404, HttpRequest
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils.text import capfirst
from django.utils.translation import pgettext_lazy

from approvals.access import permissions
from approvals.figures import dashboard, todo
from approvals.reminders.context_processors import unread_count_of

#: Where a decider finds what waits for it (the queue the admin index links to as well).
QUEUE_QUERY = "?queue=awaiting&status__exact=pending"
#: Where a supervisor finds the resolved problems waiting for its closing (销号).
CLOSING_QUERY = "?queue=closing"


def _model_title(app_label: str, model_name: str):
    from django.apps import apps

    return capfirst(apps.get_model(app_label, model_name)._meta.verbose_name_plural)


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


# --- who sees a link: each a question to approvals.access.permissions or to has_perm ---------------


def may_view(perm: str) -> Callable[[HttpRequest], bool]:
    """The person may read the model's pages (its roles grant the view permission, or it is an
    administrator)."""

    def check(request: HttpRequest) -> bool:
        return permissions.has(request.user, perm)

    return check


def is_administrator(request: HttpRequest) -> bool:
    return permissions.is_administrator(request.user)


def holds_a_role(request: HttpRequest) -> bool:
    """One's own API tokens (api/) and where one's reminders reach one: whoever holds a
    role."""
    return permissions.holds_a_role(request.user)


def keeps_configuration(request: HttpRequest) -> bool:
    """设置: the system administrator's (zones, zone roles, catalogue, calendar, warnings,
    schedule)."""
    return permissions.may_keep_configuration(request.user)


def keeps_channels(request: HttpRequest) -> bool:
    """设置 → 提醒渠道 (issue 23)."""
    return permissions.may_keep_channel(request.user)


def keeps_zone_roles(request: HttpRequest) -> bool:
    return permissions.may_keep_zone_roles(request.user)


def grants_roles_only(request: HttpRequest) -> bool:
    """The people's list under 设置, for who grants roles but does not keep accounts: who keeps
    both (the demo superuser) finds it once, under 账户与安全."""
    return keeps_zone_roles(request) and not keeps_security(request)


def keeps_security(request: HttpRequest) -> bool:
    """账户与安全: the security administrator's (accounts, lockouts, second factors)."""
    return permissions.may_keep_security(request.user)


def reads_audit(request: HttpRequest) -> bool:
    """安全审计: the audit administrator's."""
    return permissions.may_read_audit(request.user)


def may_see_reminders(request: HttpRequest) -> bool:
    return permissions.may_see_reminder(request.user)


def may_decide(request: HttpRequest) -> bool:
    return permissions.may_decide_somewhere(request.user)


def may_import(request: HttpRequest) -> bool:
    return permissions.may_import_somewhere(request.user)


def may_close(request: HttpRequest) -> bool:
    return permissions.may_close_somewhere(request.user)


def may_see_three_lists(request: HttpRequest) -> bool:
    """三清单: anyone who sees projects (of its zones, or those it follows)."""
    return permissions.has(request.user, permissions.VIEW)


def on_three_lists_page(request: HttpRequest) -> bool:
    return request.path == reverse("admin:three_lists")


def in_closing_queue(request: HttpRequest) -> bool:
    problems = reverse("admin:approvals_problem_changelist")
    return request.path.startswith(problems) and request.GET.get("queue") == "closing"


def in_problems(request: HttpRequest) -> bool:
    problems = reverse("admin:approvals_problem_changelist")
    return request.path.startswith(problems) and not in_closing_queue(request)


def may_link_investors(request: HttpRequest) -> bool:
    """The investors' links (issue 22): for whoever may edit a project somewhere."""
    return permissions.may_link_investors_somewhere(request.user)


def may_see_jobs(request: HttpRequest) -> bool:
    return permissions.may_see_job(request.user)


def may_see_reports(request: HttpRequest) -> bool:
    """The reports page, once it exists (``admin:reports``), for those who see figures."""
    return _url("admin:reports") is not None and permissions.may_see_figures(request.user)


def may_read_bulletins(request: HttpRequest) -> bool:
    return permissions.may_read_bulletins_somewhere(request.user)


def reports_link(request: HttpRequest) -> str:
    return _url("admin:reports") or ""


def on_reports_page(request: HttpRequest) -> bool:
    """Unfold marks the current page's link by its address, which a callable link has not."""
    return bool(reports_link(request)) and request.path == reports_link(request)


def in_queue(request: HttpRequest) -> bool:
    """The 待审批 queue is the stage requests' list asked for what awaits the person."""
    requests = reverse("admin:approvals_stagerequest_changelist")
    return request.path.startswith(requests) and request.GET.get("queue") == "awaiting"


def in_requests(request: HttpRequest) -> bool:
    requests = reverse("admin:approvals_stagerequest_changelist")
    return request.path.startswith(requests) and not in_queue(request)


def show_all_applications(request: HttpRequest) -> bool:
    """Every registered page (groups, the worker's other schedules, …): administrators'."""
    return permissions.is_administrator(request.user)


def stylesheet(request: HttpRequest) -> str:
    """The desk's own few rules (approvals/admin.css), on every admin page."""
    return static("approvals/admin.css")


def favicon(request: HttpRequest) -> str:
    """The desk's icon (a white tick on its blue), linked from every admin page's head."""
    return static("approvals/favicon.svg")


def favicon_ico(request: HttpRequest) -> str:
    """The same icon as .ico, for browsers that ask /favicon.ico whatever the page links."""
    return static("approvals/favicon.ico")


# --- the sidebar ----------------------------------------------------------------------------


def _item(title, icon: str, link, permission) -> dict:
    return {"title": title, "icon": icon, "link": link, "permission": permission}


def _changelist(app_label: str, model_name: str, icon: str, permission=None) -> dict | None:
    """A model's list, shown to whoever may view the model (or as ``permission`` says); left
    out while the model has no page in the admin."""
    link = _url(f"admin:{app_label}_{model_name}_changelist")
    if link is None:
        return None
    return _item(
        _model_title(app_label, model_name),
        icon,
        link,
        permission or may_view(f"{app_label}.view_{model_name}"),
    )


def _group(title, *items) -> dict:
    return {"title": title, "collapsible": False, "items": [i for i in items if i is not None]}


def navigation(request: HttpRequest) -> list[dict]:
    """The sidebar's groups. Unfold hides a link whose ``permission`` says no, and a group
    with nothing left in it."""
    return [
        _group(
            pgettext_lazy("sidebar", "My to-do list"),
            _item(pgettext_lazy("sidebar", "Home"), "dashboard", reverse("admin:index"), None),
            _item(
                pgettext_lazy("sidebar", "My reminders"),
                "notifications",
                reverse("admin:approvals_reminder_changelist"),
                may_see_reminders,
            ),
            _item(
                pgettext_lazy("sidebar", "How my reminders reach me"),
                "notifications_active",
                reverse("admin:my_channels"),
                holds_a_role,
            ),
            _item(
                pgettext_lazy("sidebar", "My API tokens"),
                "key",
                reverse("admin:api_my_tokens"),
                holds_a_role,
            ),
        ),
        _group(
            pgettext_lazy("sidebar", "Projects"),
            _changelist("approvals", "project", "work"),
            _changelist("zones", "enterprise", "apartment"),
            _changelist("portal", "investorlink", "qr_code_2", may_link_investors),
            _changelist("approvals", "batch", "event_list"),
            {**_changelist("approvals", "stagerequest", "move_up"), "active": in_requests},
            _changelist("approvals", "stagechange", "history"),
            {**_changelist("approvals", "problem", "report"), "active": in_problems},
            _changelist("approvals", "servicerecord", "handshake"),
            _changelist("approvals", "whitelistproject", "verified"),
        ),
        _group(
            pgettext_lazy("sidebar", "Approval items"),
            _changelist("approvals", "approvalitem", "checklist"),
            _changelist("approvals", "itemstatuschange", "published_with_changes"),
            _changelist("approvals", "itemmodechange", "rule"),
        ),
        _group(
            pgettext_lazy("sidebar", "Awaiting decision"),
            {
                **_item(
                    pgettext_lazy("sidebar", "Requests awaiting my decision"),
                    "pending_actions",
                    reverse("admin:approvals_stagerequest_changelist") + QUEUE_QUERY,
                    may_decide,
                ),
                "active": in_queue,
            },
            {
                **_item(
                    pgettext_lazy("sidebar", "Problems awaiting my closing (销号)"),
                    "task_alt",
                    reverse("admin:approvals_problem_changelist") + CLOSING_QUERY,
                    may_close,
                ),
                "active": in_closing_queue,
            },
        ),
        _group(
            pgettext_lazy("sidebar", "Import and export"),
            _item(
                pgettext_lazy("sidebar", "三个一批 list import"),
                "upload_file",
                reverse("admin:approvals_project_spreadsheet_import"),
                may_import,
            ),
            _item(
                pgettext_lazy("sidebar", "Approval progress table import"),
                "upload_file",
                reverse("admin:approvals_approvalitem_spreadsheet_import"),
                may_import,
            ),
            _item(
                pgettext_lazy("sidebar", "Monthly progress table import"),
                "upload_file",
                reverse("admin:approvals_project_monthly_import"),
                may_import,
            ),
            _changelist("approvals", "job", "sync", may_see_jobs),
        ),
        _group(
            pgettext_lazy("sidebar", "Reports"),
            {
                **_item(
                    pgettext_lazy("sidebar", "Reports"), "bar_chart", reports_link, may_see_reports
                ),
                "active": on_reports_page,
            },
            {
                **_item(
                    pgettext_lazy("sidebar", "Three lists (三清单)"),
                    "fact_check",
                    reverse("admin:three_lists"),
                    may_see_three_lists,
                ),
                "active": on_three_lists_page,
            },
            _changelist("approvals", "bulletin", "description", may_read_bulletins),
        ),
        _group(
            pgettext_lazy("sidebar", "Settings"),
            _changelist("zones", "zone", "location_city", keeps_configuration),
            # People and their roles: the system administrator grants them on a person's page.
            {
                **_changelist("auth", "user", "group", grants_roles_only),
                "title": pgettext_lazy("sidebar", "People and roles"),
            },
            _changelist("zones", "zonerole", "badge", keeps_zone_roles),
            _changelist("zones", "cityrole", "location_city", keeps_zone_roles),
            _changelist("approvals", "approvaltype", "list_alt", keeps_configuration),
            _changelist("approvals", "evidencerequirement", "attach_file", keeps_configuration),
            _changelist("approvals", "calendarday", "calendar_month", keeps_configuration),
            _changelist("approvals", "warningsettings", "tune", keeps_configuration),
            _changelist("django_celery_beat", "periodictask", "schedule", keeps_configuration),
            # the city's and the province's platforms and their tokens (api/, issue 22)
            _changelist("api", "client", "hub", keeps_configuration),
            # the zones' and cities' group robots, WeCom applications, SMS (issue 23)
            _changelist("approvals", "channel", "campaign", keeps_channels),
        ),
        _group(
            pgettext_lazy("sidebar", "Accounts and security"),
            _changelist("auth", "user", "manage_accounts", keeps_security),
            _changelist("zones", "administrator", "admin_panel_settings", keeps_security),
            _link_or_none(
                pgettext_lazy("sidebar", "Lockouts"),
                "lock_person",
                "admin:axes_accessattempt_changelist",
                keeps_security,
            ),
            _link_or_none(
                pgettext_lazy("sidebar", "Failed logins"),
                "no_accounts",
                "admin:axes_accessfailurelog_changelist",
                keeps_security,
            ),
            _link_or_none(
                pgettext_lazy("sidebar", "Second factors"),
                "phonelink_lock",
                "admin:otp_totp_totpdevice_changelist",
                keeps_security,
            ),
        ),
        _group(
            pgettext_lazy("sidebar", "Security audit"),
            _changelist("approvals", "auditevent", "policy", reads_audit),
        ),
    ]


def _link_or_none(title, icon: str, name: str, permission) -> dict | None:
    """A page of another app, left out while it has none in the admin."""
    link = _url(name)
    return None if link is None else _item(title, icon, link, permission)


# --- the admin index ------------------------------------------------------------------------


def index(request: HttpRequest, context: dict) -> dict:
    """The admin index's context (``UNFOLD["DASHBOARD_CALLBACK"]``, which the site's ``index()``
    calls): the zone dashboard (``board``, None without figures) and the to-do list with the
    decisions waiting (``todo``), as plain data worked out here, so that
    templates/admin/index.html only shows them."""
    return {
        **context,
        "board": dashboard.board(request.user, request.GET.get("zone", "")),
        # the header's count of unread reminders, counted once for both
        "todo": todo.todo(request.user, unread=unread_count_of(request)),
    }


# --- unfold's search page -------------------------------------------------------------------


def search(request: HttpRequest):
    """unfold's search page (``admin:search``), with a page number that is no page of the
    answers (``?page=abc``, ``0``, ``99``) answered "not found": unfold's own raised (a 500)."""
    try:
        return admin.site.search(request)
    except InvalidPage as invalid:
        raise Http404(str(invalid)) from invalid
