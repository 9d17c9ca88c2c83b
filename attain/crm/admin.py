"""Django admin for CRM records: searchable, filterable, and fast on millions of rows."""

from django.contrib import admin

from attain.crm.models import (
    Account,
    Activity,
    Deal,
    DealStageChange,
    ExchangeRate,
    Lead,
    Pipeline,
    Product,
    Stage,
)


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "industry", "size", "territory", "owner")
    list_filter = ("size", "industry", "territory")
    search_fields = ("name", "external_id")
    autocomplete_fields = ("owner", "territory")
    list_select_related = ("owner", "territory")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "family", "list_price", "unit_cost", "active")
    list_filter = ("family", "active")
    search_fields = ("name", "family")


class StageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Stage
    extra = 0


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "is_default")
    search_fields = ("name",)
    inlines = (StageInline,)


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "pipeline", "position", "default_probability", "forecast_category")
    list_filter = ("pipeline", "forecast_category")
    search_fields = ("name",)


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("currency", "valid_from", "rate")
    list_filter = ("currency",)
    search_fields = ("currency",)


class StageChangeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DealStageChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_stage", "to_stage", "changed_at", "changed_by")


@admin.register(Deal)
class DealAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "name",
        "owner",
        "account",
        "stage",
        "status",
        "amount",
        "currency",
        "expected_close_date",
        "closed_at",
    )
    list_filter = ("status", "stage", "currency", "lead_source")
    search_fields = ("name", "account__name", "owner__full_name", "external_id")
    raw_id_fields = ("account", "owner", "product")
    list_select_related = ("owner", "account", "stage")
    readonly_fields = ("stage", "status", "closed_at", "closed_on", "stage_entered_at")
    inlines = (StageChangeInline,)
    show_full_result_count = False


@admin.register(DealStageChange)
class DealStageChangeAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("deal", "from_stage", "to_stage", "changed_at", "changed_by")
    list_filter = ("to_stage",)
    search_fields = ("deal__name",)
    raw_id_fields = ("deal",)
    show_full_result_count = False


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("kind", "owner", "occurred_at", "outcome", "deal", "account")
    list_filter = ("kind", "outcome")
    search_fields = ("subject", "owner__full_name", "external_id")
    raw_id_fields = ("owner", "deal", "account")
    list_select_related = ("owner", "deal", "account")
    show_full_result_count = False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "company", "source", "owner", "status", "created_at", "converted_at")
    list_filter = ("status", "source")
    search_fields = ("name", "company", "email", "external_id")
    raw_id_fields = ("owner", "deal")
    list_select_related = ("owner",)
    show_full_result_count = False
