"""Factories for the things of the domain guide."""

import factory
from django.contrib.auth import get_user_model

from approvals.models import Milestone, Project
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


def administrator(username: str, role: str):
    """An account holding one of the three administrator roles (``zones.models.AdminRole``)."""
    user = UserFactory(username=username)
    Administrator.objects.create(user=user, role=role)
    return user
