"""Implausible figures are caught before they are saved (guide section 12): a total investment of
1,000亿元 or more is an error naming the unit it was read in, 200亿 to 1,000亿 and below 100万元
are warnings — in the list's preview and on the project form alike."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from approvals.cases import plausible
from approvals.models import Project
from approvals.spreadsheets import imports
from tests.admin_helpers import change_form_data
from tests.project_lists import received, row, workbook


def preview(data: bytes, by):
    return imports.preview(received(data, by=by), data)


class TestTheBounds:
    @pytest.mark.parametrize(
        "wan, refused",
        [
            (Decimal("10000000"), True),  # 1,000亿元
            (Decimal("9999999.99"), False),
            (Decimal("2000000"), False),  # 200亿元: a warning
            (Decimal("99.99"), False),  # below 100万元: a warning
        ],
    )
    def test_what_is_doubted_and_what_refused(self, wan, refused):
        assert plausible.investment_doubt(wan).refused is refused

    @pytest.mark.parametrize("wan", [Decimal("100"), Decimal("1999999.99"), None])
    def test_a_plausible_figure_is_not_doubted(self, wan):
        assert plausible.investment_doubt(wan) is None


class TestInTheList:
    def test_35000_under_an_yi_header_is_an_error_naming_the_unit(self, stan):
        report = preview(workbook(row(1, "甲项目", yi=35000)), stan)
        [error] = report.errors
        assert (error.row, error.column) == (3, "总投资（亿元）")
        assert error.reason == "总投资 35000 亿元 不合理：是否把万元填在了亿元列？"
        assert not report.ok and not Project.objects.exists()

    def test_a_cell_carrying_its_own_unit_is_quoted_in_it(self, stan):
        report = preview(workbook(row(1, "甲项目", yi="12000000万元")), stan)
        assert [e.reason for e in report.errors] == [
            "总投资 12000000 万元 不合理：开发区项目总投资不会达到 1000 亿元，请核对单位。"
        ]

    @pytest.mark.parametrize(
        "yi, says",
        [
            (200, "总投资 200 亿元 达到 200 亿元以上"),
            (999.99, "总投资 999.99 亿元 达到 200 亿元以上"),
            (0.0099, "总投资 0.0099 亿元 不足 100 万元"),
        ],
    )
    def test_a_rare_figure_is_a_warning_in_the_preview(self, stan, yi, says):
        report = preview(workbook(row(1, "甲项目", yi=yi)), stan)
        assert report.ok
        [warning] = report.warnings
        assert (warning.row, warning.column) == (3, "总投资（亿元）")
        assert warning.reason.startswith(says)

    def test_an_ordinary_figure_says_nothing(self, stan):
        report = preview(workbook(row(1, "甲项目", yi=0.01), row(2, "乙项目", yi=199.99)), stan)
        assert report.ok and report.warnings == []


class TestOnTheForm:
    def post(self, client, project, wan):
        url = reverse("admin:approvals_project_change", args=[project.pk])
        data = change_form_data(client, url, total_investment=wan)
        return client.post(url, data)

    def test_a_figure_of_1000_yi_or_more_is_refused(self, as_user, alice, project):
        before = project.total_investment
        response = self.post(as_user(alice), project, "10000000")
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["total_investment"]
        assert errors == [
            "总投资 10000000 万元 不合理：开发区项目总投资不会达到 1000 亿元，请核对单位。"
        ]
        assert Project.objects.get(pk=project.pk).total_investment == before

    @pytest.mark.parametrize(
        "wan, says", [("2000000", "达到 200 亿元以上"), ("50", "不足 100 万元")]
    )
    def test_a_rare_figure_is_saved_with_a_warning(self, as_user, alice, project, wan, says):
        response = self.post(as_user(alice), project, wan)
        assert response.status_code == 302
        assert Project.objects.get(pk=project.pk).total_investment == Decimal(wan)
        said = [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
        assert len(said) == 1 and says in said[0].message

    def test_an_ordinary_figure_is_saved_without_a_word(self, as_user, alice, project):
        response = self.post(as_user(alice), project, "50000")
        assert response.status_code == 302
        assert Project.objects.get(pk=project.pk).total_investment == Decimal("50000")
        assert not [m for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
