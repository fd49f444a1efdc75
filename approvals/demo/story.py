"""The demo's story as plain data: 晋中's projects listed in five rounds of 三个一批 since 2023,
what became of each by the anchor day (the day the demo was first built), their approval
checklists, problems and monthly figures, and the events that tell it, in the order they
happened. Pure and seeded: the same anchor, seed round, zones and catalogue give the same story;
``build`` plays it through the desk's imports and services."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from approvals.models import Category, Mode, Stage

SEED = 19  # the issue that asked for a working desk
PROJECTS = 300
#: Days before the anchor of the four rounds besides the seed's own (2025-04-07): with the seed's,
#: five rounds since 2023 for a desk first built in 2026.
ROUND_DAYS_BEFORE = (1180, 860, 250, 60)
#: How many of the projects each round lists for the first time (the rest were listed before).
FIRST_LISTED = (45, 55, 60, 75, 65)
#: The demo people's zones get more of the projects: what their dashboards show.
ZONE_WEIGHT = {"综改区晋中开发区": 70, "平遥经济技术开发区": 40}
OTHER_ZONE_WEIGHT = 24
CATEGORY_WEIGHTS = {Category.SIGN: 45, Category.START: 35, Category.PRODUCE: 20}

DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Round:
    year: int
    number: int
    event: dt.date

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}批"


@dataclass(frozen=True)
class CatalogueItem:
    """What the story reads of one approval type."""

    code: str
    name: str
    before_works: bool
    default_mode: str
    time_limit: int | None
    working_days: bool
    committable: bool


@dataclass
class ItemPlan:
    """One approval item of a checklist: its mode and, handled by approval, when its documents
    were prepared, when the agency accepted it and when it approved it (None: not yet)."""

    mode: str
    preparing: dt.date | None = None
    accepted: dt.date | None = None
    approved: dt.date | None = None

    def cell(self, on: dt.date) -> object:
        """The cell of a progress table (前期手续办理进度表) stating the item as of ``on``."""
        if self.mode != Mode.APPROVAL:
            return {Mode.COMMITMENT: "承诺", Mode.UNIFIED: "统一服务"}.get(self.mode, "不涉及")
        if self.approved and self.approved <= on:
            return self.approved
        if self.accepted and self.accepted <= on:
            return f"已受理（{self.accepted:%Y.%m.%d}）"
        if self.preparing and self.preparing <= on:
            return "办理中"
        return "未启动"


@dataclass
class ProblemPlan:
    """A problem (堵点): written in a list's 存在问题, or found on an officer's visit
    (``visited``, due on ``deadline``); when it was resolved and closed (None: not yet)."""

    text: str
    resolution: str = ""
    resolved: dt.date | None = None
    closed: dt.date | None = None
    visited: dt.date | None = None
    deadline: dt.date | None = None
    category: str = ""
    department: str = ""


@dataclass
class DemoProject:
    key: int
    zone: str
    name: str
    enterprise: str
    industry: str
    investment: Decimal  # 亿元, as the lists write it
    output: Decimal  # 亿元 a year expected
    content: str
    officer: str
    leader: str
    listed: dt.date  # the event of the round that listed it first
    listings: dict[int, str] = field(default_factory=dict)  # round index → category
    planned_start: dt.date | None = None
    planned_production: dt.date | None = None
    started: dt.date | None = None  # by the lists: the round that listed it as started
    produced: dt.date | None = None  # by the lists (投产一批) or by a decision (``by_hand``)
    produced_by_hand: bool = False
    capacity: dt.date | None = None
    capacity_output: Decimal | None = None  # 万元 a year
    stopped: tuple[str, dt.date] | None = None  # suspended or withdrawn, and when
    replanned: dt.date | None = None  # the plan ahead, long past, moved by the officer today
    heading_late: bool = False  # its start is planned sooner than its approvals allow
    checklist: dict[str, ItemPlan] = field(default_factory=dict)
    before_permits: bool = False  # started with before-works items still open
    problem: ProblemPlan | None = None  # the 存在问题 of the list that names it first
    visit: ProblemPlan | None = None  # found on a visit
    annual_plan: Decimal | None = None  # 万元, the anchor's year

    @property
    def first_round(self) -> int:
        return min(self.listings)

    def stage_word(self, index: int) -> str:
        """The 当前阶段 a list of round ``index`` writes for it."""
        return {Category.SIGN: "已签约", Category.START: "在建", Category.PRODUCE: "已投产"}[
            self.listings[index]
        ]

    def under_construction(self, first: dt.date, last: dt.date) -> bool:
        """Started, and not in production before ``first``: building during [first, last]."""
        return (
            self.started is not None
            and self.started <= last
            and (self.produced is None or self.produced >= first)
        )


@dataclass(frozen=True)
class Event:
    """Something that happened on ``day``; ``order`` sorts a day's events (tables before the
    lists, lists before decisions)."""

    day: dt.date
    order: int
    kind: str
    project: int | None = None  # DemoProject.key
    round: int | None = None  # index into Story.rounds
    text: str = ""  # the problem it concerns


@dataclass
class Story:
    anchor: dt.date
    rounds: list[Round]
    projects: list[DemoProject]
    events: list[Event]


# --- the rounds --------------------------------------------------------------------------------


def _weekday(day: dt.date) -> dt.date:
    """Events are held on weekdays: the Friday before a weekend day."""
    while day.weekday() >= 5:
        day -= DAY
    return day


def rounds(anchor: dt.date, seed_event: dt.date) -> list[Round]:
    """The five rounds in date order, numbered within their year: the seed's and four anchored.
    An anchored round that would fall in the seed's year before it moves to the year before
    (the seed's round is that year's first, as the seed says)."""
    days = [seed_event]
    for before in ROUND_DAYS_BEFORE:
        day = _weekday(anchor - before * DAY)
        if day.year == seed_event.year and day <= seed_event:
            day = _weekday(dt.date(day.year - 1, 12, 15))
        days.append(day)
    result, numbers = [], {}
    for day in sorted(days):
        numbers[day.year] = numbers.get(day.year, 0) + 1
        result.append(Round(day.year, numbers[day.year], day))
    return result


# --- names and figures --------------------------------------------------------------------------

FIRMS = (
    "晋泰", "华晟", "瑞丰", "恒信", "中晋", "鑫源", "宏达", "金石", "泰和", "润通", "晋丰", "卓越",
    "盛华", "天元", "晋德", "嘉禾", "昌盛", "汇川", "龙城", "晋阳", "博远", "安泰", "立信", "丰源",
    "永晟", "鼎盛", "科华", "锦程", "新兴", "同创", "晋通", "弘毅", "瑞恒", "中瑞", "华远", "晋安",
)  # fmt: skip
FIRM_KIND = {
    "光伏": "新能源科技", "装备制造": "智能装备", "碳基新材料": "碳材料", "环保造纸": "纸业",
    "新材料": "新材料科技", "煤焦化工": "煤化工", "食品加工": "食品", "氢能": "氢能科技",
    "玛钢": "铸造", "医疗器械": "医疗科技", "农产品精深加工": "农业科技", "风电": "新能源",
}  # fmt: skip
PRODUCTS = {
    "光伏": ("年产{n}GW高效光伏组件", "{n}GW N型电池片", "光伏支架及边框生产基地"),
    "装备制造": ("智能装备制造基地", "年产{n}00台（套）矿山机械", "高端液压件生产线"),
    "碳基新材料": ("年产{n}万吨针状焦", "碳纤维复合材料", "年产{n}万吨锂电负极材料"),
    "环保造纸": ("年产{n}万吨生活用纸", "纸制品深加工"),
    "新材料": ("年产{n}万吨高性能铝合金", "特种陶瓷材料", "石墨烯改性材料"),
    "煤焦化工": ("焦炉煤气综合利用", "年产{n}0万吨甲醇", "焦化副产品深加工"),
    "食品加工": ("年产{n}万吨肉制品", "杂粮深加工", "年产{n}万吨醋饮品"),
    "氢能": ("焦炉煤气制氢", "氢燃料电池重卡", "加氢站及储氢"),
    "玛钢": ("年产{n}万吨玛钢管件", "铸造产业升级"),
    "医疗器械": ("医用耗材生产基地", "医疗器械产业园"),
    "农产品精深加工": ("年产{n}万吨果蔬加工", "冷链物流中心", "中药材精深加工"),
    "风电": ("{n}00MW风电", "风光储一体化"),
}  # fmt: skip
DEFAULT_INDUSTRIES = ("风电", "农产品精深加工")
PROBLEMS = {
    Category.SIGN: (
        "用地指标尚未落实，影响土地摘牌",
        "项目环评审批进度滞后",
        "企业融资未到位，前期资金紧张",
        "规划条件尚未出具",
    ),
    Category.START: (
        "施工用电未接入，临时用电负荷不足",
        "施工用水管网未铺设到位",
        "周边道路未贯通，大型设备无法进场",
        "建筑材料价格上涨，工期受影响",
    ),
    Category.PRODUCE: (
        "天然气供应不足，影响满负荷生产",
        "技术工人招聘困难",
        "产品市场开拓不及预期",
    ),
}
#: What officers find on their visits: the problem, its kind and the department to solve it.
VISITS = (
    ("供电线路迁改未完成，影响厂房施工", "energy", "供电公司"),
    ("项目用地征收补偿未完成", "land", "自然资源局"),
    ("环评批复前置条件未满足", "environment", "生态环境局"),
    ("流动资金贷款审批缓慢", "funds", "金融办"),
    ("技术工人招聘缺口较大", "labour", "人社局"),
    ("施工图审查意见反复，图审周期长", "approvals", "住建局"),
)
RESOLUTIONS = (
    "经专题会议协调，已落实",
    "相关部门联合现场办公，问题已解决",
    "已纳入园区统一服务，办结",
)
IMAGE_PROGRESS = (
    "场地平整",
    "基础施工",
    "主体结构施工",
    "主体封顶",
    "厂房围护施工",
    "设备安装",
    "设备调试",
)


def _amount(rng: random.Random, low: float, high: float) -> Decimal:
    return Decimal(str(round(rng.uniform(low, high), 2)))


def _investment(rng: random.Random) -> Decimal:
    """Most zone projects cost a few 亿元; a few are large."""
    return Decimal(str(round(min(60.0, rng.lognormvariate(1.3, 0.9)) + 0.3, 2)))


def _name(rng: random.Random, industry: str, taken: set[str]) -> tuple[str, str, str]:
    """(project name, enterprise, content), the name not yet taken in its zone."""
    while True:
        firm = rng.choice(FIRMS)
        product = rng.choice(PRODUCTS[industry]).format(n=rng.randint(2, 9))
        name = f"{firm}{product}项目"
        if name not in taken:
            taken.add(name)
            enterprise = f"山西{firm}{FIRM_KIND[industry]}有限公司"
            return name, enterprise, f"建设{product}，配套建设生产及辅助设施"


# --- what became of each project -----------------------------------------------------------------


def _later_round(dates: list[dt.date], after: int, not_before: dt.date, anchor: dt.date):
    for index in range(after + 1, len(dates)):
        if not_before <= dates[index] < anchor:
            return index
    return None


def _fate(p: DemoProject, rng: random.Random, dates: list[dt.date], anchor: dt.date) -> None:
    """Dates planned by the first list, and what happened since, by the anchor."""
    first = p.first_round
    listed = dates[first]
    category = p.listings[first]
    last_day = anchor - 7 * DAY
    if category == Category.SIGN:
        p.planned_start = listed + rng.randint(60, 270) * DAY
        p.planned_production = p.planned_start + rng.randint(270, 630) * DAY
        if p.planned_start + 45 * DAY < anchor and rng.random() < 0.7:
            started = _later_round(dates, first, p.planned_start - 30 * DAY, anchor)
            if started is not None:
                p.listings[started] = Category.START
                p.started = dates[started]
        elif p.planned_start + 60 * DAY < anchor and rng.random() < 0.15:
            kind = Stage.WITHDRAWN if rng.random() < 0.3 else Stage.SUSPENDED
            p.stopped = (kind, p.planned_start + rng.randint(10, 60) * DAY)
    elif category == Category.START:
        p.started = listed
        p.planned_production = listed + rng.randint(200, 600) * DAY
    else:
        p.started = p.produced = listed
    _about_now(p, rng, anchor)
    if p.started and not p.produced and p.planned_production + 30 * DAY < anchor:
        # Most older plans were kept; of this year's, fewer (what the dashboards show red).
        if rng.random() < (0.75 if p.planned_production < anchor - 180 * DAY else 0.45):
            day = p.planned_production + rng.randint(-40, 25) * DAY
            p.produced = min(max(day, p.started + 60 * DAY), last_day)
            p.produced_by_hand = True
            start_round = max(i for i, c in p.listings.items() if c != Category.PRODUCE)
            for index in range(start_round + 1, len(dates)):
                if 0 <= (dates[index] - p.produced).days <= 150 and dates[index] < anchor:
                    if rng.random() < 0.6:
                        p.listings[index] = Category.PRODUCE
                    break
    if p.produced and p.produced + 300 * DAY < last_day and rng.random() < 0.3:
        p.capacity = min(p.produced + rng.randint(300, 500) * DAY, last_day)
        p.capacity_output = (p.output * 10000 * _amount(rng, 0.8, 1.1)).quantize(Decimal("1"))
    ahead = p.planned_production if p.started else p.planned_start
    if not (p.produced or p.stopped) and ahead < anchor - 180 * DAY and rng.random() < 0.6:
        p.replanned = anchor + rng.randint(15, 180) * DAY


def _about_now(p: DemoProject, rng: random.Random, anchor: dt.date) -> None:
    """Some plans ahead fall due about now instead: just late or due within days (the yellow
    of a dashboard), or a month or more past (its red, unless it was met after all); and some
    starts planned within the month, sooner than their open approvals allow (预计延误: their
    checklist leaves a long one not yet accepted, ``_checklist``)."""
    name = "planned_production" if p.started else "planned_start"
    planned = getattr(p, name)
    if p.produced or not anchor + 7 * DAY < planned <= anchor + 400 * DAY:
        return
    chance = rng.random()
    if chance < 0.3:
        setattr(p, name, anchor + rng.randint(-25, 6) * DAY)
    elif chance < 0.45:
        setattr(p, name, anchor - rng.randint(35, 120) * DAY)
    elif chance < 0.6 and name == "planned_start":
        p.planned_start = anchor + rng.randint(15, 28) * DAY
        p.heading_late = True
    if name == "planned_start" and chance < 0.6:
        p.planned_production = p.planned_start + rng.randint(270, 630) * DAY


def _checklist(
    p: DemoProject, rng: random.Random, catalogue: list[CatalogueItem], anchor: dt.date
) -> None:
    """A signed project's items: settled before works by ``ready`` (before the round that lists
    it as started, or around its planned start), a few left behind (started before permits, or
    an application stuck with the agency)."""
    signed = p.listed
    if p.started:
        ready = p.started - rng.randint(5, 40) * DAY
        p.before_permits = rng.random() < 0.15
    else:
        ready = p.planned_start + rng.randint(-30, 90) * DAY
    ready = max(ready, signed + 20 * DAY)
    stuck = not p.started and rng.random() < 0.35
    applied = []
    for item in catalogue:
        mode = item.default_mode
        if mode == Mode.APPROVAL and item.committable and rng.random() < 0.2:
            mode = Mode.COMMITMENT
        plan = ItemPlan(mode)
        p.checklist[item.code] = plan
        if mode != Mode.APPROVAL or not item.before_works:
            continue
        span = max((ready - signed).days, 4)
        approved = signed + max(3, round(span * rng.uniform(0.3, 1.0))) * DAY
        limit = round((item.time_limit or 10) * (1.4 if item.working_days else 1.0))
        accepted = max(signed + 2 * DAY, approved - round(limit * rng.uniform(0.4, 1.0)) * DAY)
        plan.preparing = max(signed + 1 * DAY, accepted - rng.randint(7, 30) * DAY)
        plan.accepted, plan.approved = accepted, approved
        applied.append(plan)
    if p.before_permits:
        for plan in rng.sample(applied, k=min(2, len(applied))):
            plan.approved = p.started + rng.randint(20, 120) * DAY
            plan.accepted = min(plan.accepted, p.started - 5 * DAY)
    if p.heading_late:
        slow = [
            (item, plan)
            for item, plan in zip(catalogue, p.checklist.values(), strict=True)
            if plan in applied and (item.time_limit or 0) * (1.4 if item.working_days else 1) >= 30
        ]
        for _item, plan in rng.sample(slow, k=min(2, len(slow))):
            plan.accepted = plan.approved = None
            plan.preparing = max(anchor - rng.randint(0, 20) * DAY, signed + 1 * DAY)
    if stuck and applied:
        plan = rng.choice(applied)
        plan.accepted = anchor - rng.randint(25, 70) * DAY
        plan.preparing = min(plan.preparing, plan.accepted - 10 * DAY)
        plan.approved = None
    for plan in p.checklist.values():
        if plan.approved and plan.approved > anchor:
            plan.approved = None
        for name in ("preparing", "accepted"):
            if getattr(plan, name) and getattr(plan, name) > anchor:
                setattr(plan, name, None)


def _problem(p: DemoProject, rng: random.Random, listed: dt.date, anchor: dt.date) -> None:
    if rng.random() >= 0.2:
        return
    p.problem = ProblemPlan(rng.choice(PROBLEMS[p.listings[p.first_round]]))
    due = listed + 30 * DAY
    if due < anchor - 20 * DAY and rng.random() < 0.8:
        p.problem.resolved = min(listed + rng.randint(10, 50) * DAY, anchor - 2 * DAY)
        p.problem.resolution = rng.choice(RESOLUTIONS)
        closed = p.problem.resolved + rng.randint(1, 14) * DAY
        if closed < anchor and rng.random() < 0.9:
            p.problem.closed = closed


def _visit(p: DemoProject, rng: random.Random, anchor: dt.date) -> None:
    """Some projects still open had a problem found on a visit these months: solved in time,
    or still open (red when a month past its deadline)."""
    if p.stopped or (p.produced and p.produced < anchor - 200 * DAY) or rng.random() >= 0.14:
        return
    text, category, department = rng.choice(VISITS)
    visited = max(anchor - rng.randint(20, 200) * DAY, p.listed + 10 * DAY)
    if visited >= anchor:
        return
    plan = ProblemPlan(text, visited=visited, category=category, department=department)
    plan.deadline = visited + rng.randint(15, 45) * DAY
    if plan.deadline < anchor and rng.random() < 0.5:
        plan.resolved = min(visited + rng.randint(10, 60) * DAY, anchor - 2 * DAY)
        plan.resolution = rng.choice(RESOLUTIONS)
        closed = plan.resolved + rng.randint(1, 14) * DAY
        if closed < anchor and rng.random() < 0.8:
            plan.closed = closed
    p.visit = plan


def _annual_plan(p: DemoProject, rng: random.Random, anchor: dt.date) -> None:
    year = dt.date(anchor.year, 1, 1)
    if p.under_construction(year, anchor):
        p.annual_plan = (p.investment * 10000 * _amount(rng, 0.15, 0.45)).quantize(Decimal("10"))


def monthly_completed(p: DemoProject, months: list[dt.date]) -> list[Decimal | None]:
    """The investment completed in each month (万元), None where it was not building; the same
    every time it is asked (its own generator, seeded by the project)."""
    rng = random.Random(SEED * 1000 + p.key)
    base = (p.annual_plan or Decimal(0)) / 12
    lagging = rng.random() < 0.25  # some projects fall behind their year's plan
    result = []
    for first in months:
        last = (first + 32 * DAY).replace(day=1) - DAY
        if not p.annual_plan or not p.under_construction(first, last):
            result.append(None)
            continue
        factor = rng.uniform(0.2, 0.7) if lagging else rng.uniform(0.7, 1.5)
        result.append((base * Decimal(str(round(factor, 2)))).quantize(Decimal("1")))
    return result


def image_progress(p: DemoProject, month: dt.date) -> str:
    built = (month - p.started).days if p.started else 0
    return IMAGE_PROGRESS[min(len(IMAGE_PROGRESS) - 1, max(0, built // 60))]


# --- the story ------------------------------------------------------------------------------------


def _zone_quotas(zones: list[tuple[str, list[str]]]) -> list[str]:
    """Each project's zone, by the zones' weights, exactly ``PROJECTS`` of them."""
    weights = [ZONE_WEIGHT.get(name, OTHER_ZONE_WEIGHT) for name, _industries in zones]
    quotas = [PROJECTS * w // sum(weights) for w in weights]
    quotas[0] += PROJECTS - sum(quotas)
    return [name for (name, _i), quota in zip(zones, quotas, strict=True) for _ in range(quota)]


def tell(
    anchor: dt.date,
    seed_event: dt.date,
    zones: list[tuple[str, list[str]]],
    people: dict[str, tuple[list[str], list[str]]],
    catalogue: list[CatalogueItem],
) -> Story:
    """The story of ``zones`` (name, lead industries; in a fixed order) as of ``anchor``.
    ``people`` maps a zone to its officers' and leaders' names as the lists write them."""
    rng = random.Random(SEED)
    all_rounds = rounds(anchor, seed_event)
    dates = [r.event for r in all_rounds]
    industries = dict(zones)
    zone_of = _zone_quotas(zones)
    rng.shuffle(zone_of)
    first_rounds = [i for i, count in enumerate(FIRST_LISTED) for _ in range(count)]
    taken: dict[str, set[str]] = {}
    projects = []
    for key, (zone, first) in enumerate(zip(zone_of, first_rounds, strict=True)):
        industry = rng.choice(industries[zone] or DEFAULT_INDUSTRIES)
        if industry not in PRODUCTS:
            industry = rng.choice(DEFAULT_INDUSTRIES)
        name, enterprise, content = _name(rng, industry, taken.setdefault(zone, set()))
        officers, leaders = people.get(zone, ([], []))
        investment = _investment(rng)
        p = DemoProject(
            key=key,
            zone=zone,
            name=name,
            enterprise=enterprise if rng.random() < 0.9 else "",
            industry=industry,
            investment=investment,
            output=(investment * _amount(rng, 0.8, 1.6)).quantize(Decimal("0.01")),
            content=content,
            officer=rng.choice(officers) if officers and rng.random() < 0.85 else "",
            leader=rng.choice(leaders) if leaders and rng.random() < 0.3 else "",
            listed=dates[first],
        )
        category = rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0]
        p.listings[first] = category
        _fate(p, rng, dates, anchor)
        if category == Category.SIGN:
            _checklist(p, rng, catalogue, anchor)
        _problem(p, rng, dates[first], anchor)
        _visit(p, rng, anchor)
        _annual_plan(p, rng, anchor)
        projects.append(p)
    return Story(anchor, all_rounds, projects, _events(anchor, all_rounds, projects))


def _events(anchor: dt.date, all_rounds: list[Round], projects: list[DemoProject]) -> list[Event]:
    """Everything that happened, in order: before each round the zones' progress tables of
    their signed projects, then the round's lists and the decisions on what they opened; the
    decisions on starts of production and on capacity; problems worked off and closed; the
    monthly figures of this year; last, today's tables."""
    events = []
    for index, r in enumerate(all_rounds):
        events.append(Event(r.event - 3 * DAY, 0, "approval_table", round=index))
        events.append(Event(r.event, 1, "round", round=index))
        events.append(Event(r.event, 2, "list_requests", round=index))
    for p in projects:
        if p.produced_by_hand:
            events.append(Event(p.produced, 3, "production", p.key))
        if p.capacity:
            events.append(Event(p.capacity, 3, "capacity", p.key))
        if p.stopped:
            events.append(Event(p.stopped[1], 3, "stop", p.key))
        if p.visit:
            events.append(Event(p.visit.visited, 4, "visit", p.key))
        for plan in (plan for plan in (p.problem, p.visit) if plan):
            if plan.resolved:
                events.append(Event(plan.resolved, 4, "resolve", p.key, text=plan.text))
            if plan.closed:
                events.append(Event(plan.closed, 5, "close", p.key, text=plan.text))
    month = dt.date(anchor.year, 1, 1)
    while month < anchor.replace(day=1):
        reported = min((month + 32 * DAY).replace(day=5), anchor)
        events.append(Event(reported, 6, "monthly", round=month.month))
        month = (month + 32 * DAY).replace(day=1)
    events.append(Event(anchor, 7, "approval_table"))
    return sorted(events, key=lambda e: (e.day, e.order, e.project or 0, e.round or 0))
