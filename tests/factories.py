"""Factories for the things of the domain guide."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model

from approvals.models import (
    Batch,
    BatchEntry,
    Category,
    Milestone,
    Project,
    Stage,
    StageRequest,
)
from approvals.stages.models import RequestKind
from zones.models import Administrator, Enterprise, Role, Zone, ZoneRole


class ZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Zone
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试经济技术开发区{n}")
    city = "晋中市"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "secret-pass-123")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class ZoneRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ZoneRole

    user = factory.SubFactory(UserFactory)
    zone = factory.SubFactory(ZoneFactory)
    role = Role.OFFICER


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"山西测试实业有限公司{n}")


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"年产{n}万吨新材料项目")
    zone = factory.SubFactory(ZoneFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    industry = "新材料"
    total_investment = 50000


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory)


#: The change into each stage a 三个一批 category names, and the evidence giving its date.
CHANGE_INTO = {
    Stage.SIGNED: ("sign", "agreement_date"),
    Stage.UNDER_CONSTRUCTION: ("start_works", "start_date"),
    Stage.IN_PRODUCTION: ("start_production", "production_date"),
}
CATEGORY_OF = {
    Stage.SIGNED: Category.SIGN,
    Stage.UNDER_CONSTRUCTION: Category.START,
    Stage.IN_PRODUCTION: Category.PRODUCE,
}


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch
        django_get_or_create = ("year", "round")

    year = 2025
    round = 1
    event_date = dt.date(2025, 4, 7)


class ListRequestFactory(factory.django.DjangoModelFactory):
    """A stage request a 三个一批 list import opened (guide section 12), built directly: to the
    category's stage (``target``), dated the round's event date, with its list entry. Pass
    ``requested_by`` (the person who imported, e.g. a statistician)."""

    class Meta:
        model = StageRequest

    class Params:
        target = Stage.UNDER_CONSTRUCTION
        batch = factory.SubFactory(BatchFactory)

    project = factory.SubFactory(ProjectFactory)
    kind = RequestKind.LIST
    target_stage = factory.SelfAttribute("target")
    transition = factory.LazyAttribute(lambda o: CHANGE_INTO[o.target][0])
    evidence = factory.LazyAttribute(lambda o: {CHANGE_INTO[o.target][1]: o.batch.event_date})
    batch_entry = factory.LazyAttribute(
        lambda o: BatchEntry.objects.create(
            batch=o.batch,
            project=o.project,
            category=CATEGORY_OF[o.target],
            name=o.project.name,
            source="第2批三个一批.xlsx 开工 第5行",
        )
    )
    source = "第2批三个一批.xlsx 开工 第5行"


def administrator(username: str, role: str):
    """An account holding one of the three administrator roles (``zones.models.AdminRole``)."""
    user = UserFactory(username=username)
    Administrator.objects.create(user=user, role=role)
    return user
