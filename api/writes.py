"""The API's writes, each through the service a page calls: a stage change asked for
(``workflow.request_transition``, decided by a supervisor of the zone: four eyes unchanged), a
problem raised (``problems.problem_add``), a spreadsheet uploaded, previewed and confirmed
(``spreadsheets.imports``: the same importer, all or nothing, its row errors as JSON)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from api.base import Audited
from api.models import Access, Token
from approvals.access import permissions
from approvals.core.machine import TransitionRefused
from approvals.models import ImportKind, ImportStatus, JobKind, SpreadsheetImport
from approvals.spreadsheets import imports
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.reading import SpreadsheetRefused


class WriteAccess(BasePermission):
    """A read-only client's token reads; it writes nothing, whatever it asks."""

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        token = request.auth
        if (
            isinstance(token, Token)
            and token.client_id
            and token.client.access != Access.READ_WRITE
        ):
            self.message = _("This token may only read.")
            return False
        return True


def refused(error: TransitionRefused | str, field: str = "non_field_errors"):
    """A service's refusal as a 400 naming what was refused."""
    return exceptions.ValidationError({field: [str(error)]})


def forbidden(error: DjangoPermissionDenied):
    return exceptions.PermissionDenied(str(error) or None)


# --- imports --------------------------------------------------------------------------------

UPLOAD = inline_serializer(
    "Upload",
    {
        "file": serializers.FileField(
            help_text=".xlsx (or .xls, .csv) as the admin's import page takes it"
        ),
        "kind": serializers.ChoiceField(choices=ImportKind.choices),
        "year": serializers.IntegerField(required=False, help_text="a 三个一批 round's year"),
        "round": serializers.IntegerField(required=False, help_text="its number in the year"),
        "event_date": serializers.DateField(
            required=False, help_text="the round's event day, for a new round"
        ),
    },
)
IMPORT_ANSWER = inline_serializer(
    "ImportAnswer",
    {
        "token": serializers.CharField(),
        "status": serializers.CharField(),
        "applied": serializers.BooleanField(),
        "summary": serializers.CharField(),
        "rows": serializers.IntegerField(),
        "created": serializers.IntegerField(),
        "changed": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "errors": serializers.ListField(child=serializers.DictField()),
        "warnings": serializers.ListField(child=serializers.DictField()),
        "job": serializers.IntegerField(allow_null=True),
    },
)


class UploadInput(serializers.Serializer):
    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=ImportKind.choices)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)
    round = serializers.IntegerField(required=False, min_value=1, max_value=12)
    event_date = serializers.DateField(required=False)

    def validate(self, data):
        if data["kind"] == ImportKind.PROJECT_LIST and ("year" in data) != ("round" in data):
            raise serializers.ValidationError(
                {"round": [_("Give the round's year and number together.")]}
            )
        return data


def _answer(record: SpreadsheetImport, job=None) -> dict:
    report = Report.from_json(record.report) if record.report else None

    def issues(kind):
        return [
            {"sheet": i.sheet, "row": i.row, "column": i.column, "reason": i.reason}
            for i in (getattr(report, kind) if report else [])
        ]

    return {
        "token": record.token,
        "status": record.status,
        "applied": record.status == ImportStatus.APPLIED,
        "summary": report.summary() if report else "",
        "rows": report.rows if report else (record.rows or 0),
        "created": report.created if report else 0,
        "changed": report.changed if report else 0,
        "unchanged": report.unchanged if report else 0,
        "errors": issues("errors"),
        "warnings": issues("warnings"),
        "job": job.pk if job is not None else None,
    }


class ImportViewSet(Audited, viewsets.GenericViewSet):
    """Upload a spreadsheet (preview: nothing is written), read its preview, confirm it. A
    large file is checked and imported by the worker: the answer is 202 and the import's
    address tells its state. An import is its uploader's."""

    permission_classes = [IsAuthenticated, WriteAccess]
    lookup_field = "token"
    queryset = SpreadsheetImport.objects.none()

    def _record(self, token: str) -> SpreadsheetImport:
        return get_object_or_404(
            permissions.imports(SpreadsheetImport.objects.all(), self.request.user), token=token
        )

    @extend_schema(
        request={"multipart/form-data": UPLOAD},
        responses={200: IMPORT_ANSWER, 202: IMPORT_ANSWER, 422: IMPORT_ANSWER},
    )
    def create(self, request):
        if not permissions.may_import_somewhere(request.user):
            raise exceptions.PermissionDenied(_("You may not import spreadsheets."))
        given = UploadInput(data=request.data)
        given.is_valid(raise_exception=True)
        upload = given.validated_data["file"]
        data = upload.read()
        client = request.auth.client if isinstance(request.auth, Token) else None
        try:
            record = imports.receive(
                given.validated_data["kind"],
                data,
                upload.name,
                by=request.user,
                source=_("the API (%(client)s)")
                % {"client": client.name if client else request.user.get_username()},
                year=given.validated_data.get("year"),
                round=given.validated_data.get("round"),
                event_date=given.validated_data.get("event_date"),
            )
        except SpreadsheetRefused as refusal:
            raise refused(str(refusal), "file") from None
        except DjangoPermissionDenied as denied:
            raise forbidden(denied) from None
        self.audited_object = record
        if imports.in_worker(record):
            job = imports.start_in_worker(record, JobKind.IMPORT_PREVIEW)
            return Response(_answer(record, job), status=status.HTTP_202_ACCEPTED)
        report = imports.preview(record, data)
        record.refresh_from_db()
        return Response(_answer(record), status=200 if report.ok else 422)

    @extend_schema(responses={200: IMPORT_ANSWER})
    def retrieve(self, request, token=None):
        record = self._record(token)
        self.audited_object = record
        return Response(_answer(record))

    @extend_schema(
        request=None,
        responses={200: IMPORT_ANSWER, 202: IMPORT_ANSWER, 409: IMPORT_ANSWER, 422: IMPORT_ANSWER},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, token=None):
        record = self._record(token)
        self.audited_object = record
        if record.by_id != request.user.pk:  # an administrator reads an import, never confirms it
            raise exceptions.PermissionDenied(_("Only who uploaded a file confirms its import."))
        if record.status == ImportStatus.APPLIED:
            return Response(_answer(record))
        if record.status != ImportStatus.PREVIEWED:
            return Response(_answer(record), status=status.HTTP_409_CONFLICT)
        if imports.in_worker(record):
            job = imports.start_in_worker(record, JobKind.IMPORT_APPLY)
            return Response(_answer(record, job), status=status.HTTP_202_ACCEPTED)
        report = imports.apply(record)
        record.refresh_from_db()
        return Response(_answer(record), status=200 if report.applied else 422)
