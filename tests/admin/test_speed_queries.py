"""Speed at 100,000 projects (guide section 11, the issue "speed at 100,000 projects"): the
admin's pages send as many queries for 3 rows as for 30, read the next milestone from its
stored date, count no more than they show, search names through trigram indexes on
PostgreSQL, and scope an officer's rows without an OR that no index serves.

The timings are in benchmarks/dashboard.py; these tests hold what makes them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.access import permissions
from approvals.cases.lateness import refresh_colour_dates
from approvals.cases.models.milestones import refresh_next_milestones
from approvals.figures import reports
from approvals.models import (
    ApprovalItem,
    ApprovalType,
    Milestone,
    Problem,
    Project,
    Stage,
    StageChange,
    StageRequest,
)
from approvals.stages import workflow
from tests.factories import ProjectFactory, UserFactory, ZoneRoleFactory, administrator
from tests.flows import documents
from tests.oracles import with_next_milestone_worked_out
from tests.spreadsheets.test_import_projects import row, run, workbook
from zones.models import AdminRole, CityRole, Role

D = dt.date
PROJECTS = reverse("admin:approvals_project_changelist")
ITEMS = reverse("admin:approvals_approvalitem_changelist")
REQUESTS = reverse("admin:approvals_stagerequest_changelist")
QUEUE = {"queue": "awaiting", "status__exact": "pending"}


def fresh(user):
    """The person read afresh: its roles are read once per user object."""
    return type(user).objects.get(pk=user.pk)


def get(client, url, params=None, warm: bool = False) -> tuple[list[str], object]:
    """The page and the SQL it sent (read at once: the next request empties the log);
    ``warm``: after one request, whose first-time reads (content types, settings) are not
    the page's."""
    if warm:
        client.get(url, params or {})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries], response


def projects(zone, count: int, **extra) -> list[Project]:
    made = []
    for n in range(count):
        project = ProjectFactory(zone=zone, name=f"年产{n}万吨氢能装备项目", **extra)
        Milestone.objects.create(
            project=project, stage=Stage.SIGNED, planned_date=D(2025, 5, n % 28 + 1)
        )
        made.append(project)
    return made


def stored_and_worked_out() -> tuple[dict, dict]:
    """Every project's stored next-milestone date, and the one the subquery works out."""
    stored = dict(Project.objects.values_list("pk", "next_milestone_on"))
    worked_out = with_next_milestone_worked_out(Project.objects.all())
    worked_out = {p.pk: p.next_milestone_date for p in worked_out}
    return stored, worked_out


# --- as many queries for 3 rows as for 30 ------------------------------------------------------


