"""The security audit log (安全审计, GB/T 22239-2019 level 3; 网络安全法 art. 21): logins and
logouts, failed logins and lockouts, permission and role changes, imports, exports, decisions and
deletions, each with date and time, type, subject, object, result and source address.

Rows are written once and never changed or deleted, and **the database refuses** it (finding 7
of issue 17: a ``save()`` override is walked past by ``QuerySet.update()``, ``.delete()`` and
SQL). Migration 0020 puts row triggers on the table that refuse every UPDATE and every DELETE,
on PostgreSQL and on SQLite, and on PostgreSQL a statement trigger that refuses TRUNCATE (row
triggers do not see it; nor a TRUNCATE of the users' table CASCADE). The refusal is an
``IntegrityError`` saying "append-only" on both engines. ``save()`` and ``delete()`` refuse as
well, with a clearer message, before the database is asked.

The one way records go is :func:`audit_purge_switch`, used by ``manage.py purge_audit`` (never a
date within the retention period, six months at least) and by the test suite's flush
(``tests/conftest.py``); it lets DELETE through for the length of one transaction, never UPDATE.
In production the application also connects as a role that does not own the table and holds
only SELECT and INSERT on it (README, Production): the triggers are the second wall.

People named by records (``user``) are deactivated, never deleted: the key is PROTECT (so
Django's collector never issues the UPDATE that SET_NULL would, which the triggers refuse) and
its constraint stays in the database, which refuses a DELETE of the person in SQL too. The name
is on the row anyway (``username``).

On SQLite, a migration that rebuilds this table (most ``AlterField``/``RemoveField`` there copy
the rows into a new table and drop the old one) drops its triggers with it: such a migration
must create them again (``0020_audit_append_only``'s SQL). ``tests/audit/test_audit_protection.py``
fails if they are missing."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AuditKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    LOCKOUT = "lockout", _("Lockout")
    UNLOCK = "unlock", _("Lockout lifted")
    SECOND_FACTOR = "second_factor", _("Second factor")
    PASSWORD = "password", _("Password change")
    PERMISSION = "permission", _("Permission or role change")
    IMPORT = "import", _("Import")
    EXPORT = "export", _("Export")
    DECISION = "decision", _("Decision")
    DELETION = "deletion", _("Deletion")
    CONFIGURATION = "configuration", _("Configuration change")
    #: A call of the API (api/): the client system or the person behind the token, what, result.
    API_CALL = "api_call", _("API call")
    #: An investor's personal link made or revoked by an officer (portal/, issue 22).
    INVESTOR_LINK = "investor_link", _("Investor link")
    #: A visit of the investor's page through a link, refused ones too.
    INVESTOR_VISIT = "investor_visit", _("Investor's page visit")


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("Success")
    FAILURE = "failure", _("Failure")


class AuditRecordIsFinal(Exception):
    """An audit row may not be changed or deleted through the application."""


class AuditEvent(models.Model):
    at = models.DateTimeField(_("date and time"), default=timezone.now, db_index=True)
    kind = models.CharField(_("type"), max_length=20, choices=AuditKind.choices, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("subject (user)"),
        # Not SET_NULL: that rewrites records (an UPDATE the triggers refuse). The person stays.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(
        _("subject"),
        max_length=150,
        blank=True,
        db_index=True,
        help_text=_("The user name as given (also for unknown names and failed logins)."),
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    result = models.CharField(
        _("result"), max_length=10, choices=AuditResult.choices, default=AuditResult.SUCCESS
    )
    source_address = models.GenericIPAddressField(_("source address"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("security audit log")
        ordering = ["-at", "-id"]
        # The log, newest first, reads a page off this index, and sorted by a column off that
        # column's (issue 21; tests/admin/test_sort_indexes.py).
        indexes = [
            models.Index(fields=["at", "id"], name="audit_at_id"),
            models.Index(fields=["object_type", "id"], name="audit_object_type_id"),
            models.Index(fields=["result", "id"], name="audit_result_id"),
        ]

    def __str__(self) -> str:
        # The record's page is titled by it: in Beijing time, like the log's column.
        at = timezone.localtime(self.at)
        return f"{at:%Y-%m-%d %H:%M:%S} {self.get_kind_display()} {self.username}"

    @property
    def object_type_name(self) -> str:
        """What kind of thing the record is about, by its model's name (审批阶段变更申请, not
        ``approvals.StageRequest``, which the row keeps)."""
        return object_type_name(self.object_type)

    @property
    def detail_text(self) -> str:
        """The record's further facts as people read them: each name in words, the words the
        code writes (``account created``, ``wrong code``) translated, values as stored."""
        return detail_text(self.detail, _model(self.object_type))

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditRecordIsFinal(_("An audit record is never changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any):
        raise AuditRecordIsFinal(_("An audit record is never deleted."))

    @classmethod
    def people_recorded(cls, people: Iterable[Any]) -> list[Any]:
        """Those of ``people`` whom a record names as its subject: they may be deactivated,
        never deleted (the key is PROTECT; the user admin says so in words)."""
        people = list(people)
        named = set(
            cls.objects.filter(user__in=[p.pk for p in people]).values_list("user_id", flat=True)
        )
        return [p for p in people if p.pk in named]


def _model(label: str):
    try:
        return apps.get_model(label) if label else None
    except (LookupError, ValueError):
        return None


def object_type_name(label: str) -> str:
    """A stored model label (``app_label.ModelName``) by its model's verbose name; a label of a
    model gone since, as stored."""
    model = _model(label)
    return str(capfirst(model._meta.verbose_name)) if model is not None else label


#: The names of the facts records keep in ``detail`` (``services.record(**detail)``).
DETAIL_NAMES = {
    "action": _("action"),
    "changed": _("changed"),
    "values": _("values"),
    "reason": _("reason"),
    "failures": _("failures"),
    "file": _("file"),
    "filename": _("file"),
    "rows": _("rows"),
    "format": _("format"),
    "query": _("filter"),
    "transition": _("transition"),
    "stage_request": _("stage request"),
    "project": _("project"),
    "import_kind": _("import kind"),
    "of": _("whose"),
    "added": _("added"),
    "removed": _("removed"),
    "field": _("field"),
    "role": _("role"),
    "zone": _("zone"),
    "enterprise": _("enterprise"),
    "contact": _("enterprise contact"),
    "page": _("page"),
    "expires": _("expires"),
    "problem": _("problem"),
}
#: The words the code writes as values (``action="account created"``), translated when shown.
DETAIL_WORDS = {
    "account created": _("account created"),
    "added": _("added"),
    "changed": _("changed"),
    "deleted": _("deleted"),
    "reset": _("reset"),
    "removed": _("removed"),
    "wrong code": _("wrong code"),
    "throttled": _("too many wrong codes"),
    # the investor's links and page (portal/, issue 22)
    "link made": _("link made"),
    "link revoked": _("link revoked"),
    "link replaced": _("replaced by a new link"),
    "page viewed": _("page viewed"),
    "request sent": _("request for help sent"),
    "expired": _("expired"),
    "revoked": _("revoked"),
    "unknown link": _("unknown link"),
}


def detail_text(detail: dict | None, model=None) -> str:
    """``detail`` in words; the names of ``model``'s fields (a record's ``changed``) by their
    verbose names."""

    def name(key: str) -> str:
        if key in DETAIL_NAMES:
            return str(DETAIL_NAMES[key])
        try:
            return str(model._meta.get_field(key).verbose_name) if model is not None else key
        except FieldDoesNotExist:
            return key

    def value_text(value: Any) -> str:
        if isinstance(value, str):
            return str(DETAIL_WORDS.get(value, value))
        if isinstance(value, bool):
            return gettext("Yes") if value else gettext("No")
        if isinstance(value, list):
            return " → ".join(value_text(v) for v in value)
        if isinstance(value, dict):
            return "，".join(f"{name(k)}：{value_text(v)}" for k, v in value.items())
        return "—" if value is None else str(value)

    return "；".join(f"{name(key)}：{value_text(value)}" for key, value in (detail or {}).items())


#: The SQLite switch: a table of the migration's own (no model), holding a row only inside the
#: transaction of a purge.
SQLITE_SWITCH_TABLE = "approvals_auditevent_purge_switch"
#: The PostgreSQL switch: a transaction-local setting the trigger function reads.
POSTGRESQL_SWITCH = "projectdesk.audit_purge"


@contextmanager
def audit_purge_switch(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """The one switch the audit table's triggers recognise: inside the block, in its own
    transaction (a savepoint when one is open), DELETE of audit rows passes, and TRUNCATE on
    PostgreSQL; UPDATE never does. Used by ``manage.py purge_audit`` only, and by the test
    suite to flush the database after a transactional test.

    How it holds on each engine — the switch lives and dies with the transaction, so a purge
    that fails rolls it back together with its deletions, and the block closes it again for the
    rest of a longer transaction:

    - PostgreSQL: ``set_config('projectdesk.audit_purge', 'on', true)`` — a ``SET LOCAL``: seen
      by this transaction only, undone by its end or by the rollback of the savepoint; the
      trigger function reads it with ``current_setting(…, true)``.
    - SQLite: a row in ``approvals_auditevent_purge_switch``, written inside the transaction and
      deleted before the block ends; the DELETE trigger's ``WHEN NOT EXISTS (…)`` reads it.
      SQLite has one writer and no reader sees another connection's uncommitted row, so the
      switch is open for this transaction alone. Not a Python function registered on Django's
      connection: every other connection (``dbshell``, the sqlite3 tool, a backup script) would
      then fail with "no such function" instead of the log's refusal, and a flag on the
      connection outlives a rolled-back transaction unless every path resets it.
    """
    connection = connections[using]
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'on', true)", [POSTGRESQL_SWITCH])
            else:
                cursor.execute(f"INSERT INTO {SQLITE_SWITCH_TABLE} (opened) VALUES (1)")
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT set_config(%s, 'off', true)", [POSTGRESQL_SWITCH])
            else:
                cursor.execute(f"DELETE FROM {SQLITE_SWITCH_TABLE}")
