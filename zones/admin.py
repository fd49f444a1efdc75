"""Admin for zones, the people's roles in them, and enterprises."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import Enterprise, Zone, ZoneRole


class ZoneRoleInline(admin.TabularInline):
    model = ZoneRole
    extra = 0
    autocomplete_fields = ("zone",)


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ("name", "city", "aliases_inline", "lead_industries")
    list_filter = ("city",)
    search_fields = ("name", "aliases", "city")

    @admin.display(description=Zone._meta.get_field("aliases").verbose_name)
    def aliases_inline(self, obj: Zone) -> str:
        return "、".join(obj.alias_list())

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=ZoneRole.objects.zone_ids(request.user))


@admin.register(ZoneRole)
class ZoneRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "zone", "role")
    list_filter = ("role", "zone")
    search_fields = ("user__username", "user__first_name", "user__last_name", "zone__name")
    list_select_related = ("user", "zone")
    autocomplete_fields = ("zone",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(zone__in=ZoneRole.objects.zone_ids(request.user))


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "credit_code", "contact_person", "contact_phone")
    search_fields = ("name", "credit_code")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class ProjectDeskUserAdmin(UserAdmin):
    inlines = [ZoneRoleInline]
