"""The demo's accounts: their names, roles and zones. Their names and password are published
(README), so with DEBUG off none of them may exist (``accounts/checks.py``) or log in
(``approvals.access.permissions.is_demo_account_refused``); ``manage.py seed_demo`` creates them. The
list lives here, beside the checks that refuse it, not in the command: a security rule reads it."""

from __future__ import annotations

from zones.models import AdminRole, Role

#: username, display name, role, zones (None: every zone of 晋中市)
DEMO_PEOPLE = [
    ("officer", "李明", Role.OFFICER, ["综改区晋中开发区", "平遥经济技术开发区"]),
    ("supervisor", "王芳", Role.SUPERVISOR, ["综改区晋中开发区", "平遥经济技术开发区"]),
    # A second supervisor of the same zones: one decides what the other cannot (four eyes).
    ("supervisor2", "陈静", Role.SUPERVISOR, ["综改区晋中开发区", "平遥经济技术开发区"]),
    ("leader", "张建国", Role.LEADER, ["综改区晋中开发区", "平遥经济技术开发区"]),
    ("statistician", "赵丽", Role.STATISTICIAN, None),
]
#: The three administrators kept apart (三权分立), to try the separation in the demo:
#: username, display name, administrator role.
DEMO_ADMINISTRATORS = [
    ("sysadmin", "系统管理员", AdminRole.SYSTEM),
    ("secadmin", "安全管理员", AdminRole.SECURITY),
    ("auditor", "审计管理员", AdminRole.AUDIT),
]


#: The demo's client system (api/, ``manage.py seed_demo_api``): its account and its published
#: token ``pd_<prefix>_<secret>``, for the README's ``curl``.
DEMO_PLATFORM = "platform-demo"
DEMO_TOKEN_PREFIX = "demo"
DEMO_TOKEN_SECRET = "projectdesk-demo"
#: The demo's investor link (portal/, ``manage.py seed_demo_portal``), published like the token:
#: ``/portal/<it>/`` opens one enterprise's page in the demo, and nothing with DEBUG off.
DEMO_INVESTOR_TOKEN = "projectdesk-demo-investor"


def demo_usernames() -> list[str]:
    """Every demo account's name: never an account with DEBUG off (accounts/checks.py reports
    one; ``approvals.access.permissions.AccountBackend`` refuses its login)."""
    return [
        "admin",
        *(username for username, *_ in DEMO_PEOPLE),
        *(username for username, *_ in DEMO_ADMINISTRATORS),
        DEMO_PLATFORM,
    ]
