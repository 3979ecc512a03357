from django.contrib import admin

from kam.performance.models import ChecklistAnswer, CostToServe, KpiTarget, ProgramSettings


@admin.register(ProgramSettings)
class ProgramSettingsAdmin(admin.ModelAdmin):
    list_display = ("pk", "top_customer_alert_pct", "hhi_alert", "hourly_rate", "updated_at")


@admin.register(CostToServe)
class CostToServeAdmin(admin.ModelAdmin):
    list_display = ("account", "period_start", "period_end", "amount")
    search_fields = ("account__name", "account__customer_id")
    raw_id_fields = ("account",)


@admin.register(KpiTarget)
class KpiTargetAdmin(admin.ModelAdmin):
    list_display = ("kpi", "scope", "scope_key", "target", "updated_by", "updated_at")
    list_filter = ("kpi", "scope")


@admin.register(ChecklistAnswer)
class ChecklistAnswerAdmin(admin.ModelAdmin):
    list_display = ("item", "answer", "owner", "answered_by", "answered_at")
    list_filter = ("answer",)
