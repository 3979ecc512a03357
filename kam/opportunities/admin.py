from django.contrib import admin

from kam.opportunities.models import Opportunity, Qualification, WalletEstimate


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ("name", "account", "stage", "value", "expected_close_date", "owner")
    list_filter = ("stage",)
    search_fields = ("name", "account__name", "account__customer_id", "product_category")
    raw_id_fields = ("account", "owner")


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ("opportunity", "verdict", "weakest", "updated_at")
    raw_id_fields = ("opportunity", "account")


@admin.register(WalletEstimate)
class WalletEstimateAdmin(admin.ModelAdmin):
    list_display = ("account", "category", "amount", "source", "updated_at")
    search_fields = ("account__name", "account__customer_id", "category")
    raw_id_fields = ("account",)