class TestConstantQueries:
    @pytest.mark.parametrize("who", ["superuser", "alice", "lily"])
    def test_the_project_list(self, request, as_user, zone, lily, who):
        client = as_user(request.getfixturevalue(who))

        def queries_for(count: int) -> int:
            Project.objects.all().delete()
            projects(zone, count, leader=lily)
            sqls, response = get(client, PROJECTS, warm=True)
            assert len(response.context["cl"].result_list) == count
            return len(sqls)

        assert queries_for(3) == queries_for(30)

    @pytest.mark.parametrize("term", ["氢能", "氢能装备"])
    def test_the_project_search(self, as_user, alice, zone, term):
        client = as_user(alice)

        def queries_for(count: int) -> int:
            Project.objects.all().delete()
            projects(zone, count)
            sqls, response = get(client, PROJECTS, {"q": term}, warm=True)
            assert len(response.context["cl"].result_list) == count
            return len(sqls)

        assert queries_for(3) == queries_for(30)

    def test_a_projects_page_whatever_its_checklist_and_history(
        self, as_user, alice, bob, zone, catalogue
    ):
        client = as_user(alice)
        kinds = list(ApprovalType.objects.filter(is_active=True))

        def queries_for(count: int) -> int:
            project = ProjectFactory(zone=zone, officer=alice)
            for kind in kinds[:count]:
                ApprovalItem.objects.create(project=project, approval_type=kind, officer=bob)
            StageChange.objects.bulk_create(
                StageChange(project=project, target=Stage.RESERVE, by=alice) for _ in range(count)
            )
            url = reverse("admin:approvals_project_change", args=[project.pk])
            sqls, _page = get(client, url, warm=True)
            counted = [len(sqls)]
            # the rows are drawn by their tabs, fetched when opened (case_tabs.loaded_later)
            # (the records: the project's creation too)
            for tab, prefix, rows in (
                ("items", "approval_items", count),
                ("records", "stage_changes", count + 1),
            ):
                sqls, response = get(client, url, {"case_tab": tab}, warm=True)
                (inline,) = response.context["case_tab"].inlines
                assert inline.formset.prefix == prefix
                assert len(inline.formset.forms) == rows
                counted.append(len(sqls))
            return counted

        assert queries_for(3) == queries_for(21)

    @pytest.mark.parametrize("who", ["superuser", "alice"])
    def test_the_approval_items_list(self, request, as_user, zone, catalogue, who):
        client = as_user(request.getfixturevalue(who))
        kinds = list(ApprovalType.objects.filter(is_active=True)[:3])

        def queries_for(count: int) -> int:
            Project.objects.all().delete()
            for project in projects(zone, count // 3):
                for kind in kinds:
                    ApprovalItem.objects.create(project=project, approval_type=kind)
            sqls, response = get(client, ITEMS, warm=True)
            assert len(response.context["cl"].result_list) == count
            return len(sqls)

        assert queries_for(3) == queries_for(30)

    def test_the_supervisors_request_queue(self, as_user, alice, bob, zone):
        client = as_user(bob)

        def queries_for(count: int) -> int:
            Project.objects.all().delete()
            for project in projects(zone, count):
                StageRequest.objects.create(
                    project=project, transition="sign", requested_by=alice, evidence={}
                )
            sqls, response = get(client, REQUESTS, QUEUE, warm=True)
            assert len(response.context["cl"].result_list) == count
            return len(sqls)

        assert queries_for(3) == queries_for(30)


# --- the project list ---------------------------------------------------------------------------


class TestTheProjectList:
    def test_it_reads_no_milestone_and_orders_by_the_primary_key(self, as_user, alice, zone):
        made = projects(zone, 3)
        sqls, response = get(as_user(alice), PROJECTS)
        assert [p.pk for p in response.context["cl"].result_list] == [p.pk for p in made][::-1]
        (listed,) = [s for s in sqls if s.startswith('SELECT "approvals_project"."id"')]
        assert "approvals_milestone" not in listed  # the stored date, no subquery per row
        assert listed.endswith('ORDER BY "approvals_project"."id" DESC')  # no sort, no join
        assert not any("approvals_milestone" in s for s in sqls)

    def test_it_shows_the_stored_next_milestone_and_sorts_by_it(self, as_user, alice, zone):
        late, early = projects(zone, 2)
        Milestone.objects.filter(project=late).update(planned_date=D(2025, 9, 1))
        refresh_next_milestones()
        sqls, response = get(as_user(alice), PROJECTS, {"o": "6"})  # the next-milestone column
        assert list(response.context["cl"].result_list) == [early, late]
        assert "已签约 · 2025-09-01" in response.content.decode()

    def test_it_marks_a_pending_request_from_one_query_for_the_page(self, as_user, alice, zone):
        waiting, other = projects(zone, 2)
        workflow.request_transition(
            waiting, "sign", by=alice, agreement_date=D(2025, 4, 7), attachments=documents()
        )
        sqls, response = get(as_user(alice), PROJECTS)
        marks = {p.pk: p.has_pending_request for p in response.context["cl"].result_list}
        assert marks == {waiting.pk: True, other.pk: False}
        assert len([s for s in sqls if 'FROM "approvals_stagerequest"' in s]) == 1

    def test_its_counts_stop_and_no_count_is_made_twice(self, as_user, superuser, zone):
        projects(zone, 3)
        sqls, _ = get(as_user(superuser), PROJECTS)
        counts = [s for s in sqls if "COUNT(" in s and "approvals_project" in s]
        assert len(counts) == 1 and "LIMIT" in counts[0]

    def test_a_short_search_word_counts_nothing(self, as_user, superuser, zone):
        projects(zone, 3)
        ProjectFactory(zone=zone, name="光伏项目")
        sqls, response = get(as_user(superuser), PROJECTS, {"q": "氢能"})
        assert len(response.context["cl"].result_list) == 3
        assert not any("COUNT(" in s and "approvals_project" in s for s in sqls)

    def test_the_next_page_of_a_short_search_is_there_when_more_rows_match(
        self, as_user, superuser, zone
    ):
        projects(zone, 51)
        client = as_user(superuser)
        _, first = get(client, PROJECTS, {"q": "氢能"})
        _, second = get(client, PROJECTS, {"q": "氢能", "p": "2"})
        assert (len(first.context["cl"].result_list), first.context["cl"].multi_page) == (50, True)
        assert len(second.context["cl"].result_list) == 1

    def test_a_long_search_word_finds_names_codes_and_enterprises(self, as_user, superuser, zone):
        by_name = ProjectFactory(zone=zone, name="晋中氢能装备产业园")
        by_code = ProjectFactory(zone=zone, name="甲", code="2509-140602-89-05-864976")
        by_enterprise = ProjectFactory(
            zone=zone, name="乙", enterprise__name="美锦氢能装备有限公司"
        )
        ProjectFactory(zone=zone, name="光伏项目")
        client = as_user(superuser)
        _, response = get(client, PROJECTS, {"q": "氢能装备"})
        assert set(response.context["cl"].result_list) == {by_name, by_enterprise}
        _, response = get(client, PROJECTS, {"q": "140602"})
        assert list(response.context["cl"].result_list) == [by_code]
        _, response = get(client, PROJECTS, {"q": "氢能装备 产业园"})
        assert list(response.context["cl"].result_list) == [by_name]


class TestTheStoredNextMilestone:
    """The list sorts and filters by ``next_milestone_on``: every writer keeps it equal to
    what the subquery works out."""

    def test_milestones_added_moved_and_deleted_keep_it(self, zone):
        project = ProjectFactory(zone=zone)
        signed = Milestone.objects.create(
            project=project, stage=Stage.SIGNED, planned_date=D(2025, 5, 1)
        )
        Milestone.objects.create(project=project, stage=Stage.READY, planned_date=D(2025, 8, 1))
        project.refresh_from_db()
        assert project.next_milestone_on == D(2025, 5, 1)
        signed.planned_date = D(2025, 6, 1)
        signed.save()
        project.refresh_from_db()
        assert project.next_milestone_on == D(2025, 6, 1)
        signed.delete()
        project.refresh_from_db()
        assert project.next_milestone_on is None
        stored, worked_out = stored_and_worked_out()
        assert stored == worked_out

    def test_a_stage_change_moves_it_to_the_next_stages_plan(self, zone, alice, bob):
        project = ProjectFactory(zone=zone)
        for stage, day in ((Stage.SIGNED, D(2025, 5, 1)), (Stage.READY, D(2025, 8, 1))):
            Milestone.objects.create(project=project, stage=stage, planned_date=day)
        asked = workflow.request_transition(
            project, "sign", by=alice, agreement_date=D(2025, 4, 7), attachments=documents()
        )
        workflow.decide(asked, by=bob, approve=True)
        project.refresh_from_db()
        assert (project.stage, project.next_milestone_on) == (Stage.SIGNED, D(2025, 8, 1))
        asked = workflow.request_transition(project, "suspend", by=alice, reason="资金未到位")
        workflow.decide(asked, by=bob, approve=True)
        project.refresh_from_db()
        assert project.next_milestone_on is None  # a suspended project heads nowhere
        asked = workflow.request_transition(project, "resume", by=alice)
        workflow.decide(asked, by=bob, approve=True)
        project.refresh_from_db()
        assert project.next_milestone_on == D(2025, 8, 1)
        stored, worked_out = stored_and_worked_out()
        assert stored == worked_out

    def test_a_list_import_keeps_it_for_new_and_stored_projects(self, stan, zone):
        stored_project = ProjectFactory(zone=zone, name="大恒能源7GW光伏垂直一体化项目")
        data = workbook(
            row(1, "大恒能源7GW光伏垂直一体化项目", category="签约"),
            row(2, "晋中碳纤维项目（一期）", category="签约"),
        )
        # a round ahead plans its category's milestone (a past one dates it: nothing ahead)
        with time_machine.travel(dt.datetime(2025, 3, 1, 10, 0, tzinfo=dt.UTC), tick=False):
            report, _ = run(data, by=stan)
        assert report.errors == []
        stored_project.refresh_from_db()
        new = Project.objects.get(name="晋中碳纤维项目（一期）")
        assert stored_project.next_milestone_on == new.next_milestone_on == D(2025, 3, 28)
        # and the colour date, the earliest open one (here the same), for the colour filters
        assert stored_project.colour_date == new.colour_date == D(2025, 3, 28)
        stored, worked_out = stored_and_worked_out()
        assert stored == worked_out

    def test_the_colour_filter_reads_the_stored_colour_date(self, as_user, alice, zone):
        late, later = projects(zone, 2)
        Milestone.objects.filter(project=later).update(planned_date=D(2099, 1, 1))
        refresh_next_milestones()
        refresh_colour_dates()  # what a writer in bulk calls beside it
        _, response = get(as_user(alice), PROJECTS, {"colour": "red"})
        assert list(response.context["cl"].result_list) == [late]


# --- the checklist, the project page and the zone filters ----------------------------------------


class TestThePeopleOffered:
    def test_each_checklist_row_offers_the_zones_caseworkers_and_its_own_handler(
        self, as_user, alice, bob, lily, charlie, zone, catalogue
    ):
        left = UserFactory(username="left", first_name="离任")  # once an officer here
        project = ProjectFactory(zone=zone)
        kinds = list(ApprovalType.objects.filter(is_active=True)[:2])
        ApprovalItem.objects.create(project=project, approval_type=kinds[0], officer=left)
        ApprovalItem.objects.create(project=project, approval_type=kinds[1])
        url = reverse("admin:approvals_project_change", args=[project.pk])
        _, response = get(as_user(alice), url, {"case_tab": "items"})
        formset = response.context["case_tab"].inlines[0].formset
        offered = [
            {value for value, _ in form.fields["officer"].choices if value}
            for form in formset.forms
        ]
        assert offered == [{alice.pk, bob.pk, left.pk}, {alice.pk, bob.pk}]
        assert set(formset.forms[1].fields["officer"].queryset) == {alice, bob}


class TestZoneFilters:
    def test_they_offer_the_zones_one_sees_without_reading_the_rows(
        self, as_user, alice, lily, zone, other_zone, catalogue
    ):
        ProjectFactory(zone=other_zone, leader=lily)
        sqls, response = get(as_user(alice), ITEMS)
        assert not any('DISTINCT "approvals_project"."zone_id"' in s for s in sqls)
        (zone_filter,) = [f for f in response.context["cl"].filter_specs if f.title == "开发区"]
        assert [label for _, label in zone_filter.lookup_choices] == [str(zone)]
        _, response = get(as_user(lily), PROJECTS)
        (zone_filter,) = [f for f in response.context["cl"].filter_specs if f.title == "开发区"]
        assert {label for _, label in zone_filter.lookup_choices} == {str(zone), str(other_zone)}


# --- visibility without OR -----------------------------------------------------------------------


class TestTheScopeQuery:
    def test_zones_and_followed_projects_are_a_union_of_ids_not_an_or(
        self, alice, lily, zone, other_zone
    ):
        ZoneRoleFactory(user=lily, zone=other_zone, role=Role.OFFICER)
        mine = ProjectFactory(zone=other_zone)
        followed = ProjectFactory(zone=zone, leader=lily)
        ProjectFactory(zone=zone)
        visible = Project.objects.visible_to(lily)
        sql = str(visible.query)
        assert "UNION" in sql and " OR " not in sql
        assert set(visible) == {mine, followed}
        items = permissions.scope(ApprovalItem.objects.all(), lily, path="project__")
        assert " OR " not in str(items.query)

    @pytest.fixture
    def rows(self, zone, other_zone, alice):
        """A project of each zone and one of none, each with a problem and a stage request."""
        projects = {
            "mine": ProjectFactory(zone=zone),
            "other": ProjectFactory(zone=other_zone),
            "none": ProjectFactory(zone=None),
        }
        for n, project in enumerate(projects.values()):
            Problem.objects.create(project=project, description=f"堵点{n}")
            StageRequest.objects.create(project=project, transition="sign", requested_by=alice)
        return projects

    @staticmethod
    def _seen(user, model, path: str) -> tuple[str, set[int]]:
        """The SQL of ``user``'s visibility over ``model`` and the projects of its rows."""
        queryset = permissions.scope(model.objects.all(), user, path=path)
        with CaptureQueriesContext(connection) as captured:
            found = {row.pk if not path else row.project_id for row in queryset}
        return captured.captured_queries[-1]["sql"], found

    def test_an_officer_a_supervisor_and_a_statistician_read_no_union(self, rows, alice, bob, stan):
        for person in (alice, bob, stan):
            for model, path in ((Project, ""), (Problem, "project__"), (StageRequest, "project__")):
                sql, found = self._seen(fresh(person), model, path)
                assert "UNION" not in sql.upper() and " OR " not in sql.upper(), (person, sql)
                assert found == {rows["mine"].pk}, (person, model)

    def test_whoever_holds_a_role_in_every_zone_reads_no_list_of_zones(
        self, rows, zone, other_zone, stan
    ):
        ZoneRoleFactory(user=stan, zone=other_zone, role=Role.STATISTICIAN)
        for model, path in ((Project, ""), (Problem, "project__")):
            sql, found = self._seen(fresh(stan), model, path)
            assert "UNION" not in sql.upper() and " IN (" not in sql.upper(), sql
            assert "IS NOT NULL" in sql.upper()
            assert found == {rows["mine"].pk, rows["other"].pk}  # never the one of no zone
        assert permissions.zones_seen_whole(fresh(stan)) == {zone.pk, other_zone.pk}

    def test_a_leader_sees_the_projects_it_follows_in_another_zone(self, rows, lily, zone):
        followed = ProjectFactory(zone=rows["other"].zone, leader=lily)
        Problem.objects.create(project=followed, description="跟踪的堵点")
        sql, found = self._seen(fresh(lily), Problem, "project__")
        assert found == {followed.pk} and "UNION" not in sql.upper()
        assert permissions.may_see(fresh(lily), followed)
        assert not permissions.may_see(fresh(lily), rows["mine"])
        # with a zone-wide role beside: its zone's projects and those it follows, a union
        ZoneRoleFactory(user=lily, zone=zone, role=Role.STATISTICIAN)
        sql, found = self._seen(fresh(lily), Problem, "project__")
        assert found == {followed.pk, rows["mine"].pk} and "UNION" in sql.upper()
        assert permissions.may_see(fresh(lily), followed)

    def test_a_leader_whose_role_is_taken_away_sees_what_it_followed_no_more(self, lily):
        followed = ProjectFactory(leader=lily)
        assert permissions.may_see(fresh(lily), followed)
        lily.zone_roles.all().delete()
        assert not permissions.may_see(fresh(lily), followed)
        assert not Project.objects.visible_to(fresh(lily)).exists()

    def test_people_of_the_same_zones_share_a_key_and_a_leader_has_its_own(
        self, alice, bob, stan, lily, charlie
    ):
        keys = {p.username: permissions.scope_key(fresh(p)) for p in (alice, bob, stan, lily)}
        assert keys["alice"] == keys["bob"] == keys["stan"] != keys["lily"]
        assert permissions.scope_key(fresh(charlie)) != keys["alice"]


# --- PostgreSQL: the plans ------------------------------------------------------------------------


@pytest.mark.usefixtures("postgres")
class TestOnPostgreSQL:
    def test_jit_is_off(self, db):
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"

    def test_a_long_search_word_reads_the_trigram_indexes(self, zone):
        projects(zone, 3)
        words = Project.objects.filter(pk__in=Project.objects.named_like("氢能装备"))
        sql, params = words.query.sql_with_params()
        with connection.cursor() as cursor:
            # Tiny tables: ask which index can serve (a scan of the whole table, or of the
            # primary key's index filtering each row, is what an unusable index leaves).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_indexscan = off")
            # Nor a bitmap of the whole (name, id) or (code, id) index, which on three rows
            # costs less than the trigram one (dropped inside the test's transaction).
            cursor.execute("DROP INDEX project_name_id, project_code_id")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        for index in ("project_name_key_trgm", "project_code_trgm", "enterprise_name_key_trgm"):
            assert index in plan, plan

    def test_the_colour_counts_read_the_open_colour_index_alone(self, zone, bob):
        projects(zone, 3)
        with CaptureQueriesContext(connection) as captured:
            counts = reports.colour_counts(reports.Selection(), fresh(bob))
        assert set(counts) == {"red", "yellow", "at_risk"}
        (sql,) = [q["sql"] for q in captured.captured_queries if "FILTER" in q["sql"]]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index Only Scan using project_open_colour" in plan, plan


class TestTheCounts:
    def test_a_count_that_stops_says_so_and_pages_up_to_there(self, zone):
        from approvals.admin.at_scale import BoundedPaginator

        projects(zone, 5)
        counted = BoundedPaginator(Project.objects.all(), 2, limit=4)
        assert (counted.count, str(counted.count), counted.num_pages) == (4, "4+", 2)
        exact = BoundedPaginator(Project.objects.all(), 2, limit=5)
        assert (exact.count, str(exact.count), exact.num_pages) == (5, "5", 3)

    def test_a_look_ahead_reads_one_row_more_and_no_more_pages(self, zone):
        from approvals.admin.at_scale import LookaheadPaginator

        projects(zone, 5)
        first = LookaheadPaginator(Project.objects.all(), 2, number=1)
        assert (str(first.count), first.num_pages, len(first.page(1).object_list)) == ("3+", 2, 2)
        last = LookaheadPaginator(Project.objects.all(), 2, number=3)
        assert (str(last.count), last.num_pages, len(last.page(3).object_list)) == ("5", 3, 1)

    def test_the_list_prints_a_stopped_count_with_a_plus(self, as_user, superuser, zone):
        projects(zone, 51)
        page = as_user(superuser).get(PROJECTS, {"q": "氢能"}).content.decode()
        assert "51+" in page


# --- officer and leader: autocompletes over the people the form accepts -------------------------


def people(client, name: str, project=None, **params) -> list[str]:
    url = reverse("admin:approvals_project_people", args=[name])
    if project is not None:
        params["project"] = project.pk
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return [row["text"] for row in response.json()["results"]]


class TestThePeopleAutocompletes:
    def test_the_page_draws_the_chosen_person_only_and_asks_the_view(
        self, as_user, alice, bob, lily, project
    ):
        project.officer = alice
        project.save()
        _, response = get(
            as_user(alice), reverse("admin:approvals_project_change", args=[project.pk])
        )
        page = response.content.decode()
        url = reverse("admin:approvals_project_people", args=["officer"])
        assert f'data-ajax--url="{url}?project={project.pk}"' in page
        officer = page[
            page.index('name="officer"') : page.index("</select>", page.index('name="officer"'))
        ]
        assert str(alice) in officer and str(bob) not in officer

    def test_they_offer_the_role_in_the_projects_zone_by_name(
        self, as_user, alice, bob, lily, stan, charlie, project
    ):
        client = as_user(alice)
        assert people(client, "officer", project) == [str(alice), str(bob)]
        assert people(client, "leader", project) == [str(lily)]
        assert people(client, "officer", project, term="鲍") == [str(bob)]

    def test_someone_who_left_the_role_stays_offered_on_its_project(self, as_user, alice, project):
        left = UserFactory(username="left", first_name="离任")
        project.officer = left
        project.save()
        assert str(left) in people(as_user(alice), "officer", project)

    def test_a_new_project_offers_the_people_of_ones_casework_zones(
        self, as_user, alice, bob, charlie, zone
    ):
        assert people(as_user(alice), "officer") == [str(alice), str(bob)]

    def test_nobody_reads_people_of_a_project_it_may_not_edit(
        self, as_user, stan, charlie, project
    ):
        url = reverse("admin:approvals_project_people", args=["officer"])
        assert as_user(charlie).get(url, {"project": project.pk}).status_code == 404
        assert as_user(stan).get(url, {"project": project.pk}).status_code == 403
        assert as_user(stan).get(url).status_code == 403  # adds no project either


def test_an_admin_mixing_in_page_columns_must_say_how_it_fills_them():
    from approvals.admin.at_scale import PageColumns

    with pytest.raises(TypeError, match="without page_columns"):
        type("Forgetful", (PageColumns,), {})
    filled = type("Filled", (PageColumns,), {"page_columns": lambda self, request, rows: None})
    assert callable(filled.page_columns)


class TestThePeopleList:
    """The people's list (issue 20) shows each person's roles and zones: read from what the page
    prefetched, so as many queries for 3 people as for 12, for the security administrator who
    keeps accounts and the system administrator who grants roles, filtered or not."""

    @staticmethod
    def people(zone, other_zone, count: int, start: int) -> None:
        for n in range(start, start + count):
            person = UserFactory(username=f"person{n}")
            ZoneRoleFactory(user=person, zone=zone, role=Role.OFFICER)
            ZoneRoleFactory(user=person, zone=other_zone, role=Role.LEADER)
            CityRole.objects.create(
                user=person, city=zone.city or "晋中市", role=Role.CITY_SUPERVISOR
            )

    @pytest.mark.parametrize("who", [AdminRole.SECURITY, AdminRole.SYSTEM])
    @pytest.mark.parametrize("params", [{}, {"role": "any"}, {"zone": "ZONE"}])
    def test_it_sends_as_many_queries_for_3_people_as_for_12(
        self, as_user, zone, other_zone, who, params
    ):
        client = as_user(administrator(f"admin-{who}", who))
        params = {k: (str(zone.pk) if v == "ZONE" else v) for k, v in params.items()}
        url = reverse("admin:auth_user_changelist")
        self.people(zone, other_zone, 3, 0)
        few, page = get(client, url, params, warm=True)
        assert "person2" in page.content.decode()
        self.people(zone, other_zone, 9, 3)
        many, page = get(client, url, params)
        assert "person11" in page.content.decode()
        assert len(many) == len(few), "\n".join(many)
