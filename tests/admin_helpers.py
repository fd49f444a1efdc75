"""Posting admin change forms as a browser would: the rendered form's values plus changes."""

from django.test import Client


def change_form_data(client: Client, url: str, **changes) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    data: dict = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if value is None:
            value = ""
        elif isinstance(value, bool):
            if not value:
                continue
            value = "on"
        data[name] = value
    # A project's page draws its tabs' inlines when each tab is opened (``?case_tab=``): the
    # data is the page's with every tab opened, as a browser sends it after opening them.
    opened = [
        client.get(url, {"case_tab": tab.key})
        for tab in response.context.get("case_tabs") or ()
        if tab.inlines
    ]
    assert all(tab.status_code == 200 for tab in opened)
    inlines = [
        *response.context["inline_admin_formsets"],
        *(i for r in opened for i in r.context["case_tab"].inlines),
    ]
    for inline in inlines:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for index, subform in enumerate(formset.initial_forms):
            for name in subform.fields:
                value = subform.initial.get(name)
                if name == subform.instance._meta.pk.name:
                    value = subform.instance.pk
                if hasattr(value, "pk"):
                    value = value.pk
                data[f"{formset.prefix}-{index}-{name}"] = "" if value is None else value
    data.update(changes)
    return data


def with_new_row(data: dict, prefix: str, parent, **values) -> dict:
    """The form's data with one more row in the inline ``prefix`` of ``parent``'s page, as a
    browser posts it after "add another": ``values`` by field name."""
    index = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(index + 1)
    data[f"{prefix}-{index}-project"] = parent.pk
    data.update({f"{prefix}-{index}-{name}": value for name, value in values.items()})
    return data
