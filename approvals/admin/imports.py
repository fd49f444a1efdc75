"""Spreadsheet pages: import (upload, preview, confirm — django-import-export's flow, with our
set-based import behind it and a preview that stays small whatever the file), export of the
project list through django-import-export's export page, the weekly dispatch table, blank
templates, and the progress of what the worker does for large files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from import_export.signals import post_export
from unfold.contrib.import_export.forms import SelectableFieldsExportForm

from approvals.access import permissions
from approvals.audit import services as audit
from approvals.jobs import services as jobs
from approvals.models import AuditKind, ImportKind, ImportStatus, Job, SpreadsheetImport
from approvals.spreadsheets import blanks, export_jobs, exports, imports
from approvals.spreadsheets.outcome import Report
from approvals.spreadsheets.reading import SpreadsheetRefused

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SpreadsheetField(forms.FileField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Spreadsheet (.xlsx, .xls or .csv)"),
            widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
            **kwargs,
        )


class ProjectListForm(forms.Form):
    ROUND, PORTFOLIO = "round", "portfolio"

    file = SpreadsheetField()
    list_kind = forms.ChoiceField(
        label=_("List"),
        choices=[
            (ROUND, _("A round of 三个一批 (签约/开工/投产一批)")),
            (PORTFOLIO, _("No round: the zones' portfolio (重点项目清单)")),
        ],
        initial=ROUND,
        required=False,  # a round unless "no round" is chosen
        widget=forms.RadioSelect,
        help_text=_(
            "A portfolio needs no 类别: its projects are created at their 当前阶段 (or 储备/洽谈) "
            "and no round entry is written."
        ),
    )
    year = forms.IntegerField(label=_("Batch year"), min_value=2000, max_value=2100, required=False)
    round = forms.IntegerField(label=_("Round"), min_value=1, max_value=99, required=False)
    event_date = forms.DateField(
        label=_("Event date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Needed for a new round; an existing round keeps its date."),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("list_kind") == self.PORTFOLIO:
            cleaned.update(year=None, round=None, event_date=None)
            return cleaned
        year, round_ = cleaned.get("year"), cleaned.get("round")
        for name in ("year", "round"):
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, _("Give the round, or choose “no round”."))
        if year and round_ and not cleaned.get("event_date"):
            from approvals.models import Batch

            if not Batch.objects.filter(year=year, round=round_).exists():
                self.add_error(
                    "event_date",
                    _("Round %(round)d of %(year)d is new: give the date of its event.")
                    % {"year": year, "round": round_},
                )
        return cleaned


class ApprovalTableForm(forms.Form):
    file = SpreadsheetField()


class MonthlyTableForm(forms.Form):
    file = SpreadsheetField(
        help_text=_(
            "The month is read from a 月份 column, or from the title or the sheet's name "
            "(e.g. 2025年3月). A month imported again replaces that month's figures of the "
            "projects listed."
        )
    )


#: The blank template of each kind: (what writes it for a person — its zone lists are the
#: zones that person may import for —, the name it downloads as).
TEMPLATES: dict[str, tuple[Callable[[Any], bytes], str]] = {
    ImportKind.PROJECT_LIST: (blanks.list_template, "三个一批项目清单（模板）.xlsx"),
    ImportKind.APPROVAL_TABLE: (blanks.approval_template, "前期手续办理进度表（模板）.xlsx"),
    ImportKind.MONTHLY_TABLE: (blanks.monthly_template, "月调度表（模板）.xlsx"),
}
#: Where each kind's preview is (the page of a worker's job links it).
PREVIEW_URLS = {
    ImportKind.PROJECT_LIST: "admin:approvals_project_spreadsheet_preview",
    ImportKind.APPROVAL_TABLE: "admin:approvals_approvalitem_spreadsheet_preview",
    ImportKind.MONTHLY_TABLE: "admin:approvals_project_monthly_preview",
}


def preview_url(record: SpreadsheetImport) -> str:
    return reverse(PREVIEW_URLS[record.kind], args=[record.token])


@dataclass(frozen=True)
class ImportPage:
    """One kind of spreadsheet imported on a list: its pages' URLs are named after ``slug``
    ("spreadsheet" for the list's own kind: ``…_spreadsheet_import``, ``…_preview``,
    ``…_template``), and after the import the person lands on ``done`` (a list's URL name;
    this list when empty or not installed)."""

    kind: str
    slug: str
    form: type[forms.Form]
    title: Any
    done: str = ""


def download(
    data: bytes | str, name: str, content_type: str = XLSX_TYPE, audited: bool = True
) -> HttpResponse:
    """A spreadsheet to download; an export of data (not a blank template) is audited."""
    if audited:
        audit.record(AuditKind.EXPORT, obj=name)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quoted(name)}"
    return response


def _quoted(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


class SpreadsheetImportViews:
    """Upload → preview → confirm for one kind of spreadsheet, on a ModelAdmin. An import's
    pages are for the person who uploaded it (administrators see every one)."""

    import_kind: str = ""
    import_form = ApprovalTableForm
    import_title = ""
    #: Further kinds imported on the same list, each with pages of its own.
    more_imports: tuple[ImportPage, ...] = ()

    def import_pages(self) -> dict[str, ImportPage]:
        main = ImportPage(self.import_kind, "spreadsheet", self.import_form, self.import_title)
        return {page.slug: page for page in (main, *self.more_imports)}

    def _names(self, slug: str = "spreadsheet") -> tuple[str, str, str]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_{slug}"
        return f"{prefix}_import", f"{prefix}_preview", f"{prefix}_template"

    def get_urls(self):
        view = self.admin_site.admin_view
        urls = []
        for slug in self.import_pages():
            upload, preview, template = self._names(slug)
            page = {"page": slug}
            urls += [
                path(f"{slug}-import/", view(self.import_view), page, name=upload),
                path(f"{slug}-import/template/", view(self.template_view), page, name=template),
                path(f"{slug}-import/<str:token>/", view(self.preview_view), page, name=preview),
            ]
        return [*urls, *super().get_urls()]

    def has_spreadsheet_import_permission(self, request: HttpRequest) -> bool:
        return permissions.may_import_somewhere(request.user)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["may_import"] = self.has_spreadsheet_import_permission(request)
        extra_context["import_url"] = reverse(f"admin:{self._names()[0]}")
        extra_context["template_url"] = reverse(f"admin:{self._names()[2]}")
        extra_context["import_urls"] = {
            slug: {"upload": reverse(f"admin:{upload}"), "template": reverse(f"admin:{template}")}
            for slug in self.import_pages()
            for upload, _preview, template in [self._names(slug)]
        }
        return super().changelist_view(request, extra_context)

    def _context(self, request, page: ImportPage, **extra):
        upload, _preview, template = self._names(page.slug)
        return {
            **self.admin_site.each_context(request),
            # Not "opts": django-unfold's header then names the page by its title.
            "model_opts": self.opts,
            "title": page.title,
            "template_url": reverse(f"admin:{template}"),
            "import_url_name": f"admin:{upload}",
            **extra,
        }

    def import_view(self, request: HttpRequest, page: str = "spreadsheet"):
        if not self.has_spreadsheet_import_permission(request):
            raise PermissionDenied
        page = self.import_pages()[page]
        form = page.form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read()
            spec = {k: form.cleaned_data.get(k) for k in ("year", "round", "event_date")}
            try:
                record = imports.receive(
                    page.kind,
                    data,
                    upload.name,
                    by=request.user,
                    source=gettext("the import page"),
                    **spec,
                )
            except SpreadsheetRefused as refused:
                form.add_error("file", str(refused))
            else:
                if imports.in_worker(record):
                    imports.start_in_worker(record, "import_preview")
                else:
                    imports.preview(record, data)
                return HttpResponseRedirect(self._preview_url(record, page))
        return TemplateResponse(
            request,
            "admin/approvals/spreadsheet_import.html",
            self._context(request, page, form=form, step="upload"),
        )

    def _preview_url(self, record: SpreadsheetImport, page: ImportPage) -> str:
        return reverse(f"admin:{self._names(page.slug)[1]}", args=[record.token])

    def _done_url(self, page: ImportPage) -> str:
        if page.done:
            try:
                return reverse(page.done)
            except NoReverseMatch:
                pass
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")

    def _record(self, request, token: str, page: ImportPage) -> SpreadsheetImport:
        record = SpreadsheetImport.objects.filter(token=token, kind=page.kind).first()
        if record is None or not permissions.may_see_import(request.user, record):
            raise Http404
        return record

    def preview_view(self, request: HttpRequest, token: str, page: str = "spreadsheet"):
        page = self.import_pages()[page]
        record = self._record(request, token, page)
        job = jobs.live(
            Job.objects.filter(payload__import=record.pk).order_by("-created_at").first()
        )
        may_confirm = record.by_id == request.user.pk  # an administrator reads, never imports it
        if request.method == "POST" and not may_confirm:
            raise PermissionDenied
        if request.method == "POST" and record.status == ImportStatus.PREVIEWED:
            if imports.in_worker(record):
                imports.start_in_worker(record, "import_apply")
                return HttpResponseRedirect(self._preview_url(record, page))
            report = imports.apply(record)
            level = messages.SUCCESS if report.applied else messages.ERROR
            self.message_user(request, f"{record.file_name}：{report.summary()}", level)
            if report.applied:
                return HttpResponseRedirect(self._done_url(page))
            return HttpResponseRedirect(self._preview_url(record, page))
        running = job is not None and job.status in ("queued", "running")
        report = Report.from_json(record.report) if record.report else None
        context = self._context(
            request,
            page,
            record=record,
            report=report,
            job=job,
            running=running,
            step="preview",
            confirmable=bool(
                may_confirm
                and not running
                and record.status == ImportStatus.PREVIEWED
                and report
                and not report.changes_nothing
            ),
        )
        return TemplateResponse(request, "admin/approvals/spreadsheet_import.html", context)

    def template_view(self, request: HttpRequest, page: str = "spreadsheet"):
        if not self.has_spreadsheet_import_permission(request):
            raise PermissionDenied
        write, name = TEMPLATES[self.import_pages()[page].kind]
        return download(write(request.user), name, audited=False)


class ExportForm(SelectableFieldsExportForm):
    """django-import-export's export form with each column named as the file names it, the
    .xlsx format first."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        self.fields["format"].initial = "0"
        self.fields["format"].choices = [c for c in self.fields["format"].choices if c[0] != ""]
        self.fields["format"].help_text = gettext(
            "For more than %(rows)s projects choose .csv: it is written several times "
            "faster, and Excel opens it as it is."
        ) % {"rows": f"{settings.SPREADSHEET_WORKER_ROWS:,}"}

    def _get_field_label(self, resource, field_name: str) -> str:
        field = resource.fields.get(field_name)
        return field.column_name if field else field_name


