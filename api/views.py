"""The endpoints of ``/api/v1/``. Each list is ``permissions.scope`` of its model for the caller
(a client's account or a person), as the admin's lists are; each object is looked up in that
list, so another zone's object is "not found" whatever its id."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from api import serializers, writes
from api.base import Audited, ReadOnlyViewSet
from api.filters import ProjectFilter
from api.writes import WriteAccess
from approvals.access import permissions
from approvals.cases.colours import MilestoneColours
from approvals.cases.models.rounds import round_named
from approvals.casework.problems import problem_add
from approvals.core.machine import TransitionRefused
from approvals.figures import registry, reports
from approvals.models import (
    ApprovalItem,
    Batch,
    BatchEntry,
    Milestone,
    MonthlyProgress,
    Problem,
    Project,
    StageRequest,
)
from approvals.stages import workflow
from zones.models import Zone


class ById(CursorPagination):
    """Pages by id: a page is one index range at any depth (no OFFSET), and a row added while
    a client pages is never shown twice nor makes another skipped."""

    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500


class ZoneViewSet(ReadOnlyViewSet):
    """The zones whose cases the caller reads."""

    serializer_class = serializers.ZoneSerializer
    pagination_class = ById

    def get_queryset(self):
        return permissions.zones_seen(Zone.objects.all(), self.request.user)


class ProjectViewSet(ReadOnlyViewSet):
    """Projects of the caller's zones; one with its milestones, checklist, requests and rounds.
    A single project carries an ETag: ``If-None-Match`` answers 304 while nothing changed."""

    pagination_class = ById
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProjectFilter

    def get_queryset(self):
        projects = Project.objects.select_related("zone", "enterprise", "officer")
        if self.action == "retrieve":
            projects = projects.prefetch_related(
                Prefetch("milestones", Milestone.objects.order_by("id")),
                Prefetch(
                    "approval_items",
                    ApprovalItem.objects.select_related("approval_type").order_by(
                        "approval_type__code", "id"
                    ),
                ),
                Prefetch(
                    "stage_requests",
                    StageRequest.objects.select_related("requested_by", "decided_by").order_by(
                        "requested_at", "id"
                    ),
                ),
                Prefetch(
                    "batch_entries",
                    BatchEntry.objects.select_related("batch").order_by(
                        "batch__year", "batch__round", "id"
                    ),
                ),
            )
        return permissions.scope(projects, self.request.user)

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.ProjectDetailSerializer
        return serializers.ProjectSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "colours": self._colours()}

    def _colours(self) -> MilestoneColours:
        if not hasattr(self, "_colours_today"):
            self._colours_today = MilestoneColours.on(timezone.localdate())
        return self._colours_today

    @extend_schema(
        request=serializers.StageRequestInputSerializer,
        responses={201: serializers.RequestSerializer},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="stage-requests",
        permission_classes=[IsAuthenticated, WriteAccess],
    )
    def stage_requests(self, request, pk=None):
        """Ask for a stage change, with its evidence: a supervisor of the zone decides it."""

        def ask(project, data):
            return workflow.request_transition(
                project,
                data["transition"],
                request.user,
                note=data.get("note", ""),
                documents_missing_reason=data.get("documents_missing_reason", ""),
                **data.get("evidence", {}),
            )

        made = self._through_service(request, serializers.StageRequestInputSerializer, ask)
        return Response(serializers.RequestSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=serializers.ProblemInputSerializer, responses={201: serializers.ProblemSerializer}
    )
    @action(detail=True, methods=["post"], permission_classes=[IsAuthenticated, WriteAccess])
    def problems(self, request, pk=None):
        """Raise a problem (堵点) of the project: it lands on its officer's list."""

        def raise_problem(project, data):
            return problem_add(
                project=project,
                by=request.user,
                description=data["description"],
                category=data["category"],
                department=data.get("department", ""),
                deadline=data.get("deadline"),
            )

        made = self._through_service(request, serializers.ProblemInputSerializer, raise_problem)
        problem = Problem.objects.select_related("project").get(pk=made.pk)
        return Response(serializers.ProblemSerializer(problem).data, status=status.HTTP_201_CREATED)

    def _through_service(self, request, given_as, call):
        """A write on one of the caller's projects: its input checked (``given_as``), then the
        service (``call(project, data)``), whose refusal is answered 400 and whose "not
        allowed" 403, in its own words."""
        project = self.get_object()
        self.audited_object = project
        given = given_as(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            return call(project, given.validated_data)
        except TransitionRefused as refusal:
            raise writes.refused(refusal) from None
        except DjangoPermissionDenied as denied:
            raise writes.forbidden(denied) from None

    @extend_schema(responses={200: serializers.ProjectDetailSerializer, 304: None})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)


