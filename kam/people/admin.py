from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from kam.people.models import User


@admin.register(User)
class KamUserAdmin(UserAdmin):
    fieldsets = (
        *(UserAdmin.fieldsets or ()),
        ("kam", {"fields": ("title", "min_key_accounts", "max_key_accounts")}),
    )
