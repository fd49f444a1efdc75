from django import template

from ..admin.requests import awaiting_count

register = template.Library()


@register.simple_tag
def awaiting_decisions(user) -> int | None:
    return awaiting_count(user)


@register.simple_tag
def my_todo(user):
    from ..todo import todo

    return todo(user)