class ProjectSpreadsheets(SpreadsheetImportViews, ExportMixin):
    """The project list: 三个一批 import, the monthly progress table's import (月调度表: figures
    of the projects, shown on each project's page), export as filtered, the weekly dispatch
    table."""

    import_kind = ImportKind.PROJECT_LIST
    import_form = ProjectListForm
    import_title = _("Import a 三个一批 project list")
    more_imports = (
        ImportPage(
            ImportKind.MONTHLY_TABLE,
            "monthly",
            MonthlyTableForm,
            _("Import a monthly progress table"),
            done="admin:approvals_monthlyprogress_changelist",
        ),
    )
    resource_classes = [exports.ProjectExportResource]
    export_form_class = ExportForm
    formats = [exports.SafeXLSX, exports.SafeCSV]

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_dispatch"
        return [
            path("dispatch/", self.admin_site.admin_view(self.dispatch_view), name=name),
            *super().get_urls(),
        ]

    def has_export_permission(self, request: HttpRequest) -> bool:
        return permissions.may_export_projects(request.user)

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context["dispatch_url"] = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_dispatch"
        )
        return super().changelist_view(request, extra_context)

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """The list as filtered, written straight from its ids (``export_jobs``), not through
        django-import-export's dataset and OFFSET pages; a large one by the worker."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        extension = file_format.get_extension()
        fields = self.get_export_resource_fields_from_form(export_form)
        ids = export_jobs.ids_of("projects", queryset)
        if len(ids) > settings.SPREADSHEET_WORKER_ROWS:
            job = export_jobs.start("projects", ids, extension, by=request.user, fields=fields)
            return HttpResponseRedirect(reverse("admin:approvals_job_change", args=[job.pk]))
        data = export_jobs.content("projects", ids, extension, fields)
        response = HttpResponse(data, content_type=file_format.get_content_type())
        # Named as RFC 6266 says: a plain filename="…" with Chinese in it is encoded whole
        # (RFC 2047) by Django, which browsers do not read.
        name = export_jobs.file_name("projects", extension)
        audit.record(AuditKind.EXPORT, request=request, obj=name, rows=len(ids))
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quoted(name)}"
        post_export.send(sender=None, model=self.model)
        return response

    def get_export_filename(self, request, queryset, file_format):
        return export_jobs.file_name("projects", file_format.get_extension())

    def dispatch_view(self, request: HttpRequest):
        """The weekly dispatch table of the projects the list shows (as filtered)."""
        if not self.has_export_permission(request):
            raise PermissionDenied
        ids = export_jobs.ids_of("dispatch", self.get_export_queryset(request))
        if len(ids) > settings.SPREADSHEET_WORKER_ROWS:
            job = export_jobs.start("dispatch", ids, "xlsx", by=request.user)
            return HttpResponseRedirect(reverse("admin:approvals_job_change", args=[job.pk]))
        data = export_jobs.content("dispatch", ids, "xlsx")
        return download(data, export_jobs.file_name("dispatch", "xlsx"))
