"""What a channel sends, as plain data: a group's digest of the day, a person's message, an SMS
(issue 23). No query here and no HTTP: ``delivery`` reads the rows and calls the platforms.

A group hears of each late thing once a digest, however many people the ladder told of it: the
reminders of one subject (a milestone, an item, a problem) make one line, under its highest step,
with every recipient who wants to be @mentioned in groups mentioned in it — 企业微信 by user ID in
markdown (``<@userid>``; people with only a mobile number are mentioned in a text message after
it, the only kind of message where 企业微信 mentions by number), 钉钉 by mobile number (``@138…``
in the text and in ``at.atMobiles``). Both platforms cap a robot at about 20 messages a minute and
a message's size (企业微信 markdown 4,096 bytes, 钉钉 about 20,000), so a day's digest is a few
messages at most (``MAX_PARTS``); what does not fit is counted in the last one's closing line,
with the address of the reminders' list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from approvals.channels.models import ChannelKind
from approvals.reminders.models import Step

#: Bytes of one message's text: 企业微信's markdown limit (4,096), 钉钉's markdown (20,000), less
#: room for the closing line.
BUDGET = {ChannelKind.WECOM_ROBOT: 3800, ChannelKind.DINGTALK_ROBOT: 18000}
#: Messages of one digest at most (the platforms allow a robot about 20 a minute).
MAX_PARTS = 5
#: Highest step first.
ORDER = (Step.LEADER, Step.SUPERVISOR, Step.OFFICER, Step.AT_RISK)


@dataclass(frozen=True)
class Person:
    name: str
    userid: str = ""
    mobile: str = ""


@dataclass
class Entry:
    """One reminder to send: what the outbox's row and its reminder hold."""

    dispatch_id: int
    subject: tuple[int, int]
    step: str
    title: str
    link: str
    person: Person | None  # None: not to be mentioned in groups


@dataclass
class Line:
    step: str
    title: str
    link: str
    people: list[Person] = field(default_factory=list)
    dispatch_ids: list[int] = field(default_factory=list)


@dataclass
class Part:
    """One message of a digest and the outbox rows it delivers."""

    title: str
    text: str
    dispatch_ids: list[int]
    userids: list[str] = field(default_factory=list)
    mobiles: list[str] = field(default_factory=list)
    #: 企业微信: the people with a mobile number and no user ID, mentioned in a text message.
    mobiles_in_text: list[str] = field(default_factory=list)


def lines(entries: Iterable[Entry]) -> list[Line]:
    """One line per subject, under its highest step, its people in the ladder's order."""
    by_subject: dict[tuple[int, int], Line] = {}
    rank = {step: n for n, step in enumerate(ORDER)}
    for entry in entries:
        line = by_subject.get(entry.subject)
        if line is None:
            line = by_subject[entry.subject] = Line(entry.step, entry.title, entry.link)
        elif rank[entry.step] < rank[line.step]:
            line.step, line.title, line.link = entry.step, entry.title, entry.link
        line.dispatch_ids.append(entry.dispatch_id)
        if entry.person is not None and entry.person not in line.people:
            line.people.append(entry.person)
    return sorted(by_subject.values(), key=lambda line: (rank[line.step], line.title))


def step_heading(step: str) -> str:
    return {
        Step.LEADER: _("Red: to the leader"),
        Step.SUPERVISOR: _("Late for more than a week: to the supervisor"),
        Step.OFFICER: _("Late"),
        Step.AT_RISK: _("Foreseen delay"),
    }[step]


def _mention(kind: str, person: Person) -> str:
    if kind == ChannelKind.WECOM_ROBOT and person.userid:
        return f"<@{person.userid}>"
    if kind == ChannelKind.DINGTALK_ROBOT and person.mobile:
        return f"@{person.mobile}"
    return person.name


def _row(kind: str, number: int, line: Line, site: str) -> str:
    people = " ".join(_mention(kind, person) for person in line.people)
    title = line.title.replace("[", "【").replace("]", "】")
    return f"{number}. [{title}]({site}{line.link}) {people}".rstrip()


def _size(text: str) -> int:
    return len(text.encode())


def digest(
    kind: str, heading: str, entries: Iterable[Entry], *, site: str, inbox: str
) -> list[Part]:
    """The day's digest for a group robot of ``kind``: at most ``MAX_PARTS`` messages, each in
    the platform's size, every entry in exactly one of them (those not listed counted in the
    last one's closing line). ``site``: the desk's address; ``inbox``: its reminders' list."""
    all_lines = lines(entries)
    if not all_lines:
        return []
    budget = BUDGET[kind]
    counts = defaultdict(int)
    for line in all_lines:
        counts[line.step] += 1
    summary = "　".join(
        _("%(heading)s %(count)d") % {"heading": step_heading(step), "count": counts[step]}
        for step in ORDER
        if counts[step]
    )
    parts: list[Part] = []
    current: list[str] = []
    ids: list[int] = []
    people: list[Person] = []
    step = None
    number = 0

    def close() -> None:
        title = heading if not parts else _("%(heading)s (continued)") % {"heading": heading}
        head = f"**{title}**\n> {summary}\n" if not parts else f"**{title}**\n"
        parts.append(_part(kind, title, head + "\n".join(current), ids[:], people[:]))

    for index, line in enumerate(all_lines):
        block = []
        if line.step != step:
            block.append(f"\n**{step_heading(line.step)}**")
        number += 1
        block.append(_row(kind, number, line, site))
        text = "\n".join(block)
        used = _size("\n".join(current)) + _size(heading) + _size(summary) + 40
        if current and used + _size(text) > budget:
            if len(parts) + 1 == MAX_PARTS:
                rest = all_lines[index:]
                for line_left in rest:
                    ids.extend(line_left.dispatch_ids)
                current.append(
                    "\n"
                    + _("%(count)d more not listed here: see [the reminders](%(link)s).")
                    % {"count": len(rest), "link": f"{site}{inbox}"}
                )
                close()
                return parts
            close()
            current, ids, people, step = [], [], [], None
            block = [f"**{step_heading(line.step)}**", _row(kind, number, line, site)]
            text = "\n".join(block)
        current.append(text)
        step = line.step
        ids.extend(line.dispatch_ids)
        people.extend(p for p in line.people if p not in people)
    current.append("\n" + _("[Open the reminders](%(link)s)") % {"link": f"{site}{inbox}"})
    close()
    return parts


def _part(kind: str, title: str, text: str, ids: list[int], people: list[Person]) -> Part:
    part = Part(title=title, text=text, dispatch_ids=ids)
    if kind == ChannelKind.WECOM_ROBOT:
        part.userids = [p.userid for p in people if p.userid]
        part.mobiles_in_text = [p.mobile for p in people if p.mobile and not p.userid]
    else:
        part.mobiles = [p.mobile for p in people if p.mobile]
    return part


def mention_text(heading: str) -> str:
    """企业微信's text message that @mentions by mobile number the people of a digest part."""
    return _("%(heading)s: please read the reminders above.") % {"heading": heading}


def personal(titles: list[str], *, limit: int = 480) -> str:
    """A person's message of the day (企业微信 application card): its reminders' titles, in the
    card's 512 bytes, the rest counted."""
    text = ""
    for n, title in enumerate(titles):
        line = f"{n + 1}. {title}"
        more = _("… and %(count)d more reminders") % {"count": len(titles) - n}
        if _size(text + line + "\n" + more) > limit:
            return text + more
        text += line + "\n"
    return text.rstrip("\n")
