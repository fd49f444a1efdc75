"""The approvals app's models, one module per concept."""

from .calendar import CalendarDay
from .checklist import (
    SETTLED_MODES,
    ApprovalGroup,
    ApprovalItem,
    ApprovalType,
    ItemStatus,
    ItemStatusChange,
    LimitUnit,
    Mode,
)
from .machine import RecordedMachine, TransitionRecord, TransitionRefused
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
    may_change_stage,
)
from .stage_request import RequestAttachment, RequestStatus, StageRequest

__all__ = [
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
    "may_change_stage",
    "RequestAttachment",
    "RequestStatus",
    "StageRequest",
]
