"""Pages are sent gzip-compressed to a browser that asks for it, and still read the same."""

from __future__ import annotations

import gzip

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from projectdesk.compression import TextGZipMiddleware
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize("page", ["list", "case file"])
def test_it_sends_an_admin_page_gzipped_when_asked(as_user, alice, zone, page):
    project = ProjectFactory(zone=zone, officer=alice, name="祁县压缩测试项目")
    url = (
        reverse("admin:approvals_project_changelist")
        if page == "list"
        else reverse("admin:approvals_project_change", args=[project.pk])
    )
    client = as_user(alice)

    plain = client.get(url)
    zipped = client.get(url, headers={"accept-encoding": "gzip, deflate, br"})

    assert plain.status_code == zipped.status_code == 200
    assert not plain.has_header("Content-Encoding")
    assert zipped["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped["Vary"]
    html = gzip.decompress(zipped.content).decode()
    assert "祁县压缩测试项目" in html and html.rstrip().endswith("</html>")
    assert int(zipped["Content-Length"]) == len(zipped.content) < len(plain.content) / 3


def test_a_download_that_is_not_text_is_left_as_it_is():
    """An .xlsx is a zip file already: compressing it again costs CPU and its Content-Length."""
    request = RequestFactory().get("/admin/", headers={"accept-encoding": "gzip"})
    body = b"PK\x03\x04" + bytes(range(256)) * 8
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Length"] = str(len(body))

    response = TextGZipMiddleware(lambda r: response)(request)

    assert not response.has_header("Content-Encoding")
    assert response.content == body
