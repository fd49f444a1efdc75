"""A group's digest of the day (issue 23), as plain data: one line per late thing under its
highest step with everyone the ladder told of it mentioned as the platform allows, every reminder
in exactly one message, each message within the platform's size, a few messages at most."""

from __future__ import annotations

import pytest
from django.utils import translation

from approvals.channels import digest
from approvals.channels.digest import Entry, Person
from approvals.models import ChannelKind, Step
from approvals.reminders.ladder import _Wording, title_parts

SITE = "https://desk.example.cn"
INBOX = "/admin/approvals/reminder/"
ALICE = Person("艾丽", userid="alice.w", mobile="13800000001")
BOB = Person("鲍勃", mobile="13800000002")  # a mobile, no WeCom ID
LILY = Person("莉莉", userid="lily.w")  # a WeCom ID, no mobile


def entries(n_subjects: int = 3) -> list[Entry]:
    out, pk = [], 0
    for s in range(n_subjects):
        for step, person in ((Step.OFFICER, ALICE), (Step.SUPERVISOR, BOB), (Step.LEADER, LILY)):
            pk += 1
            out.append(
                Entry(pk, (7, s), step, f"【{step}】项目{s} · 签约：{s + 8} 天", f"/p/{s}/", person)
            )
    return out


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def test_one_line_per_subject_under_its_highest_step_with_everyone_mentioned():
    lines = digest.lines(entries(2))
    assert [(line.step, line.title) for line in lines] == [
        (Step.LEADER, "【leader】项目0 · 签约：8 天"),
        (Step.LEADER, "【leader】项目1 · 签约：9 天"),
    ]
    assert lines[0].people == [ALICE, BOB, LILY]
    assert lines[0].dispatch_ids == [1, 2, 3]


def test_wecom_mentions_by_user_id_in_markdown_and_mobiles_apart():
    (part,) = digest.digest(
        ChannelKind.WECOM_ROBOT, "今日提醒 · 晋中", entries(2), site=SITE, inbox=INBOX
    )
    assert "<@alice.w>" in part.text and "<@lily.w>" in part.text
    assert "鲍勃" in part.text and "13800000002" not in part.text  # no ID: named, not @'d
    assert part.userids == ["alice.w", "lily.w"]
    assert part.mobiles_in_text == ["13800000002"]  # mentioned in a text message after
    assert f"1. [【leader】项目0 · 签约：8 天]({SITE}/p/0/) <@alice.w> 鲍勃 <@lily.w>" in part.text
    assert f"({SITE}/p/0/)" in part.text and f"({SITE}{INBOX})" in part.text
    assert sorted(part.dispatch_ids) == list(range(1, 7))


def test_square_brackets_of_a_title_do_not_break_its_link():
    (part,) = digest.digest(
        ChannelKind.WECOM_ROBOT,
        "今日提醒",
        [Entry(1, (1, 1), Step.OFFICER, "[Late] A [1] · B", "/p/1/", None)],
        site=SITE,
        inbox=INBOX,
    )
    assert f"1. [【Late】 A 【1】 · B]({SITE}/p/1/)" in part.text


def test_dingtalk_mentions_by_mobile_in_text_and_at():
    (part,) = digest.digest(
        ChannelKind.DINGTALK_ROBOT, "今日提醒", entries(1), site=SITE, inbox=INBOX
    )
    assert "@13800000001" in part.text and "@13800000002" in part.text
    assert "莉莉" in part.text  # no mobile: named
    assert part.mobiles == ["13800000001", "13800000002"]
    assert part.userids == [] and part.mobiles_in_text == []


@pytest.mark.parametrize("kind", [ChannelKind.WECOM_ROBOT, ChannelKind.DINGTALK_ROBOT])
def test_a_big_day_fits_the_platforms_size_in_a_few_messages_each_reminder_once(kind):
    many = entries(2000)
    parts = digest.digest(kind, "今日提醒", many, site=SITE, inbox=INBOX)
    limit = {ChannelKind.WECOM_ROBOT: 4096, ChannelKind.DINGTALK_ROBOT: 20000}[kind]
    assert 1 < len(parts) <= digest.MAX_PARTS
    assert all(len(part.text.encode()) <= limit for part in parts), [
        len(p.text.encode()) for p in parts
    ]
    ids = [pk for part in parts for pk in part.dispatch_ids]
    assert sorted(ids) == [e.dispatch_id for e in many]  # each in exactly one message
    assert "项未在此列出" in parts[-1].text
    assert f"({SITE}{INBOX})" in parts[-1].text


def test_a_persons_card_lists_its_titles_within_512_bytes():
    text = digest.personal([f"【滞后】项目{n} · 签约：{n} 天" for n in range(60)])
    assert len(text.encode()) <= 512
    assert text.startswith("1. 【滞后】项目0 · 签约：0 天\n2. 【滞后】项目1")
    listed = text.count("【滞后】")
    assert text.endswith(f"……另有 {60 - listed} 条提醒")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("step", list(Step))
def test_a_title_read_backwards_gives_what_and_days(language, step):
    with translation.override(language):
        title = _Wording().title(step, "大恒 · 光伏（一期）", "施工许可", 12)
        assert title_parts(step, "大恒 · 光伏（一期）", title) == (
            "施工许可",
            None if step == Step.AT_RISK else 12,
        )
        assert title_parts(step, "别的项目", title) == ("", None)
