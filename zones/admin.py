"""Admin for zones, the people's roles in them, enterprises, and the people themselves (users
and groups, re-registered with django-unfold's classes and forms)."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from approvals import permissions
from approvals.admin.base import ModelAdmin, SafeAutocomplete, TabularInline

from .models import Enterprise, Zone, ZoneRole


class ZoneRoleInline(SafeAutocomplete, TabularInline):
    model = ZoneRole
    extra = 0
    autocomplete_fields = ("zone",)


@admin.register(Zone)
class ZoneAdmin(ModelAdmin):
    list_display = ("name", "city", "aliases_inline", "lead_industries")
    list_filter = ("city",)
    search_fields = ("name", "aliases", "city")

    @admin.display(description=Zone._meta.get_field("aliases").verbose_name)
    def aliases_inline(self, obj: Zone) -> str:
        return "、".join(obj.alias_list())

    def get_queryset(self, request):
        return permissions.zones_seen(super().get_queryset(request), request.user)


@admin.register(ZoneRole)
class ZoneRoleAdmin(SafeAutocomplete, ModelAdmin):
    list_display = ("user", "zone", "role")
    list_filter = ("role", "zone")
    search_fields = ("user__username", "user__first_name", "user__last_name", "zone__name")
    list_select_related = ("user", "zone")
    autocomplete_fields = ("zone",)

    def get_queryset(self, request):
        return permissions.zones_seen(super().get_queryset(request), request.user, "zone")


class EnterpriseForm(forms.ModelForm):
    class Meta:
        model = Enterprise
        fields = (
            "name",
            "credit_code",
            "contact_person",
            "contact_phone",
            "notes",
            "created_in_zone",
        )


@admin.register(Enterprise)
class EnterpriseAdmin(ModelAdmin):
    """Names and credit codes for all staff (so that nobody adds a duplicate); contacts and the
    page itself only for those who see one of its projects (``approvals.permissions``)."""

    form = EnterpriseForm
    list_display = ("name_link", "credit_code", "contact_person_shown", "contact_phone_shown")
    list_display_links = None
    search_fields = ("name", "credit_code")

    @admin.display(description=_("name"), ordering="name")
    def name_link(self, obj: Enterprise) -> str:
        if not obj.contacts_visible:
            return obj.name
        url = reverse("admin:zones_enterprise_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.name)

    @admin.display(description=_("contact person"))
    def contact_person_shown(self, obj: Enterprise) -> str:
        return obj.contact_person if obj.contacts_visible else "—"

    @admin.display(description=_("contact phone"))
    def contact_phone_shown(self, obj: Enterprise) -> str:
        return obj.contact_phone if obj.contacts_visible else "—"

    def get_queryset(self, request):
        return permissions.with_contacts_visible(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        """Every page of one enterprise (change, history, delete) is for those who may see it."""
        obj = super().get_object(request, object_id, from_field)
        return obj if obj is not None and obj.contacts_visible else None

    def get_readonly_fields(self, request, obj=None):
        return ("created_in_zone",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "created_in_zone":
            kwargs["queryset"] = permissions.casework_zones(request.user)
            kwargs["required"] = not permissions.is_administrator(request.user)
            zones = list(kwargs["queryset"][:2])
            if len(zones) == 1:
                kwargs["initial"] = zones[0].pk
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is None:
            return super().has_change_permission(request)
        return permissions.may_edit_enterprise(request.user, obj)


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class ProjectDeskUserAdmin(UserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    inlines = [ZoneRoleInline]


@admin.register(Group)
class ProjectDeskGroupAdmin(GroupAdmin, ModelAdmin):
    pass
