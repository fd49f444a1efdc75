"""Everything in Chinese (guide section 12): every page of the admin, ours and the third-party
apps' (users, lockouts, second-factor devices, beat schedules, the audit log), read as each role
reads it, shows no English word outside a short list of codes, units and names of standards.

The walk starts from every registered model's pages (list, add, a change page, its history, the
delete confirmation) and the desk's own pages, and follows every admin link the pages show (GET
only), so a page added later is walked without being named here. The text read is what a person
sees: the text of elements, and the attributes a browser shows (``title``, ``placeholder``,
``alt``, ``aria-label``, a button's ``value``) — not scripts, styles or hidden inputs.

The dataset is built once for the module (a case that went through several stages and an item
through several statuses, a round and its list, a problem, a lockout, an audit trail, a second
factor, a beat schedule) and rolled back at its end; each role's walk runs in a savepoint of it."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.security import lockout_response
from approvals.casework.problems import problem_add, service_record_add
from approvals.channels.models import Channel, ChannelKind, Dispatch
from approvals.checklist.services import checklist_generate
from approvals.core.secrets import Secret
from approvals.models import (
    AuditEvent,
    Delivery,
    Job,
    JobKind,
    JobStatus,
    Milestone,
    Mode,
    Project,
    Reminder,
    SpreadsheetImport,
    Stage,
    TaskNode,
)
from approvals.reminders import services as reminders
from approvals.stages import workflow
from tests.factories import (
    ProjectFactory,
    UserFactory,
    ZoneFactory,
    ZoneRoleFactory,
    administrator,
)
from tests.flows import move
from zones.models import AdminRole, CityRole, Role

NOW = dt.datetime(2025, 10, 15, 2, 0, tzinfo=dt.UTC)  # a Wednesday, 10:00 in Beijing

#: Latin words a Chinese page may show: codes, units, names of standards and of products.
ALLOWED = {
    # standards and units
    "GB",
    "GB/T",
    "kV",
    "MW",
    "GW",
    "kW",
    "km",
    "m²",
    "IP",
    "ID",
    # files and programs people name
    "Excel",
    "API",  # 我的 API 令牌, API 客户端: what the city's platforms call it (issue 22)
    "WPS",
    "xlsx",
    "xls",
    "csv",
    "CSV",
    "PDF",
    "pdf",
    "URL",
    "QR",
    # the platforms' own names of a channel's settings, as their consoles show them in Chinese
    # (issue 23): 企业微信's AgentId, Secret and Webhook, 钉钉's SEC… signing secret, 阿里云's
    # AccessKey, 腾讯云's SecretId, SecretKey and SdkAppId; a 企业微信 member's UserID and the
    # company's CorpID
    "AgentId",
    "CorpID",
    "UserID",
    "Secret",
    "Webhook",
    "SEC",
    "AccessKey",
    "SecretId",
    "SecretKey",
    "SdkAppId",
    # the second factor: the standard's name and the apps the enrol page suggests
    "TOTP",
    "Microsoft",
    "Google",
    "Authenticator",
    "FreeOTP",
    # the keys Django's help for a multiple choice names ("按住 Control 键或 Mac 上的 Command 键")
    "Control",
    "Command",
    "Mac",
    # time zones by their standard names, formats and protocols named in Django's help texts
    "Asia/Shanghai",
    "UTC",
    "JSON",
    "LDAP",
    # a crontab written as cron writes it: "0 2 * * * (m/h/dM/MY/d) Asia/Shanghai"
    "m/h/dM/MY/d",
}

#: Attributes a browser shows to the person (tooltips, placeholders, image text, labels read).
SHOWN_ATTRIBUTES = ("title", "placeholder", "alt", "aria-label")
#: Not read as words: scripts and styles, pictures, codes and secrets (``code``), keys to press
#: (``kbd``: "esc"), and the values Django isolates in a password's summary (``bdi``: its
#: algorithm, salt and hash, shortened).
HIDDEN_ELEMENTS = ("script", "style", "template", "svg", "code", "kbd", "bdi")
#: The class of an icon drawn by a font's ligature: its text is the icon's name.
ICON = "material-symbols-outlined"
#: Elements with no end tag: never the start of a hidden stretch.
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

#: Addresses that are not pages (files, JSON) or that act: never followed.
NOT_PAGES = re.compile(
    r"/logout/|/export/|/download/|/template/|/attachment/|/list-file/|/autocomplete/"
    r"|/jsi18n/|/people/|/r/\d+/|/transition/|/decide/|/cancel/|/request/|/generate-checklist/"
)
#: How many addresses of one shape (ids replaced) are read per role: a list's rows are alike.
PER_SHAPE = 2


class ShownText(HTMLParser):
    """The text a person reads on a page, as a list of pieces. An icon's ligature name
    (``<span class="material-symbols-outlined">apartment</span>``) draws a picture, not a word."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden_by: str | None = None  # the element hiding what is inside it
        self._depth = 0  # how deep in elements of that name

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if self._hidden_by is not None:
            self._depth += tag == self._hidden_by
            return
        icon = ICON in (attributes.get("class") or "").split()
        if tag not in VOID and (tag in HIDDEN_ELEMENTS or icon):
            self._hidden_by, self._depth = tag, 1
            return
        if tag == "input" and attributes.get("type") == "hidden":
            return
        self.parts += [attributes[a] or "" for a in SHOWN_ATTRIBUTES if a in attributes]
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self.parts.append(attributes.get("value") or "")

    def handle_startendtag(self, tag, attrs) -> None:
        if self._hidden_by is None and tag not in HIDDEN_ELEMENTS:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag) -> None:
        if tag == self._hidden_by:
            self._depth -= 1
            if not self._depth:
                self._hidden_by = None

    def handle_data(self, data) -> None:
        if self._hidden_by is None:
            self.parts.append(data)


