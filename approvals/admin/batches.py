"""The rounds of the 三个一批 event (installation-wide, added by list imports): a list to read.
The figures each round listed are on the reports page, within what each person sees."""

from __future__ import annotations

from django.contrib import admin

from approvals.admin.base import ModelAdmin, NeverWritten
from approvals.models import Batch


@admin.register(Batch)
class BatchAdmin(NeverWritten, ModelAdmin):
    list_display = ("__str__", "year", "round", "event_date", "created_at")
    list_filter = ("year",)
    fields = ("year", "round", "event_date", "created_at")
    readonly_fields = fields
