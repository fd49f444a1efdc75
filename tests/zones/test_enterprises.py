"""Enterprises are shared reference data (guide section 11): name and credit code for all staff,
contact details for those who see one of its projects, editing for those who may edit one of
them, or, while it has no project, for the zone whose officer created it."""

from __future__ import annotations

import importlib

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from approvals.access import permissions
from tests.factories import EnterpriseFactory, ProjectFactory
from zones.models import Enterprise, normalise_name

LIST = reverse("admin:zones_enterprise_changelist")
ADD = reverse("admin:zones_enterprise_add")


def change_url(enterprise) -> str:
    return reverse("admin:zones_enterprise_change", args=[enterprise.pk])


def edit(client, enterprise, **changes):
    data = {
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "contact_person": enterprise.contact_person,
        "contact_phone": enterprise.contact_phone,
        "notes": enterprise.notes,
        **changes,
    }
    return client.post(change_url(enterprise), data)


@pytest.fixture
def theirs(other_project):
    """An enterprise whose only project is in 祁县, with contacts."""
    enterprise = other_project.enterprise
    Enterprise.objects.filter(pk=enterprise.pk).update(
        contact_person="祁县联系人", contact_phone="13512345678", credit_code="91140700MA0TEST01"
    )
    enterprise.refresh_from_db()
    return enterprise


@pytest.fixture
def ours(project):
    Enterprise.objects.filter(pk=project.enterprise_id).update(
        contact_person="晋中联系人", contact_phone="13698765432"
    )
    return Enterprise.objects.get(pk=project.enterprise_id)


class TestEditing:
    def test_an_officer_cannot_edit_another_zones_enterprise(self, as_user, alice, theirs):
        client = as_user(alice)
        assert client.get(change_url(theirs)).status_code == 302
        response = edit(client, theirs, contact_phone="13000000000")
        assert response.status_code in (302, 403)
        theirs.refresh_from_db()
        assert theirs.contact_phone == "13512345678"

    def test_an_officer_edits_the_enterprise_of_a_project_of_its_zone(self, as_user, alice, ours):
        response = edit(as_user(alice), ours, contact_phone="13011112222")
        assert response.status_code == 302
        ours.refresh_from_db()
        assert ours.contact_phone == "13011112222"

    def test_an_enterprise_with_projects_in_both_zones_is_editable_from_either(
        self, as_user, alice, charlie, theirs, zone
    ):
        ProjectFactory(zone=zone, enterprise=theirs)
        assert edit(as_user(alice), theirs, contact_person="甲").status_code == 302
        assert edit(as_user(charlie), theirs, contact_person="乙").status_code == 302
        theirs.refresh_from_db()
        assert theirs.contact_person == "乙"

    def test_leaders_and_statisticians_edit_none(self, as_user, lily, stan, ours):
        for person in (lily, stan):
            response = edit(as_user(person), ours, contact_phone="13000000000")
            assert response.status_code in (302, 403)
        ours.refresh_from_db()
        assert ours.contact_phone == "13698765432"


class TestAnEnterpriseWithoutProjects:
    def test_it_belongs_to_the_zone_whose_officer_created_it(
        self, as_user, alice, bob, charlie, zone
    ):
        response = as_user(alice).post(
            ADD,
            {"name": "晋中新设投资有限公司", "contact_person": "王", "created_in_zone": zone.pk},
        )
        assert response.status_code == 302
        created = Enterprise.objects.get(name="晋中新设投资有限公司")
        assert created.created_in_zone == zone
        assert edit(as_user(bob), created, contact_person="钱").status_code == 302
        assert edit(as_user(charlie), created, contact_person="孙").status_code in (302, 403)
        created.refresh_from_db()
        assert created.contact_person == "钱"

    def test_an_officer_can_only_name_its_own_zones(self, as_user, alice, other_zone):
        response = as_user(alice).post(
            ADD, {"name": "冒名投资有限公司", "created_in_zone": other_zone.pk}
        )
        assert response.status_code == 200  # the form again, with the error on the zone
        assert not Enterprise.objects.filter(name="冒名投资有限公司").exists()

    def test_once_it_has_a_project_the_projects_zone_decides(
        self, as_user, alice, charlie, zone, other_zone
    ):
        enterprise = EnterpriseFactory(created_in_zone=zone, contact_person="原")
        ProjectFactory(zone=other_zone, enterprise=enterprise)
        assert edit(as_user(alice), enterprise, contact_person="晋中改").status_code in (302, 403)
        assert edit(as_user(charlie), enterprise, contact_person="祁县改").status_code == 302
        enterprise.refresh_from_db()
        assert enterprise.contact_person == "祁县改"


