from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kam.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The trail, readable in the admin and nothing more: no add, change or delete."""

    list_display = ("at", "actor", "interface", "action", "object_type", "object_repr")
    list_filter = ("interface", "action", "object_type")
    search_fields = ("actor", "object_repr", "object_id", "account_id")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
