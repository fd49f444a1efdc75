"""A project's colour is the worst of its open dates (guide section 12, issue 19): the earliest
planned date still open — a milestone of a stage ahead, not reached, or a task node not done — of
an open project is stored, indexed, with which it is, and filled here for the projects there are.
The rule itself is ``approvals/cases/lateness.py`` (``refresh_colour_dates``); a migration keeps
its own copy, on the models as they are at this point."""

from django.db import migrations, models
from django.db.models.functions import Coalesce

#: The forward path and the stages a project can be open at, as they are at this migration.
FORWARD = ["reserve", "signed", "ready", "under_construction", "in_production", "at_capacity"]
OPEN = FORWARD[:-1]


def fill_colour_dates(apps, schema_editor) -> None:
    Project = apps.get_model("approvals", "Project")
    Milestone = apps.get_model("approvals", "Milestone")
    TaskNode = apps.get_model("approvals", "TaskNode")
    ahead = models.Q()
    for position, stage in enumerate(OPEN):
        ahead |= models.Q(project__stage=stage, stage__in=FORWARD[position + 1 :])
    rank = models.Case(
        *[models.When(stage=s, then=models.Value(i)) for i, s in enumerate(FORWARD)],
        output_field=models.IntegerField(),
    )
    milestones = (
        Milestone.objects.filter(
            ahead,
            project=models.OuterRef("pk"),
            actual_date__isnull=True,
            planned_date__isnull=False,
        )
        .annotate(rank=rank)
        .order_by("planned_date", "rank")
    )
    nodes = TaskNode.objects.filter(
        project=models.OuterRef("pk"), actual_date__isnull=True, project__stage__in=OPEN
    ).order_by("planned_date", "pk")
    Project.objects.update(
        colour_date=models.Subquery(milestones.values("planned_date")[:1]),
        colour_stage=Coalesce(
            models.Subquery(milestones.values("stage")[:1]), models.Value("")
        ),
        colour_node="",
    )
    earlier = models.Exists(nodes.filter(planned_date__lt=models.OuterRef("colour_date")))
    Project.objects.filter(
        earlier | (models.Q(colour_date__isnull=True) & models.Exists(nodes))
    ).update(
        colour_date=models.Subquery(nodes.values("planned_date")[:1]),
        colour_stage="",
        colour_node=models.Subquery(nodes.values("name")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0028_problems_due_by_default"),
    ]

    operations = [
        migrations.AddField(
            model_name="project",
            name="colour_date",
            field=models.DateField(
                blank=True, editable=False, null=True, verbose_name="colour date"
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="colour_node",
            field=models.CharField(
                blank=True,
                editable=False,
                max_length=100,
                verbose_name="colour date's task node",
            ),
        ),
        migrations.AddField(
            model_name="project",
            name="colour_stage",
            field=models.CharField(
                blank=True,
                choices=[
                    ("reserve", "Reserve / negotiation"),
                    ("signed", "Signed"),
                    ("ready", "Ready to start works"),
                    ("under_construction", "Under construction"),
                    ("in_production", "In production"),
                    ("at_capacity", "At design capacity"),
                    ("suspended", "Suspended"),
                    ("withdrawn", "Withdrawn"),
                ],
                editable=False,
                max_length=20,
                verbose_name="colour date's milestone",
            ),
        ),
        migrations.AddIndex(
            model_name="project",
            index=models.Index(fields=["colour_date"], name="project_colour_date"),
        ),
        migrations.RunPython(fill_colour_dates, migrations.RunPython.noop),
    ]
