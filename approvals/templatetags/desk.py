from django import template

register = template.Library()


@register.simple_tag
def awaiting_decisions(user) -> int | None:
    # Imported when called, like the tags below: this library loads while the admin's modules
    # are being imported (django-unfold's ModelAdmin renders a widget as it is defined).
    from approvals.figures.todo import awaiting_count

    return awaiting_count(user)


@register.simple_tag
def my_todo(user):
    from approvals.figures.todo import todo

    return todo(user)


@register.simple_tag(takes_context=True)
def dashboard(context):
    """The zone dashboard's figures for the person asking, or None (no role, no figures)."""
    from approvals.figures.dashboard import board

    return board(context["request"])
