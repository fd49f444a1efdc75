"""The investor's page (issue 22): one address per link, ``/portal/<token>/``, and the request
for help it posts to ``/portal/<token>/request/``; nothing else is reachable from a link.

A link that does not open (unknown, expired, revoked or replaced) gets a polite page in Chinese
that names no enterprise and no project (410 for a link that has ended, 404 for one nobody
made). Every visit is audited (``portal.links``). The pages are in Chinese whatever the
browser asks, never cached (the token is in the address), and kept out of search engines."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from approvals.casework.problems import problem_from_enterprise
from approvals.core.display import sentences
from approvals.models import AuditResult, TransitionRefused
from portal.forms import HelpRequestForm
from portal.links import Opened, investor_link_open, visit_record
from portal.models import LinkState
from portal.page import investor_page, projects_of


def _respond(request: HttpRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _closed(request: HttpRequest, opened: Opened) -> HttpResponse:
    """The polite page: why the link does not open, and what to do; nothing of any project."""
    if opened.state is None:
        reason, status = _("This link is not valid."), 404
    elif opened.state == LinkState.EXPIRED:
        reason, status = _("This link has expired."), 410
    elif opened.state == LinkState.REPLACED:
        reason, status = _("A newer link was sent to you: please open that one."), 410
    else:
        reason, status = _("This link has been withdrawn."), 410
    return _respond(request, "portal/closed.html", {"reason": reason}, status)


def _in_chinese(view):
    """The investor's pages are in Chinese, whatever the browser's languages."""

    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        with translation.override(settings.LANGUAGE_CODE):
            return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _form(opened: Opened, data=None) -> HelpRequestForm:
    projects = list(
        projects_of(opened.link).order_by("-created_at", "-pk").values_list("pk", "name")
    )
    return HelpRequestForm(data, projects=projects)


@require_GET
@_in_chinese
def page(request: HttpRequest, token: str) -> HttpResponse:
    opened = investor_link_open(token, request=request, page="page")
    if not opened.live:
        return _closed(request, opened)
    visit_record(opened, request, "page", action="page viewed")
    return _page(request, token, opened, _form(opened))


def _page(request, token, opened: Opened, form: HelpRequestForm, status: int = 200):
    context = {
        "page": investor_page(opened.link),
        "form": form,
        "request_url": reverse("portal:request", args=[token]),
        "sent": request.GET.get("sent") == "1",
    }
    return _respond(request, "portal/page.html", context, status)


@require_POST
@_in_chinese
def help_request(request: HttpRequest, token: str) -> HttpResponse:
    """A request for help (诉求): a problem of the chosen project, on its officer's list."""
    opened = investor_link_open(token, request=request, page="request")
    if not opened.live:
        return _closed(request, opened)
    form = _form(opened, request.POST)
    if form.is_valid():
        project = projects_of(opened.link).filter(pk=form.cleaned_data["project"]).first()
        link = opened.link
        try:
            if project is None:  # chosen among the enterprise's own: only a forged post
                raise PermissionDenied
            problem = problem_from_enterprise(
                project=project,
                enterprise_id=link.enterprise_id,
                contact=f"{link.contact_name} {link.contact_phone}",
                description=form.cleaned_data["text"],
                category=form.cleaned_data["category"],
            )
        except TransitionRefused as refused:
            form.add_error("text", sentences(refused.reasons))
        except PermissionDenied:
            form.add_error("project", _("Choose one of your projects."))
        else:
            visit_record(
                opened,
                request,
                "request",
                action="request sent",
                project=project.name,
                problem=problem.pk,
            )
            return HttpResponseRedirect(reverse("portal:page", args=[token]) + "?sent=1#requests")
    visit_record(
        opened, request, "request", result=AuditResult.FAILURE, reason=form.errors.as_text()
    )
    return _page(request, token, opened, form, status=400)
