"""Admin for zones, the people's roles in them (and over every zone of a city), enterprises, and
the people themselves (users, re-registered with django-unfold's classes and forms; Django's
groups on no page).

Who keeps what (``approvals.access.permissions``, 三权分立): zones, zone roles and city roles
are the system administrator's (on their own pages and on each person's page); accounts the
security administrator's (never an administrator's or a superuser's, nor their flags, groups or
own permissions); administrator roles nobody's here: ``manage.py grant_admin_role`` on the
server writes them, and this page only lists them."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from accounts import validators
from accounts.models import Profile
from approvals.access import permissions
from approvals.admin.at_scale import PageColumns
from approvals.admin.base import ModelAdmin, SafeAutocomplete, TabularInline
from approvals.admin.reach import REACH_FIELDS, ReachForm
from approvals.models import AuditEvent
from zones.models import (
    PEOPLE_ZONE_ROLE_CHOICES,
    PLATFORM_ROLES,
    Administrator,
    AdminRole,
    CityRole,
    Enterprise,
    Role,
    Zone,
    ZoneRole,
)


class ZoneRoleInline(SafeAutocomplete, TabularInline):
    model = ZoneRole
    extra = 0
    autocomplete_fields = ("zone",)


def city_choices() -> list[tuple[str, str]]:
    """The cities of the recorded zones: a city role is held over one of them (and a city's
    channel serves one, ``approvals/admin/channels.py``)."""
    cities = Zone.objects.exclude(city="").order_by("city").values_list("city", flat=True)
    return [(city, city) for city in cities.distinct()]


class CityRoleForm(forms.ModelForm):
    city = forms.ChoiceField(label=_("city"), choices=city_choices)

    class Meta:
        model = CityRole
        fields = ("user", "city", "role")


class CityRoleInline(TabularInline):
    model = CityRole
    form = CityRoleForm
    extra = 0


def _role_holders():
    """Who may be given a zone role: active people who are no administrator (an administrator
    holds none: nobody grants itself casework)."""
    return get_user_model().objects.filter(is_active=True, administrator__isnull=True)


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


class RoleKeeping:
    """Roles (in a zone, over a city) are granted only by those who keep them, to people the
    desk holds roles for."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = _role_holders()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        # A client system's roles are kept by its client (API clients' page), not by hand.
        if db_field.name == "role" and db_field.model is ZoneRole:
            kwargs["choices"] = PEOPLE_ZONE_ROLE_CHOICES
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_add_permission(self, request) -> bool:
        return permissions.may_keep_zone_roles(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return permissions.may_keep_zone_roles(request.user) and not _platform_role(obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.may_keep_zone_roles(request.user) and not _platform_role(obj)


def _platform_role(obj) -> bool:
    return isinstance(obj, ZoneRole) and obj.role in PLATFORM_ROLES


@admin.register(ZoneRole)
class ZoneRoleAdmin(RoleKeeping, SafeAutocomplete, ModelAdmin):
    list_display = ("user", "zone", "role")
    list_filter = ("role", "zone")
    search_fields = ("user__username", "user__first_name", "user__last_name", "zone__name")
    list_select_related = ("user", "zone")
    autocomplete_fields = ("zone",)

    def get_queryset(self, request):
        return permissions.zones_seen(super().get_queryset(request), request.user, "zone")


@admin.register(CityRole)
class CityRoleAdmin(RoleKeeping, ModelAdmin):
    """Roles over every zone of a city (the city supervisor), granted like zone roles."""

    form = CityRoleForm
    list_display = ("user", "city", "role")
    list_filter = ("role", "city")
    search_fields = ("user__username", "user__first_name", "user__last_name", "city")
    list_select_related = ("user",)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if permissions.may_keep_zone_roles(request.user) else queryset.none()

    def has_module_permission(self, request) -> bool:
        return permissions.may_keep_zone_roles(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.may_keep_zone_roles(request.user)


def roles_held(user) -> str:
    """A person's roles as the user list shows them: the administrator's, each zone role with
    its zone and each city role with its city (read from what the list prefetched)."""
    try:
        held = [user.administrator.get_role_display()]
    except ObjectDoesNotExist:
        held = []
    held += [f"{r.get_role_display()} · {r.zone}" for r in user.zone_roles.all()]
    held += [f"{r.get_role_display()} · {r.city}" for r in user.city_roles.all()]
    return "；".join(held) or "—"


def zones_held(user) -> str:
    """The zones a person holds a role in, and the cities it holds one over (read from what the
    list prefetched)."""
    places = dict.fromkeys(
        [str(r.zone) for r in user.zone_roles.all()] + [r.city for r in user.city_roles.all()]
    )
    return "、".join(places) or "—"


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

    def clean_name(self) -> str:
        """A name another enterprise has already, but for full-width characters or spaces
        ("（山西）" for "(山西)"), is that enterprise: refused, naming it, as the lists find it
        (``Enterprise.name_key``)."""
        name = self.cleaned_data["name"]
        if self.instance.pk is not None and name == self.instance.name:
            return name  # kept: two recorded before the key existed stay editable
        same = Enterprise.recorded_as(name, other_than=self.instance.pk)
        if same is not None and same.name != name:  # the same name: the unique check says so
            raise forms.ValidationError(
                _("“%(name)s” is recorded already as “%(recorded)s”.")
                % {"name": name, "recorded": same.name}
            )
        return name


@admin.register(Enterprise)
class EnterpriseAdmin(PageColumns, ModelAdmin):
    """Names and credit codes for all staff (so that nobody adds a duplicate); contacts and the
    page itself only for those who see one of its projects (``approvals.access.permissions``).

    The list asks who may read the contacts for the shown page only (``page_columns``): as an
    annotation of the list's query, PostgreSQL planned it for all 20,000 enterprises and
    hashed every project's enterprise to answer 50 (44 ms at 100,000 projects, issue 21)."""

    form = EnterpriseForm
    # Its buttons to the investor's links (portal/admin.py, reached by their URL names only).
    change_form_template = "admin/zones/enterprise/change_form.html"
    list_display = ("name_link", "credit_code", "contact_person_shown", "contact_phone_shown")
    list_display_links = None
    # the name as lists and the form match it ("(集团)" finds "（集团）"), the credit code as typed
    search_fields = ("name_key__matches", "credit_code")
    sortable_by = ("name_link",)  # a credit code is searched, not sorted (issue 21)

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
        queryset = super().get_queryset(request)
        if getattr(request, "_enterprise_list", False):
            return queryset  # ``page_columns`` marks the shown rows
        return permissions.with_contacts_visible(queryset, request.user)

    def changelist_view(self, request, extra_context=None):
        request._enterprise_list = True
        return super().changelist_view(request, extra_context)

    def page_columns(self, request, rows) -> None:
        shown = Enterprise.objects.filter(pk__in=[row.pk for row in rows])
        visible = dict(
            permissions.with_contacts_visible(shown, request.user).values_list(
                "pk", "contacts_visible"
            )
        )
        for row in rows:
            row.contacts_visible = visible.get(row.pk, False)

    def get_object(self, request, object_id, from_field=None):
        """Every page of one enterprise (change, history, delete) is for those who may see it."""
        obj = super().get_object(request, object_id, from_field)
        return obj if obj is not None and obj.contacts_visible else None

    def get_readonly_fields(self, request, obj=None):
        return ("created_in_zone",) if obj is not None else ()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Whoever may edit one of the enterprise's projects makes and revokes the links of its
        contacts to the investor's page (issue 22) from here."""
        obj = self.get_object(request, unquote(object_id))
        links = {}
        if obj is not None and permissions.may_link_investor(request.user, obj):
            links = {
                "investor_link_make": reverse("admin:portal_investorlink_add")
                + f"?enterprise={obj.pk}",
                "investor_links": reverse("admin:portal_investorlink_changelist")
                + f"?enterprise__id__exact={obj.pk}",
            }
        return super().change_view(request, object_id, form_url, {**links, **(extra_context or {})})

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
# Groups grant nothing here (``AccountBackend``), and roles are the one way anything is granted:
# no page shows them (guide section 12).
admin.site.unregister(Group)


def _checked_username(form, exclude_pk=None) -> str | None:
    """The form's user name, NFKC-normalised, unless it is a look-alike of another account's
    (``accounts.validators.validate_username``)."""
    username = form.cleaned_data.get("username")
    if not username:
        return username
    # Read whole, not through .iterator(): a refusal leaves the loop early, and PostgreSQL's
    # server-side cursor of an abandoned iterator was gone by the time it was closed.
    others = User.objects.exclude(pk=exclude_pk).values_list("username", flat=True)
    return validators.validate_username(username, others=list(others))


class AccountCreationForm(UserCreationForm):
    def clean_username(self):
        # Django's own check first: a name that differs from another only in case.
        if super().clean_username() is None:
            return None
        return _checked_username(self)


class AccountChangeForm(UserChangeForm):
    def clean_username(self):
        # Only a new name is checked: an account kept under its old one can still be saved
        # (deactivated, above all).
        if "username" not in self.changed_data:
            return self.cleaned_data.get("username")
        return _checked_username(self, exclude_pk=self.instance.pk)


class RoleFilter(admin.SimpleListFilter):
    """Who holds a role (and so may log in: ``permissions.holds_a_role``), who none, and who
    holds which one."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [
            ("any", _("Holds a role")),
            ("none", _("Holds no role")),
            *Role.choices,
            *AdminRole.choices,
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return permissions.role_holders(queryset)
        if value == "none":
            return queryset.exclude(pk__in=permissions.role_holders(User.objects.all()))
        if value == Role.CITY_SUPERVISOR:
            return queryset.filter(pk__in=CityRole.objects.filter(role=value).values("user_id"))
        if value in Role.values:
            return queryset.filter(pk__in=ZoneRole.objects.filter(role=value).values("user_id"))
        if value in AdminRole.values:
            held = Administrator.objects.filter(role=value).values("user_id")
            return queryset.filter(pk__in=held)
        return queryset


class ZoneFilter(admin.SimpleListFilter):
    """Who holds a role in a zone: in it, or over its city (a city supervisor)."""

    title = _("zone")
    parameter_name = "zone"

    def lookups(self, request, model_admin):
        return [(str(zone.pk), zone.name) for zone in Zone.objects.all()]

    def queryset(self, request, queryset):
        zone = Zone.objects.filter(pk=self.value()).first() if self.value() else None
        if zone is None:
            return queryset
        in_zone = ZoneRole.objects.filter(zone=zone).values("user_id")
        over_city = CityRole.objects.filter(city=zone.city).values("user_id")
        return queryset.filter(Q(pk__in=in_zone) | Q(pk__in=over_city))


def _may_hold_roles(person) -> bool:
    """Whether ``person`` may be given zone and city roles here (``_role_holders``)."""
    return person is not None and _role_holders().filter(pk=person.pk).exists()


def _may_keep_work_contact(user, person) -> bool:
    """A person's work phone (shown to the investors of its projects, issue 22) is kept by its
    account's keeper and by the system administrator who grants its roles (None: anyone's,
    as Django's inline asks before it reads the rows of the person shown)."""
    if person is None:
        return permissions.may_keep_security(user) or permissions.may_keep_zone_roles(user)
    return permissions.may_keep_account(user, person) or (
        permissions.may_keep_zone_roles(user) and _may_hold_roles(person)
    )


class WorkContactInline(TabularInline):
    """The work phone; and, for the system administrator, where the person's reminders reach
    it (``approvals/admin/reach.py``)."""

    model = Profile
    form = ReachForm
    extra = 1
    max_num = 1
    can_delete = False

    def get_fields(self, request, obj=None):
        if permissions.may_set_reach(request.user, obj):
            return ("work_phone", *REACH_FIELDS)
        return ("work_phone",)

    def has_view_permission(self, request, obj=None) -> bool:
        return _may_keep_work_contact(request.user, obj)

    def has_add_permission(self, request, obj=None) -> bool:
        return _may_keep_work_contact(request.user, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return _may_keep_work_contact(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(User)
class ProjectDeskUserAdmin(UserAdmin, ModelAdmin):
    """Accounts, kept by the security administrator: created, deactivated, passwords set. Roles
    are the one way anything is granted (guide section 12): the list shows each person's roles
    and zones, and the system administrator grants and removes zone and city roles on a person's
    page (its account details read-only to it). Groups, a user's own permissions and the
    superuser flag are on no page (they grant nothing: every rule is in
    ``approvals.access.permissions``), nor is the staff flag: it follows the roles
    (``permissions.holds_a_role``, approvals/signals.py)."""

    form = AccountChangeForm
    add_form = AccountCreationForm
    change_password_form = AdminPasswordChangeForm
    inlines = [ZoneRoleInline, CityRoleInline]
    list_display = ("username", "first_name", "last_name", "roles", "zones", "is_active")
    list_filter = (RoleFilter, ZoneFilter, "is_active")
    account_fieldsets = (
        (None, {"fields": ("username", "password", "is_active", "roles")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    #: What the system administrator reads on a person's page, above the roles it grants.
    role_keeping_fieldsets = (
        (None, {"fields": ("username", "is_active", "roles")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
    )

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if permissions.may_keep_account(request.user, obj):
            return self.account_fieldsets
        return self.role_keeping_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        if permissions.may_keep_account(request.user, obj):
            return ("roles", "last_login", "date_joined")
        return flatten_fieldsets(self.role_keeping_fieldsets)

    def get_inlines(self, request, obj):
        may_keep = obj is not None and _may_keep_work_contact(request.user, obj)
        # A save that does not carry the work phone's form (a page drawn before it existed, a
        # script posting the account alone) leaves the phone as it is, instead of failing on
        # the inline's missing management form.
        if request.method == "POST" and "profile-TOTAL_FORMS" not in request.POST:
            may_keep = False
        inlines = [WorkContactInline] if may_keep else []
        if permissions.may_keep_zone_roles(request.user) and _may_hold_roles(obj):
            return [*inlines, *self.inlines]
        return inlines

    def get_queryset(self, request):
        people = super().get_queryset(request).select_related("administrator")
        people = people.prefetch_related("zone_roles__zone", "city_roles")
        if permissions.may_keep_zone_roles(request.user):
            return people  # every person's roles: the system administrator keeps them
        return permissions.keepable_accounts(people, request.user)

    @admin.display(description=_("roles"))
    def roles(self, obj) -> str:
        return roles_held(obj)

    @admin.display(description=_("zones"))
    def zones(self, obj) -> str:
        return zones_held(obj)

    def has_module_permission(self, request) -> bool:
        return permissions.may_keep_security(request.user) or permissions.may_keep_zone_roles(
            request.user
        )

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.may_keep_account(request.user, obj) or permissions.may_keep_zone_roles(
            request.user
        )

    def has_add_permission(self, request) -> bool:
        return permissions.may_keep_security(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        """The account's keeper; and the system administrator on the page of a person it
        grants roles to (the account's details stay read-only to it)."""
        if permissions.may_keep_account(request.user, obj):
            return True
        return permissions.may_keep_zone_roles(request.user) and (
            obj is None or _may_hold_roles(obj)
        )

    def user_change_password(self, request, id, form_url=""):
        """Setting a password is the account keeper's only: the change permission above also
        lets the system administrator save a person's roles."""
        person = self.get_object(request, unquote(id))
        if person is not None and not permissions.may_keep_account(request.user, person):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def has_delete_permission(self, request, obj=None) -> bool:
        return permissions.is_administrator(request.user)  # accounts are deactivated, kept

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not permissions.is_administrator(request.user):
            actions.pop("delete_selected", None)
        elif "delete_selected" in actions:
            delete_selected, name, description = actions["delete_selected"]

            def delete_unrecorded(modeladmin, request, queryset):
                if self._kept_for_the_audit_log(request, queryset):
                    return None  # back to the list, with the message
                return delete_selected(modeladmin, request, queryset)

            actions[name] = (delete_unrecorded, name, description)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        person = self.get_object(request, unquote(object_id))
        if (
            person is not None
            and self.has_delete_permission(request, person)
            and self._kept_for_the_audit_log(request, [person])
        ):
            return HttpResponseRedirect(reverse("admin:auth_user_change", args=[person.pk]))
        return super().delete_view(request, object_id, extra_context)

    def _kept_for_the_audit_log(self, request, people) -> bool:
        """People named by security audit records are deactivated, never deleted (issue 17):
        the records keep naming them (``AuditEvent.user`` is PROTECT). Says so, in place of
        Django's list of "protected objects", which would show the records themselves to
        someone who may not read the log."""
        recorded = AuditEvent.people_recorded(people)
        if recorded:
            self.message_user(
                request,
                gettext(
                    "%(people)s: named in the security audit log, so never deleted. "
                    "Deactivate the account instead (untick “Active” on its page)."
                )
                % {"people": "、".join(str(p) for p in recorded)},
                messages.ERROR,
            )
        return bool(recorded)


@admin.register(Administrator)
class AdministratorAdmin(ModelAdmin):
    """Who holds which administrator role: listed for the security administrator; written by
    nobody here (``manage.py grant_admin_role`` on the server), superusers included."""

    list_display = ("user", "role")
    list_filter = ("role",)
    list_select_related = ("user",)
    readonly_fields = ("user", "role")
    actions = None

    def has_module_permission(self, request) -> bool:
        return permissions.may_keep_security(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return permissions.may_keep_security(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
