"""The approvals app's models, gathered from the capability packages that define them (Django
loads an app's models from here; ``from approvals.models import Project`` keeps working).

The modules ``project``, ``batch``, ``warnings`` and ``stage_request`` beside this
file are old paths that migrations import, nothing else (an import-linter contract keeps it so)."""

from approvals.audit.models import AuditEvent, AuditKind, AuditRecordIsFinal, AuditResult
from approvals.bulletins.models import Bulletin
from approvals.cases.models.milestones import Milestone
from approvals.cases.models.project import Authorisation, Project
from approvals.cases.models.querysets import ProjectQuerySet
from approvals.cases.models.rounds import CATEGORY_MILESTONE, Batch, BatchEntry, Category
from approvals.cases.models.stage_changes import StageChange
from approvals.cases.models.stages import (
    FORWARD_STAGES,
    MILESTONE_STAGES,
    NEXT_STAGE,
    OPEN_STAGES,
    PLANNED_DATE_LABELS,
    Stage,
)
from approvals.cases.models.thresholds import WarningSettings
from approvals.casework.models.factor_need import (
    WHITE_LIST_INVESTMENT,
    Factor,
    FactorNeed,
    WhiteListProject,
)
from approvals.casework.models.monthly_progress import (
    MonthlyProgress,
    cumulative_problem,
    first_of_month,
)
from approvals.casework.models.problem import (
    SOLVED,
    UNSOLVED,
    Problem,
    ProblemCategory,
    ProblemChange,
    ProblemSource,
    ProblemStatus,
)
from approvals.casework.models.service_record import ServiceKind, ServiceRecord
from approvals.casework.models.task_plan import TaskNode
from approvals.channels.models import (
    GROUP_KINDS,
    PERSONAL_KINDS,
    Channel,
    ChannelKind,
    Dispatch,
    SmsProvider,
)
from approvals.checklist.calendar import CalendarDay
from approvals.checklist.catalogue import (
    MODES_NEEDING_REASON,
    SETTLED_MODES,
    ApprovalGroup,
    ApprovalType,
    LimitUnit,
    Mode,
)
from approvals.checklist.item_changes import ItemModeChange, ItemStatusChange, ModeOrigin
from approvals.checklist.models import ApprovalItem, ItemStatus
from approvals.core.machine import RecordedMachine, TransitionRecord, TransitionRefused
from approvals.figures.models import ZoneFigures
from approvals.jobs.models import Job, JobKind, JobStatus
from approvals.reminders.models import Delivery, EmailState, Reminder, Step
from approvals.spreadsheets.models import ImportKind, ImportStatus, SpreadsheetImport
from approvals.stages.models import (
    EvidenceRequirement,
    RequestAttachment,
    RequestStatus,
    StageRequest,
)

__all__ = [
    "Bulletin",
    "GROUP_KINDS",
    "PERSONAL_KINDS",
    "Channel",
    "ChannelKind",
    "Dispatch",
    "SmsProvider",
    "AuditEvent",
    "AuditKind",
    "AuditRecordIsFinal",
    "AuditResult",
    "WHITE_LIST_INVESTMENT",
    "Factor",
    "FactorNeed",
    "WhiteListProject",
    "MonthlyProgress",
    "cumulative_problem",
    "first_of_month",
    "SOLVED",
    "UNSOLVED",
    "Problem",
    "ProblemCategory",
    "ProblemChange",
    "ProblemSource",
    "ProblemStatus",
    "ServiceKind",
    "ServiceRecord",
    "TaskNode",
    "Delivery",
    "EmailState",
    "EvidenceRequirement",
    "Reminder",
    "Step",
    "WarningSettings",
    "CATEGORY_MILESTONE",
    "Batch",
    "BatchEntry",
    "Category",
    "ImportKind",
    "ImportStatus",
    "SpreadsheetImport",
    "Job",
    "JobKind",
    "JobStatus",
    "MODES_NEEDING_REASON",
    "ItemModeChange",
    "ModeOrigin",
    "FORWARD_STAGES",
    "MILESTONE_STAGES",
    "NEXT_STAGE",
    "OPEN_STAGES",
    "PLANNED_DATE_LABELS",
    "SETTLED_MODES",
    "ApprovalGroup",
    "ApprovalItem",
    "ApprovalType",
    "Authorisation",
    "CalendarDay",
    "ItemStatus",
    "ItemStatusChange",
    "LimitUnit",
    "Milestone",
    "Mode",
    "Project",
    "ProjectQuerySet",
    "RecordedMachine",
    "Stage",
    "StageChange",
    "TransitionRecord",
    "TransitionRefused",
    "ZoneFigures",
    "RequestAttachment",
    "RequestStatus",
    "StageRequest",
]
