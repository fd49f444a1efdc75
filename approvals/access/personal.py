"""What is one person's own: the background jobs it started and the reminders sent to it (the
system administrator sees all), for one row and as a query.

Part of the one home of the access rules; callers ask ``approvals.access.permissions``.
"""

from __future__ import annotations

from django.db.models import QuerySet

from approvals.access.roles import (
    _active,
    holds_a_role,
    is_administrator,
    is_system_administrator,
)


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


def may_set_reach(user, person) -> bool:
    """Where ``person``'s reminders reach it besides the inbox (its mobile, WeCom user ID and
    chosen channels, issue 23): its own choice, while it holds a role, and the system
    administrator's, who keeps the channels (on the person's page)."""
    if not _active(user) or person is None:
        return False
    if person.pk == user.pk:
        return holds_a_role(user)
    return is_system_administrator(user)


def may_see_import(user, record) -> bool:
    """An import (its preview, its confirmation) is its importer's: the person, or the client
    system's account that uploaded it (administrators read every one, never confirm it)."""
    if not _active(user):
        return False
    return record.by_id == user.pk or is_administrator(user)


def imports(queryset: QuerySet, user) -> QuerySet:
    """``may_see_import`` as a query."""
    if is_administrator(user):
        return queryset
    return queryset.filter(by=user) if _active(user) else queryset.none()
