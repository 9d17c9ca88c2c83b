"""Django admin for targets (editable) and the rollups (read-only: they are a derived cache)."""

from django.contrib import admin

from attain.core.admin import ReadOnlyAdmin
from attain.metrics.models import NodeDay, PersonDay, PersonMonth, PersonQuarter, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("kpi", "subject_kind", "person", "team", "period_label", "value")
    list_filter = ("kpi", "subject_kind", "period_label")
    search_fields = ("kpi", "person__full_name", "team__name", "period_label")
    raw_id_fields = ("person", "team")
    list_select_related = ("person", "team")


@admin.register(PersonDay)
class PersonDayAdmin(ReadOnlyAdmin):
    list_display = ("person", "team", "day", "calls", "deals_won", "revenue_won")
    list_filter = ("day",)
    search_fields = ("person__full_name",)
    list_select_related = ("person", "team")


@admin.register(PersonMonth)
class PersonMonthAdmin(ReadOnlyAdmin):
    list_display = ("person", "team", "month", "calls", "deals_won", "revenue_won")
    list_filter = ("month",)
    search_fields = ("person__full_name",)
    list_select_related = ("person", "team")


@admin.register(PersonQuarter)
class PersonQuarterAdmin(ReadOnlyAdmin):
    list_display = ("person", "team", "quarter", "calls", "deals_won", "revenue_won")
    list_filter = ("quarter",)
    search_fields = ("person__full_name",)
    list_select_related = ("person", "team")


@admin.register(NodeDay)
class NodeDayAdmin(ReadOnlyAdmin):
    list_display = ("node", "day", "calls", "deals_won", "revenue_won")
    list_filter = ("node",)
    list_select_related = ("node",)
