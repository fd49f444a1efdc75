"""Each reminder once per channel with real services (issue 23), as the reminders' own delivery
tests do: two deliveries racing on PostgreSQL, two real Celery workers taking the delivery task
through Redis at once, and a worker process killed while a platform had not answered it (its
claim lapses; a later run sends, once). The platforms are the fake on 127.0.0.1, over HTTP."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter

import pytest
from celery import Celery
from django.conf import settings
from django.utils import timezone

from approvals.channels import delivery
from approvals.models import ChannelKind, Delivery, Dispatch, SmsProvider, Step
from approvals.reminders.outbox import LEASE
from tests.channels.outbox_world import channel, profile, reminder
from tests.factories import ProjectFactory
from tests.services import at_once, database_url, stop_worker, worker_command

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(platforms, settings, sms_outbox, zone, alice, bob, lily):
    """Three late projects told to alice, bob and lily; a channel of each kind for the zone."""
    settings.WECOM_API_BASE = platforms.wecom_api_base
    platforms.wecom_corps["ww-corp"] = "app-secret-1"
    profile(alice, wecom_userid="alice.w", mobile="13800000001")
    profile(bob, mobile="13800000002")
    profile(lily, wecom_userid="lily.w", mobile="13900000003")
    for n in range(3):
        project = ProjectFactory(zone=zone, officer=alice, leader=lily, name=f"晋中项目{n}")
        for person, step in ((alice, Step.OFFICER), (bob, Step.SUPERVISOR), (lily, Step.LEADER)):
            reminder(project, person, step)
    return {
        "wecom": channel(
            ChannelKind.WECOM_ROBOT, zone=zone, webhook=platforms.wecom_webhook("wk-1")
        ),
        "ding": channel(
            ChannelKind.DINGTALK_ROBOT,
            zone=zone,
            webhook=platforms.dingtalk_webhook("dt-1", "SEC-ding-1"),
            secret="SEC-ding-1",
        ),
        "app": channel(
            ChannelKind.WECOM_APP,
            zone=zone,
            corp_id="ww-corp",
            agent_id="1000002",
            secret="app-secret-1",
        ),
        "sms": channel(ChannelKind.SMS, zone=zone, sms_provider=SmsProvider.TEST),
    }


def delivered_once(platforms, sms_outbox) -> None:
    """One digest per group (and 企业微信's text mentioning bob by number), one card per person
    with a WeCom ID, one SMS for the leader's three red items; every row sent, at one attempt."""
    kinds = Counter(r.json["msgtype"] for r in platforms.sent("wecom_robot"))
    assert kinds == {"markdown": 1, "text": 1}, kinds
    assert len(platforms.sent("dingtalk")) == 1
    assert sorted(r.json["touser"] for r in platforms.sent("wecom_app")) == ["alice.w", "lily.w"]
    assert [(mobile, params["project"]) for mobile, _t, params in sms_outbox] == [
        ("13900000003", "晋中项目0等3个项目")
    ]
    assert set(Dispatch.objects.values_list("status", flat=True)) == {Delivery.SENT}


def test_two_deliveries_racing_send_each_once(world, platforms, sms_outbox):
    assert delivery.fan_out() == {
        ChannelKind.WECOM_ROBOT: 9,
        ChannelKind.DINGTALK_ROBOT: 9,
        ChannelKind.WECOM_APP: 6,
        ChannelKind.SMS: 3,
    }
    for _round in range(5):
        Dispatch.objects.update(
            status=Delivery.PENDING,
            attempts=0,
            claimed_until=None,
            sent_at=None,
            next_attempt_at=timezone.now() - dt.timedelta(seconds=1),
        )
        platforms.clear()
        sms_outbox.clear()
        results = at_once([delivery.deliver] * 2)
        assert not [r for r in results if isinstance(r, Exception)], results
        assert sum(sum(r.values()) for r in results) == 27
        delivered_once(platforms, sms_outbox)
        assert set(Dispatch.objects.values_list("attempts", flat=True)) == {1}


def test_a_worker_killed_before_the_platform_answered_leaves_it_to_a_later_run(
    world, platforms, sms_outbox
):
    """The worker claims the application's rows and waits on 企业微信's token, which the fake
    holds; it is killed there. Nobody takes the rows while its claim lasts; after, one run
    sends each card once."""
    for name in ("wecom", "ding", "sms"):
        world[name].delete()
    delivery.fan_out()
    platforms.hold("wecom_token")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from approvals.channels import delivery; delivery.deliver()",
        ],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "WECOM_API_BASE": platforms.wecom_api_base,
        },
    )
    try:
        assert platforms.wait_pending(60), "the worker never asked for the token"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        platforms.release()
    now = timezone.now()
    held = Dispatch.objects.filter(channel=world["app"])
    assert {(d.status, d.attempts) for d in held} == {(Delivery.PENDING, 1)}
    assert all(d.claimed_until > now for d in held)
    assert platforms.sent("wecom_app") == []

    assert delivery.deliver(now) == {}  # its claim holds
    assert delivery.deliver(now + LEASE + dt.timedelta(minutes=1)) == {ChannelKind.WECOM_APP: 6}
    assert sorted(r.json["touser"] for r in platforms.sent("wecom_app")) == ["alice.w", "lily.w"]
    assert {(d.status, d.attempts) for d in held.all()} == {(Delivery.SENT, 2)}


def start_worker(queue: str, redis_url: str, platforms) -> subprocess.Popen:
    return subprocess.Popen(
        worker_command(queue, "--loglevel=WARNING", "--hostname", f"ch-{uuid.uuid4().hex[:8]}@%h"),
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": redis_url,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "WECOM_API_BASE": platforms.wecom_api_base,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.slow
def test_two_real_workers_through_redis_deliver_each_once(world, platforms, sms_outbox, redis_url):
    """Two Celery workers take the periodic delivery task, sent four times through Redis, at
    once: every group gets one digest, every person one card, with rows marked in the
    database both workers share. (The SMS rows go to the test provider in the workers'
    processes: counted here by their rows.)"""
    delivery.fan_out()
    queue = f"channels-{uuid.uuid4().hex}"
    workers = [start_worker(queue, redis_url, platforms) for _n in range(2)]
    client = Celery(broker=redis_url, backend=redis_url, set_as_current=False)
    try:
        results = [
            client.send_task("approvals.tasks.deliver_reminders", queue=queue) for _n in range(4)
        ]
        answers = [result.get(timeout=120) for result in results]
    finally:
        outputs = []
        for worker in workers:
            stop_worker(worker)
            outputs.append(worker.stdout.read())
        print("\n".join(outputs))
    channels = Counter()
    for answer in answers:
        channels.update(answer["channels"])
    assert channels == {"wecom_robot": 9, "dingtalk_robot": 9, "wecom_app": 6, "sms": 3}
    kinds = Counter(r.json["msgtype"] for r in platforms.sent("wecom_robot"))
    assert kinds == {"markdown": 1, "text": 1}
    assert len(platforms.sent("dingtalk")) == 1
    assert sorted(r.json["touser"] for r in platforms.sent("wecom_app")) == ["alice.w", "lily.w"]
    assert set(Dispatch.objects.values_list("status", "attempts")) == {(Delivery.SENT, 1)}
