"""Django admin for the organisation: searchable and filterable lists of every model."""

from django.contrib import admin

from attain.core.admin import ReadOnlyAdmin
from attain.org.models import (
    Holiday,
    Organisation,
    Person,
    TableVersion,
    Team,
    TeamMembership,
    Territory,
    TerritoryAssignment,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "base_currency", "time_zone", "fiscal_year_start_month", "period_type")


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("date", "name")
    search_fields = ("name",)
    date_hierarchy = "date"


class MembershipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = TeamMembership
    extra = 0
    autocomplete_fields = ("team",)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("full_name", "email", "role", "title", "hire_date", "leave_date", "fte")
    list_filter = ("role", "hire_date", "leave_date")
    search_fields = ("full_name", "email", "title")
    raw_id_fields = ("user",)
    inlines = (MembershipInline,)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "kind", "parent", "manager", "path")
    list_filter = ("kind",)
    search_fields = ("name", "manager__full_name")
    autocomplete_fields = ("parent", "manager")


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("person", "team", "start_date", "end_date")
    list_filter = ("team", "start_date")
    search_fields = ("person__full_name", "person__email", "team__name")
    autocomplete_fields = ("person", "team")


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "parent", "path")
    search_fields = ("name",)
    autocomplete_fields = ("parent",)


@admin.register(TerritoryAssignment)
class TerritoryAssignmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("territory", "person", "start_date", "end_date")
    list_filter = ("territory",)
    search_fields = ("person__full_name", "territory__name")
    autocomplete_fields = ("person", "territory")


@admin.register(TableVersion)
class TableVersionAdmin(ReadOnlyAdmin):
    """Kept by database triggers (see TableVersion); shown, never edited."""

    list_display = ("table", "token")
