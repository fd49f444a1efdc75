"""The administrators' rules (三权分立, guide section 11), the demo accounts' refusal and who
proves a second factor.

Three roles kept apart, none able to do another's job (``zones.models.Administrator``, at most
one role per user):

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
grants no permission, every rule is in this package), and ``Administrator`` rows are written only
by ``manage.py grant_admin_role`` on the server: no page adds, changes or deletes one.

**Superusers.** In the embedded demo (``SUPERUSER_POWERS``, which is ``DEBUG``) the ``admin``
superuser remains all-powerful (``is_administrator``). With it off the flag grants nothing:
``AccountBackend`` reads a logged-in superuser's flag as off (so that Django's own shortcut in
``User.has_perm`` does not fire either; should such a person save its own account, the stored
flag goes too, and the audit log says so), and ``manage.py check --deploy`` reports every active
superuser as an error (``accounts/checks.py``).

Part of the one home of the access rules; callers ask ``approvals.access.permissions``.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from accounts.demo_accounts import demo_usernames
from approvals.access.decisions import may_decide_somewhere
from approvals.access.roles import admin_role, is_administrator, is_system_administrator
from zones.models import AdminRole


def may_keep_configuration(user) -> bool:
    """Zones, the catalogue, the calendar, the reminder schedule and warnings."""
    return is_system_administrator(user)


def may_keep_zone_roles(user) -> bool:
    """Who holds which role in which zone: the system administrator's."""
    return is_system_administrator(user)


def may_keep_channel(user, channel=None) -> bool:
    """A zone's or a city's reminder channels (group robots, 企业微信 application, SMS; issue 23):
    the system administrator's, for every zone and city. Not a zone's supervisor: a channel
    holds credentials that post into a group of officials and an SMS account that costs money
    per message, and connecting one is configuration (三权分立), so a zone asks the system
    administrator to connect its group. ``channel`` is asked for the rule's sake: none is
    another's."""
    return is_system_administrator(user)


def channels_kept(queryset: QuerySet, user) -> QuerySet:
    """``may_keep_channel`` as a query over channels."""
    return queryset if is_system_administrator(user) else queryset.none()


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


def is_demo_account_refused(user) -> bool:
    """The demo's accounts (published names, a published password) never log in with DEBUG
    off."""
    if settings.DEBUG or user is None:
        return False
    return user.get_username() in demo_usernames()


def holds_a_second_factor_role(user) -> bool:
    """Who proves a second factor when it is required (guide section 11): supervisors — the
    deciders — and administrators (the three roles, and the demo's superuser)."""
    return is_administrator(user) or admin_role(user) is not None or may_decide_somewhere(user)
