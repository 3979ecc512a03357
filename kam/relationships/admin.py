from django.contrib import admin

from kam.relationships.models import AccountAlignment, Contact, Relationship


class RelationshipInline(admin.TabularInline):
    model = Relationship
    extra = 0
    autocomplete_fields = ("supplier_person",)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("name", "title", "account", "level", "influence", "attitude", "reports_to")
    list_filter = ("level", "attitude", "influence")
    search_fields = ("name", "title", "email", "account__name", "account__customer_id")
    raw_id_fields = ("account", "reports_to")
    inlines = (RelationshipInline,)


@admin.register(Relationship)
class RelationshipAdmin(admin.ModelAdmin):
    list_display = ("contact", "supplier_person", "strength", "last_interaction_date")
    list_filter = ("strength",)
    search_fields = ("contact__name", "contact__account__name", "supplier_person__username")
    raw_id_fields = ("contact",)
    autocomplete_fields = ("supplier_person",)


@admin.register(AccountAlignment)
class AccountAlignmentAdmin(admin.ModelAdmin):
    list_display = ("account", "level", "set_by", "set_at")
    list_filter = ("level",)
    search_fields = ("account__name", "account__customer_id")
    raw_id_fields = ("account",)
