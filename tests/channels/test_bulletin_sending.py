"""The weekly 督办通报 to the groups (issue 23): 企业微信 robots upload the .docx and send it as a
file message; 钉钉 custom robots, which send no files, a link to download it from the desk. A
zone's to its zone's groups, a city's to its city office's; once per bulletin and group; nothing
from a deployment without internet (the download still works)."""

from __future__ import annotations

import datetime as dt
import io

import docx
import pytest
from django.core.files.base import ContentFile

from approvals.channels import delivery
from approvals.models import Bulletin, ChannelKind, Delivery, Dispatch
from tests.channels.outbox_world import channel

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 11, 30)


def a_bulletin(zone=None, city="") -> Bulletin:
    document = docx.Document()
    document.add_paragraph("督办通报")
    data = io.BytesIO()
    document.save(data)
    bulletin = Bulletin(
        zone=zone,
        city=city,
        week_start=MONDAY,
        period_start=MONDAY,
        period_end=MONDAY + dt.timedelta(days=6),
        weekly=True,
    )
    bulletin.file.save("b.docx", ContentFile(data.getvalue()), save=True)
    return bulletin


@pytest.fixture
def groups(platforms, zone, other_zone):
    return {
        "wecom": channel(ChannelKind.WECOM_ROBOT, zone=zone, webhook=platforms.wecom_webhook("w1")),
        "ding": channel(
            ChannelKind.DINGTALK_ROBOT,
            zone=zone,
            webhook=platforms.dingtalk_webhook("d1", "SEC-d1"),
            secret="SEC-d1",
        ),
        "city": channel(
            ChannelKind.WECOM_ROBOT, city="晋中市", webhook=platforms.wecom_webhook("c1")
        ),
        "other": channel(
            ChannelKind.WECOM_ROBOT, zone=other_zone, webhook=platforms.wecom_webhook("o1")
        ),
        "app": channel(ChannelKind.WECOM_APP, zone=zone),
    }


def test_a_zones_bulletin_goes_to_its_groups_as_a_file_or_a_link(platforms, groups, zone, settings):
    bulletin = a_bulletin(zone=zone)
    assert delivery.announce_bulletin(bulletin) == 2

    (upload,) = [r for r in platforms.sent("wecom_robot") if "upload_media" in r.path]
    assert upload.query == {"key": "w1", "type": "file"}
    media = upload.part("media")
    with bulletin.file.open("rb") as file:
        assert media.data == file.read()
    assert media.filename == f"督办通报-{zone.name}-2026-11-30.docx"
    (message,) = [r for r in platforms.sent("wecom_robot") if "upload_media" not in r.path]
    assert message.json["msgtype"] == "file"
    assert message.json["file"]["media_id"] == upload.answer["media_id"]

    (link,) = platforms.sent("dingtalk")
    assert link.json["msgtype"] == "link"
    assert link.json["link"]["messageUrl"] == (
        f"{settings.SITE_URL.rstrip('/')}/admin/approvals/bulletin/{bulletin.pk}/download/"
    )
    assert set(Dispatch.objects.values_list("channel", "status")) == {
        (groups["wecom"].pk, Delivery.SENT),
        (groups["ding"].pk, Delivery.SENT),
    }
    assert delivery.announce_bulletin(bulletin) == 0  # once
    assert len(platforms.sent("dingtalk")) == 1


def test_a_citys_bulletin_goes_to_the_city_office(platforms, groups):
    bulletin = a_bulletin(city="晋中市")
    assert delivery.announce_bulletin(bulletin) == 1
    assert {
        r.query["key"][0] if isinstance(r.query["key"], list) else r.query["key"]
        for r in platforms.sent("wecom_robot")
    } == {"c1"}


def test_offline_nothing_is_sent(platforms, groups, zone, settings):
    settings.CHANNELS_OFFLINE = True
    assert delivery.announce_bulletin(a_bulletin(zone=zone)) == 0
    assert platforms.received() == [] and not Dispatch.objects.exists()
