from django.contrib import admin

from kam.plans.models import (
    AccountPlan,
    PlanAction,
    PlanObjective,
    PlanReview,
    PlanRisk,
    PlanSection,
    PlanTarget,
    PlanTemplate,
    PlanVersion,
)


class SectionInline(admin.TabularInline):
    model = PlanSection
    extra = 0
    fields = ("key", "revision", "updated_by", "updated_at")
    readonly_fields = ("key", "revision", "updated_by", "updated_at")


class ObjectiveInline(admin.TabularInline):
    model = PlanObjective
    extra = 0


class TargetInline(admin.TabularInline):
    model = PlanTarget
    extra = 0


class RiskInline(admin.TabularInline):
    model = PlanRisk
    extra = 0
    raw_id_fields = ("owner",)


class ActionInline(admin.TabularInline):
    model = PlanAction
    extra = 0
    raw_id_fields = ("owner", "objective")


@admin.register(AccountPlan)
class AccountPlanAdmin(admin.ModelAdmin):
    list_display = ("title", "account", "status", "alignment_level", "horizon_months", "owner")
    list_filter = ("status", "alignment_level")
    search_fields = ("title", "account__name", "account__customer_id")
    raw_id_fields = ("account", "owner")
    inlines = (SectionInline, ObjectiveInline, TargetInline, RiskInline, ActionInline)


@admin.register(PlanVersion)
class PlanVersionAdmin(admin.ModelAdmin):
    list_display = ("plan", "number", "cut_on", "created_by")
    readonly_fields = ("snapshot", "changes")
    raw_id_fields = ("plan",)


@admin.register(PlanReview)
class PlanReviewAdmin(admin.ModelAdmin):
    list_display = ("plan", "held_on", "kind", "recorded_by")
    list_filter = ("kind",)
    raw_id_fields = ("plan",)


@admin.register(PlanTemplate)
class PlanTemplateAdmin(admin.ModelAdmin):
    list_display = ("alignment_level", "updated_at", "updated_by")
