from django.contrib import admin

from kam.engagement.models import CadencePolicyVersion, Engagement, EngagementComment


@admin.register(Engagement)
class EngagementAdmin(admin.ModelAdmin):
    list_display = ("account", "kind", "status", "date", "rating")
    list_filter = ("kind", "status")
    search_fields = ("account__name", "account__customer_id", "title")
    raw_id_fields = ("account", "contacts", "follow_ups", "our_people")


@admin.register(EngagementComment)
class EngagementCommentAdmin(admin.ModelAdmin):
    list_display = ("engagement", "author", "created_at")
    raw_id_fields = ("engagement",)


@admin.register(CadencePolicyVersion)
class CadencePolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "created_by", "created_at", "note")
