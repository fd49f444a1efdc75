"""The investor page's tests: the day they run on (frozen: the links' 90 days and the plans in
words depend on it) and the world of two enterprises in two zones (``world.build``)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.portal.world import TODAY, build

BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def today():
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(10), BEIJING), tick=False):
        yield


@pytest.fixture
def world(catalogue, zone, other_zone, alice, charlie):
    return build(zone, other_zone, alice, charlie)