def shown_text(html: str) -> str:
    parser = ShownText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


#: A run of Latin letters, digits and the signs that join them in codes, names and addresses.
TOKEN = re.compile(r"[A-Za-z0-9_.@/:*'\-]+")
#: The registered tasks' names, which a schedule entry's task is (a code, like a module's path).
TASK = re.compile(r"(approvals\.tasks|celery)\.\w+")


def english_in(html: str) -> set[str]:
    """The English words a person would read on the page ``html``: each run of Latin letters
    (with the digits and signs that join them) that is not a number or code (it has a digit:
    LX03, 7GW, 2025-10-15), an address or a file's extension, or in ``ALLOWED``. A joined
    identifier (``approvals.StageRequest``, ``Otp_Totp``) counts as English: it is a raw code."""
    words = set()
    for token in TOKEN.findall(shown_text(html)):
        token = token.strip(".:/'-")
        letters = re.sub(r"[^A-Za-z]", "", token)
        if len(letters) < 2 or re.search(r"\d", token) or "@" in token or "://" in token:
            continue
        if "*" in token or TASK.fullmatch(token):  # a value shown masked; a task's name
            continue
        if token not in ALLOWED:
            words.add(token)
    return words


# --- the dataset: a zone lived in, its people with Chinese names --------------------------------


def _person(username: str, zone, role: str):
    user = UserFactory(username=username, first_name=username)
    ZoneRoleFactory(user=user, zone=zone, role=role)
    return user


