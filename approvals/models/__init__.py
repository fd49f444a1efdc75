"""The approvals app's models, one module per concept."""

from .audit import AuditEvent, AuditKind, AuditRecordIsFinal, AuditResult
from .batch import (
    CATEGORY_MILESTONE,
    Batch,
    BatchEntry,
    Category,
    ImportKind,
    ImportStatus,
    SpreadsheetImport,
)
from .calendar import CalendarDay
from .checklist import (
    MODES_NEEDING_REASON,
    SETTLED_MODES,
    ApprovalGroup,
    ApprovalItem,
    ApprovalType,
    ItemModeChange,
    ItemStatus,
    ItemStatusChange,
    LimitUnit,
    Mode,
    ModeOrigin,
)
from .factor_need import WHITE_LIST_INVESTMENT, Factor, FactorNeed, WhiteListProject
from .job import Job, JobKind, JobStatus
from .machine import RecordedMachine, TransitionRecord, TransitionRefused
from .monthly_progress import MonthlyProgress, cumulative_problem, first_of_month
from .problem import (
    SOLVED,
    UNSOLVED,
    Problem,
    ProblemCategory,
    ProblemChange,
    ProblemSource,
    ProblemStatus,
)
from .project import (
    FORWARD_STAGES,
    MILESTONE_STAGES,
    NEXT_STAGE,
    OPEN_STAGES,
    Authorisation,
    Milestone,
    Project,
    ProjectQuerySet,
    Stage,
    StageChange,
)
from .reminder import Delivery, EmailState, Reminder, Step
from .service_record import ServiceKind, ServiceRecord
from .stage_request import RequestAttachment, RequestStatus, StageRequest
from .task_plan import TaskNode
from .warnings import WarningSettings

__all__ = [
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
    "RequestAttachment",
    "RequestStatus",
    "StageRequest",
]
