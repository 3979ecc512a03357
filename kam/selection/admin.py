from django.contrib import admin

from kam.selection.models import (
    CycleDecision,
    KeyAccount,
    PolicyVersion,
    Rating,
    ScoreRun,
    SelectionCycle,
)


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "name", "created_by", "created_at", "note")
    readonly_fields = ("version", "toml", "created_by", "created_at")


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ("account", "criterion_key", "value", "rated_by", "rated_at")
    list_filter = ("criterion_key",)
    search_fields = ("account__customer_id", "account__name")
    raw_id_fields = ("account",)


@admin.register(ScoreRun)
class ScoreRunAdmin(admin.ModelAdmin):
    list_display = (
        "pk",
        "status",
        "as_of",
        "policy_version",
        "customers",
        "key_accounts",
        "seconds",
    )
    list_filter = ("status",)


class CycleDecisionInline(admin.TabularInline):
    model = CycleDecision
    fields = (
        "account",
        "proposal",
        "tier",
        "quadrant",
        "override_key",
        "override_reason",
        "manager",
    )
    raw_id_fields = ("account",)
    extra = 0


@admin.register(SelectionCycle)
class SelectionCycleAdmin(admin.ModelAdmin):
    list_display = ("name", "as_of", "status", "score_run", "previous", "published_at")
    list_filter = ("status",)
    inlines = [CycleDecisionInline]


@admin.register(KeyAccount)
class KeyAccountAdmin(admin.ModelAdmin):
    list_display = ("account", "tier", "quadrant", "manager", "executive_sponsor", "since_cycle")
    list_filter = ("tier", "quadrant")
    search_fields = ("account__customer_id", "account__name")
    raw_id_fields = ("account",)