class BatchViewSet(ReadOnlyViewSet):
    """The rounds (三个一批), each with the number of the caller's projects it lists."""

    pagination_class = ById
    serializer_class = serializers.BatchSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's generator
            return Batch.objects.none()
        entries = permissions.scope(
            BatchEntry.objects.filter(batch=OuterRef("pk")), self.request.user, path="project__"
        )
        counted = entries.order_by().values("batch").annotate(n=Count("pk")).values("n")
        return Batch.objects.annotate(entry_count=Coalesce(Subquery(counted), 0))


class EntryViewSet(ReadOnlyViewSet):
    """The rounds' entries of the caller's projects (``?year=2025&round=1``, ``?zone=``,
    ``?category=签约``)."""

    pagination_class = ById
    serializer_class = serializers.EntrySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {"batch__year": ["exact"], "batch__round": ["exact"], "category": ["exact"]}

    def get_queryset(self):
        entries = BatchEntry.objects.select_related("batch", "project")
        zone = self.request.query_params.get("zone")
        if zone and zone.isdigit():
            entries = entries.filter(project__zone_id=int(zone))
        return permissions.scope(entries, self.request.user, path="project__")


class ProblemViewSet(ReadOnlyViewSet):
    """Problems (堵点) of the caller's projects (``?status=``, ``?zone=``, ``?project=``)."""

    pagination_class = ById
    serializer_class = serializers.ProblemSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {"status": ["exact"], "project": ["exact"], "project__zone": ["exact"]}

    def get_queryset(self):
        problems = Problem.objects.select_related("project")
        return permissions.scope(problems, self.request.user, path="project__")


class MonthlyViewSet(ReadOnlyViewSet):
    """Monthly progress (月调度) of the caller's projects (``?month=2025-06-01``, ``?zone=``)."""

    pagination_class = ById
    serializer_class = serializers.MonthlySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_fields = {
        "month": ["exact", "gte", "lte"],
        "project": ["exact"],
        "project__zone": ["exact"],
    }

    def get_queryset(self):
        rows = MonthlyProgress.objects.select_related("project")
        return permissions.scope(rows, self.request.user, path="project__")


class ReportViewSet(Audited, viewsets.ViewSet):
    """The figures of the reports (the registry the reports page and ``manage.py report`` read)
    over what the caller sees: ``?zone=<id>`` (repeatable), ``?batch=2025-1`` (repeatable),
    ``?from=`` and ``?to=`` (YYYY-MM-DD). Rates are fractions, investment in 万元."""

    lookup_field = "name"
    lookup_value_regex = "[a-z_]+"

    @extend_schema(responses={200: serializers.ReportSerializer(many=True)})
    def list(self, request):
        return Response([{"name": r.name, "label": str(r.label)} for r in registry.REPORTS])

    @extend_schema(
        parameters=[
            OpenApiParameter("zone", int, many=True),
            OpenApiParameter("batch", str, many=True, description="YEAR-ROUND, e.g. 2025-1"),
            OpenApiParameter("from", OpenApiTypes.DATE),
            OpenApiParameter("to", OpenApiTypes.DATE),
        ],
        responses={200: serializers.ReportSerializer},
    )
    def retrieve(self, request, name=None):
        try:
            report = registry.get(name)
        except KeyError:
            raise exceptions.NotFound(
                _("There is no report “%(name)s”.") % {"name": name}
            ) from None
        if not permissions.may_see_figures(request.user):
            raise exceptions.PermissionDenied()
        selection = _selection(request.query_params)
        figures = reports.kept(
            report.name, selection, request.user, partial(report.figures, selection, request.user)
        )
        return Response({"name": report.name, "label": str(report.label), "figures": figures})


def _selection(params) -> reports.Selection:
    errors = {}
    zones = []
    for value in params.getlist("zone"):
        if value.isdigit():
            zones.append(int(value))
        else:
            errors.setdefault("zone", []).append(
                _("“%(value)s” is not a zone's id.") % {"value": value}
            )
    batches = []
    for value in params.getlist("batch"):
        named = round_named(value)
        found = (
            Batch.objects.filter(year=named[0], round=named[1]).values_list("pk", flat=True).first()
            if named
            else None
        )
        if found is None:
            errors.setdefault("batch", []).append(
                _("There is no round “%(value)s”.") % {"value": value}
            )
        else:
            batches.append(found)
    days = {}
    for field in ("from", "to"):
        value = params.get(field)
        if value:
            try:
                days[field] = dt.date.fromisoformat(value)
            except ValueError:
                errors[field] = [_("Write the day as YYYY-MM-DD.")]
    if days.get("from") and days.get("to") and days["from"] > days["to"]:
        errors["from"] = [_("“from” is after “to”.")]
    if errors:
        raise exceptions.ValidationError(errors)
    return reports.Selection(
        zones=tuple(dict.fromkeys(zones)),
        batches=tuple(dict.fromkeys(batches)),
        date_from=days.get("from"),
        date_to=days.get("to"),
    )
