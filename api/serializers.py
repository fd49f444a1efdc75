"""What the API answers, as plain JSON: names as in the schema (English), labels in Chinese
beside each coded value, amounts in 万元 as the desk stores them, dates in ISO form."""

from __future__ import annotations

from rest_framework import serializers

from approvals.cases.lateness import stored_colour
from approvals.models import (
    ApprovalItem,
    BatchEntry,
    Milestone,
    MonthlyProgress,
    Problem,
    ProblemCategory,
    Project,
    Stage,
    StageRequest,
)
from zones.apps import display_name
from zones.models import Zone


class ZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Zone
        fields = ["id", "name", "city"]


def _person(user) -> str:
    return display_name(user) if user is not None else ""


#: The stages' labels, read once. ``source="get_stage_display"`` cost a third of a list's page
#: in a profile: for every row DRF inspected the method's signature and Django built the
#: choices' dict again (benchmarks/api.py, README section 24).
STAGE_LABELS = dict(Stage.choices)


class ProjectSerializer(serializers.ModelSerializer):
    """A project as a list shows it."""

    zone_name = serializers.CharField(source="zone.name", read_only=True)
    enterprise = serializers.SerializerMethodField()
    stage_label = serializers.SerializerMethodField()
    colour = serializers.SerializerMethodField(
        help_text="green, yellow, red, at_risk (a foreseen delay), or null for a project not open"
    )
    flagged = serializers.SerializerMethodField(
        help_text="works started before the permits were settled (开工时前期手续未办结)"
    )
    officer = serializers.SerializerMethodField()
    total_investment = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="万元"
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "code",
            "name",
            "zone",
            "zone_name",
            "enterprise",
            "stage",
            "stage_label",
            "colour",
            "flagged",
            "total_investment",
            "officer",
            "next_milestone_on",
            "updated_at",
        ]

    def get_enterprise(self, project: Project) -> str:
        return project.enterprise.name if project.enterprise_id else ""

    def get_stage_label(self, project: Project) -> str:
        return str(STAGE_LABELS.get(project.stage, project.stage))

    def get_colour(self, project: Project) -> str | None:
        colour = stored_colour(project, self.context["colours"])
        return colour.value if colour else None

    def get_flagged(self, project: Project) -> bool:
        return project.started_before_permits_on is not None

    def get_officer(self, project: Project) -> str:
        return _person(project.officer)


class MilestoneSerializer(serializers.ModelSerializer):
    stage_label = serializers.CharField(source="get_stage_display", read_only=True)

    class Meta:
        model = Milestone
        fields = ["stage", "stage_label", "planned_date", "planned_month_only", "actual_date"]


class ItemSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="approval_type.code", read_only=True)
    name = serializers.CharField(source="approval_type.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    mode_label = serializers.CharField(source="get_mode_display", read_only=True)

    class Meta:
        model = ApprovalItem
        fields = [
            "id",
            "code",
            "name",
            "mode",
            "mode_label",
            "status",
            "status_label",
            "accepted_on",
            "deadline",
            "approved_on",
            "document_number",
        ]


class RequestSerializer(serializers.ModelSerializer):
    transition_label = serializers.CharField(source="get_transition_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    requested_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = StageRequest
        fields = [
            "id",
            "transition",
            "transition_label",
            "target_stage",
            "kind",
            "status",
            "status_label",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_comment",
        ]

    def get_requested_by(self, request: StageRequest) -> str:
        return _person(request.requested_by)

    def get_decided_by(self, request: StageRequest) -> str:
        return _person(request.decided_by)


class RoundSerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="batch.year", read_only=True)
    round = serializers.IntegerField(source="batch.round", read_only=True)
    event_date = serializers.DateField(source="batch.event_date", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = BatchEntry
        fields = ["year", "round", "event_date", "category", "category_label", "progress"]


class ProjectDetailSerializer(ProjectSerializer):
    """A project with its milestones, checklist, stage requests and rounds."""

    milestones = MilestoneSerializer(many=True, read_only=True)
    items = ItemSerializer(many=True, read_only=True, source="approval_items")
    requests = RequestSerializer(many=True, read_only=True, source="stage_requests")
    rounds = RoundSerializer(many=True, read_only=True, source="batch_entries")

    class Meta(ProjectSerializer.Meta):
        fields = [
            *ProjectSerializer.Meta.fields,
            "industry",
            "content",
            "progress",
            "progress_as_of",
            "milestones",
            "items",
            "requests",
            "rounds",
        ]


class BatchSerializer(serializers.Serializer):
    """A round (三个一批) with how many of the caller's projects it lists."""

    id = serializers.IntegerField()
    year = serializers.IntegerField()
    round = serializers.IntegerField()
    event_date = serializers.DateField()
    entries = serializers.IntegerField(
        source="entry_count", help_text="entries of the caller's projects"
    )


class EntrySerializer(serializers.ModelSerializer):
    year = serializers.IntegerField(source="batch.year", read_only=True)
    round = serializers.IntegerField(source="batch.round", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    zone = serializers.IntegerField(source="project.zone_id", read_only=True)

    class Meta:
        model = BatchEntry
        fields = [
            "id",
            "year",
            "round",
            "project",
            "zone",
            "category",
            "category_label",
            "name",
            "enterprise",
            "total_investment",
            "expected_annual_output",
            "content",
            "progress",
            "problems",
        ]


class ProblemSerializer(serializers.ModelSerializer):
    zone = serializers.IntegerField(source="project.zone_id", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "project",
            "zone",
            "description",
            "category",
            "category_label",
            "department",
            "reported_on",
            "deadline",
            "status",
            "status_label",
            "resolution",
            "resolved_on",
            "closed_at",
            "source",
            "source_label",
        ]


class ProblemInputSerializer(serializers.Serializer):
    """A problem raised through the API (``casework.problems.problem_add``)."""

    description = serializers.CharField(max_length=2000)
    category = serializers.ChoiceField(
        choices=ProblemCategory.choices, default=ProblemCategory.OTHER
    )
    department = serializers.CharField(max_length=100, required=False, allow_blank=True)
    deadline = serializers.DateField(required=False, allow_null=True)


class MonthlySerializer(serializers.ModelSerializer):
    zone = serializers.IntegerField(source="project.zone_id", read_only=True)

    class Meta:
        model = MonthlyProgress
        fields = [
            "id",
            "project",
            "zone",
            "month",
            "annual_plan",
            "completed_month",
            "completed_year",
            "image_progress",
        ]


class StageRequestInputSerializer(serializers.Serializer):
    """A stage change asked for through the API (``stages.workflow.request_transition``): a
    supervisor of the zone decides it, as any request."""

    transition = serializers.CharField(help_text="e.g. sign, start_works, start_production")
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    documents_missing_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="容缺: why documents are missing",
    )
    evidence = serializers.DictField(
        required=False, help_text="the change's evidence fields (dates as YYYY-MM-DD)"
    )


class ReportSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    figures = serializers.DictField(required=False)
