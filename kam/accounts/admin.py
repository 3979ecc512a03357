from django.contrib import admin

from kam.accounts.models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("customer_id", "name", "parent", "country", "region", "segment")
    list_filter = ("region", "segment")
    search_fields = ("customer_id", "name")
    raw_id_fields = ("parent",)
    filter_horizontal = ("team",)