class TestOneEnterpriseOneName:
    """A name written another way (full-width brackets, a space) is the enterprise recorded
    already: the form refuses to add it again, as the lists find it (``Enterprise.name_key``)."""

    def test_a_name_written_with_other_brackets_is_refused_naming_the_recorded_one(
        self, as_user, alice, zone
    ):
        EnterpriseFactory(name="晋中华为技术（山西）有限公司")
        response = as_user(alice).post(
            ADD, {"name": "晋中华为技术 (山西) 有限公司", "created_in_zone": zone.pk}
        )
        assert response.status_code == 200
        assert "已登记为“晋中华为技术（山西）有限公司”" in response.content.decode()
        assert list(Enterprise.objects.values_list("name", flat=True)) == [
            "晋中华为技术（山西）有限公司"
        ]

    def test_its_own_name_rewritten_is_no_other_enterprise(self, as_user, alice, ours):
        response = edit(as_user(alice), ours, name=f"{ours.name} ")  # saved trimmed
        assert response.status_code == 302
        response = edit(as_user(alice), ours, name=ours.name.replace("公司", "公 司"))
        assert response.status_code == 302
        assert Enterprise.objects.get(pk=ours.pk).name_key == ours.name_key

    def test_two_recorded_before_the_key_existed_stay_editable_under_their_names(
        self, as_user, alice, ours
    ):
        # made before the key existed, as a list did: "（集团）" and "(集团)" both recorded
        Enterprise.objects.filter(pk=ours.pk).update(name="大恒能源(集团)")
        EnterpriseFactory(name="大恒能源（集团）")
        ours.refresh_from_db()
        assert edit(as_user(alice), ours, contact_phone="13011112222").status_code == 302
        assert Enterprise.objects.get(pk=ours.pk).contact_phone == "13011112222"
        renamed = edit(as_user(alice), ours, name="大恒能源 （集团）")
        assert renamed.status_code == 200  # a new spelling of the other: refused
        assert Enterprise.objects.get(pk=ours.pk).name == "大恒能源(集团)"

    def test_the_key_is_kept_by_every_save(self, db):
        enterprise = EnterpriseFactory(name="大恒能源（集团） 有限公司")
        assert Enterprise.objects.get(pk=enterprise.pk).name_key == "大恒能源(集团)有限公司"
        enterprise.name = "大恒新能源（集团）有限公司"
        enterprise.save(update_fields=["name"])
        assert Enterprise.objects.get(pk=enterprise.pk).name_key == "大恒新能源(集团)有限公司"

    def test_the_migration_keys_the_enterprises_recorded_before_it(self, db):
        from django.apps import apps

        fill = importlib.import_module("zones.migrations.0007_enterprise_name_key").fill_name_keys
        first = EnterpriseFactory(name="甲 实业（山西）")
        second = EnterpriseFactory(name="乙实业")
        Enterprise.objects.update(name_key="")
        fill(apps, None)
        assert dict(Enterprise.objects.values_list("pk", "name_key")) == {
            first.pk: "甲实业(山西)",
            second.pk: "乙实业",
        }