class Desk:
    """The people of each role, and the things the walk starts from."""

    def __init__(self) -> None:
        zone = ZoneFactory(name="综改区晋中开发区", aliases="晋中开发区", city="晋中市")
        other = ZoneFactory(name="祁县经济开发区", aliases="祁县经开区", city="晋中市")
        officer = _person("艾丽", zone, Role.OFFICER)
        supervisor = _person("鲍勃", zone, Role.SUPERVISOR)
        _person("鲍勃二", zone, Role.SUPERVISOR)
        leader = _person("莉莉", zone, Role.LEADER)
        statistician = _person("斯坦", zone, Role.STATISTICIAN)
        _person("查理", other, Role.OFFICER)
        city = UserFactory(username="城市督导", first_name="城市督导")
        CityRole.objects.create(user=city, city="晋中市", role=Role.CITY_SUPERVISOR)
        self.people = {
            "superuser": UserFactory(username="超级管理员", is_superuser=True),
            "system": administrator("系统管理员", AdminRole.SYSTEM),
            "security": administrator("安全管理员", AdminRole.SECURITY),
            "audit": administrator("审计管理员", AdminRole.AUDIT),
            "city_supervisor": city,
            "supervisor": supervisor,
            "officer": officer,
            "leader": leader,
            "statistician": statistician,
        }

        project = ProjectFactory(
            zone=zone, name="大恒能源光伏垂直一体化项目", total_investment=500000, leader=leader
        )
        project.officer = officer
        project.save()
        ProjectFactory(zone=other, name="碳基新材料产业园项目")
        move(
            project,
            "sign",
            officer=officer,
            supervisor=supervisor,
            agreement_date=dt.date(2025, 4, 7),
        )
        checklist_generate(project=project, by=officer)
        item = project.approval_items.get(approval_type__code="LX03")
        workflow.run_transition(item, "start_preparing", by=officer)
        workflow.run_transition(item, "accept", by=officer, accepted_on=dt.date(2025, 9, 26))
        workflow.item_set_mode(
            project.approval_items.get(approval_type__code="HP05"),
            Mode.UNIFIED,
            by=officer,
            reason="园区统一办理",
        )
        move(project, "suspend", officer=officer, supervisor=supervisor, reason="环保督察")
        workflow.request_transition(project, "resume", by=officer)
        problem_add(
            project=project, by=officer, description="用地指标未落实", department="自然资源局"
        )
        service_record_add(
            project=project,
            by=officer,
            day=dt.date(2025, 10, 10),
            participants="项目管家、企业负责人",
            done="现场查看用地情况",
        )

        # A signed project whose readiness is months late, with a late task: reminders.
        late = ProjectFactory(
            zone=zone, name="晋中新材料产业园项目", total_investment=200000, leader=leader
        )
        move(late, "sign", officer=officer, supervisor=supervisor,
             agreement_date=dt.date(2025, 3, 1))  # fmt: skip
        Milestone.objects.create(project=late, stage=Stage.READY, planned_date=dt.date(2025, 6, 2))
        TaskNode.objects.create(project=late, name="完成土地摘牌", planned_date=dt.date(2025, 7, 1))
        reminders.run(dt.date(2025, 10, 15))
        # A zone's DingTalk robot (issue 23) and a reminder's delivery through it that failed.
        robot = Channel.objects.create(
            name="晋中开发区项目推进群",
            kind=ChannelKind.DINGTALK_ROBOT,
            zone=zone,
            webhook=Secret("https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef01"),
            secret=Secret("SEC0123456789abcdef0123456789abcdef01"),  # its mask ends in digits
        )
        Dispatch.objects.create(
            channel=robot,
            reminder=Reminder.objects.order_by("pk").first(),  # the page the walk starts from
            status=Delivery.FAILED,
            attempts=5,
            last_error="钉钉答复 310000：签名不匹配",
        )
        # The worker's jobs: an export done, a check of a file that failed.
        Job.objects.create(
            kind=JobKind.EXPORT,
            status=JobStatus.DONE,
            created_by=officer,
            total=2,
            done=2,
            result={"name": "项目清单.xlsx"},
        )
        Job.objects.create(
            kind=JobKind.IMPORT_PREVIEW,
            status=JobStatus.FAILED,
            created_by=statistician,
            message="文件无法读取",
        )

        # A lockout and a failed login, a second factor, the audit trail of logins.
        AccessAttempt.objects.create(
            username="艾丽",
            ip_address="10.0.0.8",
            user_agent="浏览器",
            failures_since_start=5,
            attempt_time=timezone.now(),
        )
        AccessFailureLog.objects.create(
            username="艾丽", ip_address="10.0.0.8", user_agent="浏览器", locked_out=True
        )
        TOTPDevice.objects.create(user=supervisor, name="手机", confirmed=True)
        for user in self.people.values():
            Client().force_login(user)
        self.list_preview = self._preview(statistician)
        self.monthly_preview = self._monthly(statistician)

    @staticmethod
    def _preview(statistician) -> str:
        """A quarterly list uploaded by the statistician and previewed, not confirmed."""
        from tests.spreadsheet_files import Title, xlsx

        header = ["序号", "项目代码", "项目名称", "项目单位", "所在开发区", "类别", "项目阶段",
                  "总投资（万元）", "计划开工时间", "项目进展"]  # fmt: skip
        rows = [
            [1, "", "晋中新材料产业园项目", "山西晋中新材料有限公司", "晋中开发区", "签约", "", 20000, "", ""],
            [2, "", "大恒能源光伏垂直一体化项目", "", "晋中开发区", "开工", "", 500000, "", "土建施工"],
        ]  # fmt: skip
        file = io.BytesIO(xlsx({"清单": [Title("2025年第一季度清单"), header, *rows]}))
        file.name = "一季度清单.xlsx"
        client = Client()
        client.force_login(statistician)
        response = client.post(
            reverse("admin:approvals_project_spreadsheet_import"),
            {"file": file, "year": 2025, "round": 1, "event_date": "2025-04-07"},
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        return response["Location"]

    @staticmethod
    def _monthly(statistician) -> str:
        """A monthly table uploaded and previewed: a row that reads, and one naming no project."""
        from approvals.spreadsheets.exports import MONTHLY_TEMPLATE
        from tests.spreadsheet_files import xlsx

        rows = [
            [1, "", "晋中新材料产业园项目", "晋中开发区", "2025年9月", 12000, 500, 1500, "主体封顶", "用地指标未落实"],
            [2, "", "不存在的项目", "晋中开发区", "2025年9月", 100, 10, 10, "", ""],
        ]  # fmt: skip
        file = io.BytesIO(xlsx({"月调度": [list(MONTHLY_TEMPLATE), *rows]}))
        file.name = "九月调度表.xlsx"
        client = Client()
        client.force_login(statistician)
        response = client.post(reverse("admin:approvals_project_monthly_import"), {"file": file})
        assert response.status_code == 302, response.content.decode()[:2000]
        return response["Location"]


@pytest.fixture(scope="module")
def desk(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        with time_machine.travel(NOW, tick=False), transaction.atomic():
            __import__("approvals.migrations.0003_approval_catalogue", fromlist=["load"]).load(
                apps, None
            )
            yield Desk()
            transaction.set_rollback(True)


# --- the walk ---------------------------------------------------------------------------------


def starting_pages(desk: Desk) -> list[str]:
    """Every registered model's pages, with one of its rows, and the desk's own pages."""
    urls = [
        reverse("admin:index"),
        reverse("admin:reports"),
        reverse("admin:three_lists"),
        reverse("admin:password_change"),
        reverse("admin:second_factor"),
        reverse("admin:second_factor_enrol"),
        reverse("admin:my_channels"),
        reverse("admin:approvals_project_spreadsheet_import"),
        reverse("admin:approvals_approvalitem_spreadsheet_import"),
        reverse("admin:approvals_project_monthly_import"),
        desk.list_preview,
        desk.monthly_preview,
    ]
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls += [reverse(f"{info}_changelist"), reverse(f"{info}_add")]
        first = model._default_manager.order_by("pk").first()
        if first is None:
            continue
        for view in ("change", "history", "delete"):
            urls.append(reverse(f"{info}_{view}", args=[first.pk]))
    some_user = desk.people["officer"]
    urls.append(reverse("admin:auth_user_password_change", args=[some_user.pk]))
    return urls


def shape(url: str) -> str:
    return re.sub(r"/\d+/", "/<id>/", url)


LINK = re.compile(r'href="(/admin/[^"#]*)"')


def walk(client: Client, start: list[str]) -> dict[str, set[str]]:
    """Every admin page reachable from ``start`` (links followed without their query, some
    addresses of each shape), with the English words found on each."""
    found: dict[str, set[str]] = {}
    seen: set[str] = set()
    per_shape: dict[str, int] = defaultdict(int)
    queue = list(start)
    while queue:
        url = queue.pop(0)
        if url in seen or NOT_PAGES.search(url) or per_shape[shape(url)] >= PER_SHAPE:
            continue
        seen.add(url)
        per_shape[shape(url)] += 1
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        words = english_in(html)
        if words:
            found[url] = words
        for link in LINK.findall(html):
            path = urlsplit(link.replace("&amp;", "&")).path
            if path not in seen:
                queue.append(path)
    return found


def by_word(found: dict[str, set[str]]) -> dict[str, list[str]]:
    """Each English word found, with the shapes of (up to three) pages showing it."""
    pages: dict[str, set[str]] = defaultdict(set)
    for url, words in found.items():
        for word in words:
            pages[word].add(shape(url))
    return {word: sorted(shapes)[:3] for word, shapes in sorted(pages.items())}


ROLES = [
    "superuser",
    "system",
    "security",
    "audit",
    "city_supervisor",
    "supervisor",
    "officer",
    "leader",
    "statistician",
]


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_role_reads_shows_english(desk, db, role):
    client = Client()
    client.force_login(desk.people[role])
    with time_machine.travel(NOW, tick=False):
        found = walk(client, starting_pages(desk))
    assert by_word(found) == {}


def test_the_login_and_lockout_pages_show_no_english(desk, db):
    login = Client().get(reverse("admin:login")).content.decode()
    request = RequestFactory().get(reverse("admin:login"))
    request.user = AnonymousUser()
    lockout = lockout_response(request).content.decode()
    assert {"login": english_in(login), "lockout": english_in(lockout)} == {
        "login": set(),
        "lockout": set(),
    }


@pytest.mark.parametrize(
    "old, new, again",
    [
        ("wrong-password", "Abc-12345678", "Abc-12345678"),  # the old password wrong
        ("secret-pass-123", "abc", "abc"),  # short, too common, one kind of character
        ("secret-pass-123", "12345678901", "12345678901"),  # only digits
        ("secret-pass-123", "Abc-12345678", "Abc-12345679"),  # typed differently twice
    ],
)
def test_the_password_rules_speak_chinese(desk, db, old, new, again):
    """What the password change page answers a password the rules refuse (Django's rules and
    accounts/validators.py): in Chinese."""
    client = Client()
    client.force_login(desk.people["officer"])
    page = client.post(
        reverse("admin:password_change"),
        {"old_password": old, "new_password1": new, "new_password2": again},
    )
    assert page.status_code == 200  # refused, the form again with its errors
    errors = page.context["form"].errors
    assert errors
    said = " ".join(message for messages in errors.values() for message in messages)
    assert english_in(f"<p>{said}</p>") == set(), said
    assert english_in(page.content.decode()) == set()


def test_the_walk_would_see_english():
    """The check reads what people see — text, tooltips, placeholders, buttons — and finds an
    English word there, but not in scripts, hidden inputs, codes, units or standards' names."""
    assert english_in("<p>Raw passwords are not stored</p>") == {
        "Raw",
        "passwords",
        "are",
        "not",
        "stored",
    }
    assert english_in('<a title="Choose all">全选</a>') == {"Choose", "all"}
    assert english_in('<input placeholder="Filter">') == {"Filter"}
    assert english_in('<input type="submit" value="Save">') == {"Save"}
    assert english_in("<select><option>Human readable</option></select>") == {"Human", "readable"}
    assert (
        english_in(
            '<script>var x = "Today";</script><input type="hidden" value="Now">'
            "<style>.a{color:red}</style><p>LX03 审批 7GW GB/T 22239 TOTP 一季度清单.xlsx</p>"
        )
        == set()
    )
    assert english_in("<td>approvals.StageRequest · Otp_Totp</td>") == {
        "approvals.StageRequest",
        "Otp_Totp",
    }
    assert (
        english_in('<span class="material-symbols-outlined">apartment</span><kbd>esc</kbd>')
        == set()
    )
    # what follows a checkbox styled with an icon's class is still read (a list's rows)
    assert english_in(
        '<input type="checkbox" class="after:material-symbols-outlined">'
        '<span class="material-symbols-outlined">check</span><td>Attempted</td>'
    ) == {"Attempted"}
    assert english_in("<td>Attempted Access: 2026-12-06</td>") == {"Attempted", "Access"}


def test_the_walk_reaches_every_registered_model(desk, db):
    """The walk is not blind: the superuser's reaches a list of every registered model."""
    client = Client()
    client.force_login(desk.people["superuser"])
    pages = set(starting_pages(desk))
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        assert reverse(info) in pages
    # and its lists have rows: a case, reminders, jobs, a lockout, the audit trail, previews
    for model in (Project, Reminder, Job, AccessAttempt, AccessFailureLog, TOTPDevice, AuditEvent):
        assert model.objects.exists(), model
    assert SpreadsheetImport.objects.count() == 2  # a list previewed, a monthly table refused


def test_a_clocked_schedule_is_offered_in_beijing_time(desk, db):
    """django-celery-beat names a clocked schedule in UTC ("2025-10-15 02:00:00+00:00")."""
    from django_celery_beat.models import ClockedSchedule

    ClockedSchedule.objects.create(clocked_time=NOW)
    client = Client()
    client.force_login(desk.people["system"])
    for url in (
        reverse("admin:django_celery_beat_periodictask_add"),
        reverse("admin:django_celery_beat_clockedschedule_changelist"),
    ):
        text = shown_text(client.get(url).content.decode())
        assert "2025-10-15 10:00" in text and "+00:00" not in text, (url, text[-600:])
