"""A city's platform (晋中市: both zones of the suite), a zone's platform (晋中开发区 only), and
tokens of each; the API's rate counts start empty."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from api import clients, tokens
from api.models import Access, Client
from tests.factories import UserFactory, administrator
from zones.models import AdminRole


@pytest.fixture(autouse=True)
def rate_counts_cleared():
    caches["progress"].clear()
    yield


@pytest.fixture
def sysadmin(db):
    return administrator("系统管理员", AdminRole.SYSTEM)


def make_client(name: str, *, by, access=Access.READ, zones=(), cities="", province=False):
    client = Client(name=name, access=access, cities=cities, whole_province=province, created_by=by)
    client.account = clients.new_account(name)
    client.save()
    client.zones.set(zones)
    clients.sync_roles(client)
    return client


@pytest.fixture
def zone_platform(zone, sysadmin):
    return make_client("晋中开发区平台", by=sysadmin, zones=[zone])


@pytest.fixture
def zone_token(zone_platform, sysadmin) -> str:
    return tokens.issue_for_client(zone_platform, by=sysadmin).text


@pytest.fixture
def api(client):
    """GET/POST ``/api/v1/<path>`` with a token; answers JSON."""

    class Api:
        test_client = client

        def get(self, path: str, token: str | None = None, **extra):
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
            return client.get(f"/api/v1/{path}", **headers, **extra)

        def post(self, path: str, data, token: str | None = None, **extra):
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
            return client.post(
                f"/api/v1/{path}", data, content_type="application/json", **headers, **extra
            )

    return Api()


@pytest.fixture
def nobody(db):
    return UserFactory(username="nobody")