class TestTheSearch:
    """The list's search and the project form's autocomplete find an enterprise however its
    brackets and spaces are written, as the form and the lists match names."""

    @pytest.fixture
    def recorded(self, db):
        return EnterpriseFactory(name="大恒能源（集团） 有限公司", credit_code="91140700MA0KEY001")

    @staticmethod
    def autocomplete(client, term: str) -> list[str]:
        query = {
            "term": term,
            "app_label": "approvals",
            "model_name": "project",
            "field_name": "enterprise",
        }
        return [
            row["text"]
            for row in client.get(reverse("admin:autocomplete"), query).json()["results"]
        ]

    @pytest.mark.parametrize(
        "term",
        [
            "(集团)",
            "能源（集团）有限",
            "能源(集团) 有限公司",
            '"(集团) 有限"',
            "a0key",
            "大恒 KEY0",
        ],
    )
    def test_the_list_finds_it_however_written(self, as_user, alice, recorded, term):
        EnterpriseFactory(name="大恒集团物流有限公司")  # "集团" without brackets: not "(集团)"
        page = as_user(alice).get(LIST, {"q": term}).content.decode()
        assert recorded.name in page
        assert "大恒集团物流有限公司" not in page

    def test_every_word_must_be_found(self, as_user, alice, recorded):
        assert recorded.name not in as_user(alice).get(LIST, {"q": "(集团) 晋中"}).content.decode()

    def test_the_project_forms_autocomplete_finds_it_however_written(
        self, as_user, alice, recorded
    ):
        client = as_user(alice)
        assert self.autocomplete(client, "大恒能源(集团)") == [recorded.name]
        half = EnterpriseFactory(name="晋中华为技术(山西)有限公司")
        assert self.autocomplete(client, "技术（山西）") == [half.name]
        assert self.autocomplete(client, "（北京）") == []

    @pytest.mark.usefixtures("postgres")
    def test_postgresql_knows_how_many_names_a_word_matches(self, superuser):
        """The trigram index of migration approvals.0047, whose expression is the one searched
        (``UPPER(name_key)``): without statistics of it the planner guessed a word in one name
        of three to match a handful, and sorted every match to show a page."""
        from django.db import connection

        names = [f"{'氢能' if n % 3 == 0 else '光伏'}装备（山西）{n}" for n in range(300)]
        Enterprise.objects.bulk_create(
            Enterprise(name=name, name_key=normalise_name(name)) for name in names
        )
        with connection.cursor() as cursor:
            cursor.execute('ANALYZE "zones_enterprise"')
        request = RequestFactory().get(LIST)
        request.user = superuser
        found, _ = admin.site._registry[Enterprise].get_search_results(
            request, Enterprise.objects.all(), "氢能"
        )
        assert found.count() == 100
        sql, params = found.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
            estimate = cursor.fetchone()[0][0]["Plan"]["Plan Rows"]
        assert 50 <= estimate <= 200, estimate


class TestTheList:
    def test_names_and_credit_codes_are_for_all_staff_contacts_are_not(
        self, as_user, stan, lily, theirs, ours
    ):
        for person in (stan, lily):
            page = as_user(person).get(LIST).content.decode()
            assert theirs.name in page and "91140700MA0TEST01" in page
            assert "祁县联系人" not in page and "13512345678" not in page

    def test_a_statistician_reads_the_contacts_of_its_zones_enterprises(self, as_user, stan, ours):
        page = as_user(stan).get(LIST).content.decode()
        assert "晋中联系人" in page

    def test_a_leader_reads_the_contacts_of_the_projects_it_follows_only(
        self, as_user, lily, ours, project
    ):
        assert "晋中联系人" not in as_user(lily).get(LIST).content.decode()
        project.leader = lily
        project.save()
        assert "晋中联系人" in as_user(lily).get(LIST).content.decode()

    def test_only_enterprises_one_may_open_are_linked(self, as_user, alice, theirs, ours):
        page = as_user(alice).get(LIST).content.decode()
        assert change_url(ours) in page
        assert change_url(theirs) not in page

    def test_the_list_runs_the_same_queries_for_5_enterprises_as_for_50(
        self, as_user, alice, zone, other_zone
    ):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        client = as_user(alice)

        def queries_with(count: int) -> int:
            for n in range(count):
                ProjectFactory(zone=zone if n % 2 else other_zone)
            with CaptureQueriesContext(connection) as queries:
                client.get(LIST)
            return len(queries)

        assert queries_with(5) == queries_with(45)


def test_the_rule_and_the_query_agree(alice, stan, lily, charlie, theirs, ours):
    for person in (alice, stan, lily, charlie):
        by_query = set(
            permissions.enterprises(Enterprise.objects.all(), person).values_list("pk", flat=True)
        )
        by_object = {
            e.pk for e in Enterprise.objects.all() if person.has_perm("zones.view_enterprise", e)
        }
        assert by_query == by_object, person
